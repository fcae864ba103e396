"""Helpers for the administration tests: a need, a deactivated user, and form-error checks."""

import re
from datetime import date

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from partnership.extensions import db
from partnership.models import BankHoliday, NeedCategory, Role, User

TEMPORARY_PASSWORD = "temporary password 1"


@pytest.fixture
def structure(partnership, password_hash):
    """The test partnership with two needs, a deactivated caseworker and a bank holiday."""
    partnership.food = NeedCategory(slug="food", name="Food")
    partnership.housing = NeedCategory(slug="housing", name="Housing")
    partnership.leaver = User(
        email="leaver@example.org",
        name="Lena Leaver",
        organisation=partnership.pantry,
        role=Role.CASEWORKER,
        password_hash=password_hash,
        active=False,
    )
    partnership.christmas = BankHoliday(day=date(2026, 12, 25), name="Christmas Day")
    db.session.add_all(
        [partnership.food, partnership.housing, partnership.leaver, partnership.christmas]
    )
    db.session.commit()
    return partnership


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def reload(model, object_id: int):
    """The row as the database has it now, not as this test's session remembers it."""
    db.session.expire_all()
    return db.session.get(model, object_id)


def find(model, **where):
    """The one row that matches, as the database has it now; None when there is none."""
    db.session.expire_all()
    return db.session.scalars(select(model).filter_by(**where)).one_or_none()


def error_summary(response) -> str:
    """The text of the GOV.UK error summary on a form sent back with errors."""
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "<title>Error: " in page
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', page, re.DOTALL)
    assert summary, "no GOV.UK error summary on the page"
    return summary.group(0)


def assert_refused(response, message: str) -> None:
    """The form came back (not a 500, not a redirect) with `message` in its error summary."""
    assert str(escape(message)) in error_summary(response)
