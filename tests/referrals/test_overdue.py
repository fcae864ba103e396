"""Overdue counts working days: weekends and bank holidays do not count."""

from datetime import UTC, date, datetime, timedelta

import pytest

from partnership.models import Urgency
from partnership.referrals.overdue import (
    add_working_days,
    due_date,
    earliest_overdue_sent_date,
    is_overdue,
)

HOLIDAYS = frozenset({date(2026, 12, 25), date(2026, 12, 28)})


def test_working_days_skip_weekends():
    friday = date(2026, 11, 27)
    assert add_working_days(friday, 2, frozenset()) == date(2026, 12, 1)  # Tuesday


def test_working_days_skip_bank_holidays():
    christmas_eve = date(2026, 12, 24)  # Thursday; Fri 25 and Mon 28 are holidays
    assert add_working_days(christmas_eve, 2, HOLIDAYS) == date(2026, 12, 30)


def test_urgent_is_due_in_two_working_days_and_routine_in_five(app):
    monday = datetime(2026, 11, 23, 10, tzinfo=UTC)
    assert due_date(monday, Urgency.URGENT, frozenset()) == date(2026, 11, 25)
    assert due_date(monday, Urgency.ROUTINE, frozenset()) == date(2026, 11, 30)
    assert not is_overdue(monday, Urgency.URGENT, date(2026, 11, 25), frozenset())
    assert is_overdue(monday, Urgency.URGENT, date(2026, 11, 26), frozenset())


def test_due_days_are_configurable(app):
    app.config["REFERRAL_DUE_WORKING_DAYS"] = {"urgent": 1}
    try:
        monday = datetime(2026, 11, 23, 10, tzinfo=UTC)
        assert due_date(monday, Urgency.URGENT, frozenset()) == date(2026, 11, 24)
    finally:
        app.config.pop("REFERRAL_DUE_WORKING_DAYS")


def test_a_late_evening_send_counts_from_the_uk_date(app):
    # 23:30 UTC on 31 May is 00:30 on 1 June in London (summer time).
    sent = datetime(2026, 5, 31, 23, 30, tzinfo=UTC)
    assert due_date(sent, Urgency.URGENT, frozenset()) == date(2026, 6, 3)


@pytest.mark.parametrize("today", [date(2026, 11, 30) + timedelta(days=n) for n in range(14)])
@pytest.mark.parametrize("urgency", list(Urgency))
def test_the_query_boundary_agrees_with_is_overdue(app, today, urgency):
    boundary = earliest_overdue_sent_date(urgency, today, HOLIDAYS)
    for offset in range(20):
        sent_day = date.fromordinal(today.toordinal() - offset)
        sent = datetime(sent_day.year, sent_day.month, sent_day.day, 12, tzinfo=UTC)
        assert is_overdue(sent, urgency, today, HOLIDAYS) == (sent_day < boundary)
