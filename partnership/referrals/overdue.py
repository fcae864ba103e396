"""Overdue referrals: not accepted or declined within a number of working days.

Working days skip weekends and the England and Wales bank holidays that administrators
keep in the bank_holidays table. Urgent referrals are due in 2 working days, routine in 5
(REFERRAL_DUE_WORKING_DAYS overrides them).
"""

from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select

from partnership import clock
from partnership.extensions import db
from partnership.models import BankHoliday, Urgency

DEFAULT_DUE = {Urgency.URGENT: 2, Urgency.ROUTINE: 5}


def due_working_days(urgency: Urgency) -> int:
    configured = current_app.config.get("REFERRAL_DUE_WORKING_DAYS") or {}
    return int(configured.get(urgency.value, DEFAULT_DUE[urgency]))


def bank_holidays() -> frozenset[date]:
    return frozenset(db.session.scalars(select(BankHoliday.day)))


def add_working_days(start: date, days: int, holidays: frozenset[date]) -> date:
    """The date `days` working days after `start` (a referral sent on Friday, due in 2, is
    due on Tuesday)."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            days -= 1
    return current


def due_date(sent_at: datetime, urgency: Urgency, holidays: frozenset[date]) -> date:
    """The last working day on which a reply is still on time (UK local dates)."""
    return add_working_days(clock.uk_date(sent_at), due_working_days(urgency), holidays)


def is_overdue(sent_at: datetime | None, urgency: Urgency, today: date, holidays) -> bool:
    return sent_at is not None and today > due_date(sent_at, urgency, holidays)


def earliest_overdue_sent_date(urgency: Urgency, today: date, holidays) -> date:
    """Referrals sent before this UK date are overdue today, if still awaiting a reply.

    Walks back from today so inbox queries can filter on sent_at with an index instead of
    computing working days row by row.
    """
    days = due_working_days(urgency)
    candidate = today
    while add_working_days(candidate, days, holidays) >= today:
        candidate -= timedelta(days=1)
    # candidate is the latest sent date that is overdue; the boundary is the day after it.
    return candidate + timedelta(days=1)
