"""Bank holidays, which administrators keep so that overdue counts working days."""

from datetime import date

import pytest
from sqlalchemy import select

from partnership.extensions import db
from partnership.models import BankHoliday, Role
from partnership.referrals import overdue
from tests.admin.conftest import assert_refused


def holidays() -> dict:
    db.session.expire_all()
    return dict(db.session.execute(select(BankHoliday.day, BankHoliday.name)).all())


@pytest.fixture
def listed(partnership):
    db.session.add_all(
        [
            BankHoliday(day=date(2026, 12, 25), name="Christmas Day"),
            BankHoliday(day=date(2027, 1, 1), name="New Year's Day"),
        ]
    )
    db.session.commit()


def test_the_list_is_grouped_by_year(listed, admin_client):
    page = admin_client.get("/admin/bank-holidays").get_data(as_text=True)
    assert page.index(">2026<") < page.index("Friday 25 December 2026") < page.index(">2027<")
    assert page.index(">2027<") < page.index("Friday 1 January 2027")


def test_an_admin_adds_a_bank_holiday(listed, admin_client):
    response = admin_client.post_form(
        "/admin/bank-holidays",
        {"day": "28", "month": "12", "year": "2026", "name": " Boxing Day (substitute day) "},
    )
    assert response.status_code == 302
    assert holidays()[date(2026, 12, 28)] == "Boxing Day (substitute day)"
    page = admin_client.get("/admin/bank-holidays").get_data(as_text=True)
    assert "Added Boxing Day (substitute day), Monday 28 December 2026" in page
    # Overdue now skips it.
    assert date(2026, 12, 28) in overdue.bank_holidays()


def test_a_day_already_listed_is_refused(listed, admin_client):
    response = admin_client.post_form(
        "/admin/bank-holidays", {"day": "25", "month": "12", "year": "2026", "name": "Xmas"}
    )
    assert_refused(response, "Friday 25 December 2026 is already a bank holiday: Christmas Day")
    assert holidays()[date(2026, 12, 25)] == "Christmas Day"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "Day off"}, "Enter the date of the bank holiday"),
        ({"day": "31", "month": "2", "year": "2027", "name": "Day off"}, "must be a real date"),
        ({"day": "x", "month": "2", "year": "2027", "name": "Day off"}, "as numbers"),
        ({"day": "1", "month": "2", "year": "1066", "name": "Day off"}, "between 2000 and 2100"),
        ({"day": "1", "month": "2", "year": "2027", "name": " "}, "Enter the name"),
        ({"day": "1", "month": "2", "year": "2027", "name": "x" * 121}, "120 characters"),
    ],
)
def test_a_bank_holiday_with_a_mistake_is_refused(listed, admin_client, form, message):
    before = holidays()
    response = admin_client.post_form("/admin/bank-holidays", form)
    assert_refused(response, message)
    assert holidays() == before


def test_an_admin_removes_a_bank_holiday(listed, admin_client):
    response = admin_client.post_form(
        "/admin/bank-holidays/2026-12-25/remove", form_page="/admin/bank-holidays"
    )
    assert response.status_code == 302
    assert date(2026, 12, 25) not in holidays()
    assert "Removed Christmas Day" in admin_client.get("/admin/bank-holidays").get_data(
        as_text=True
    )


@pytest.mark.parametrize("day", ["2026-12-24", "not-a-date"])
def test_removing_a_day_not_listed_is_not_found(listed, admin_client, day):
    response = admin_client.post_form(
        f"/admin/bank-holidays/{day}/remove", form_page="/admin/bank-holidays"
    )
    assert response.status_code == 404
    assert len(holidays()) == 2


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.COORDINATOR, Role.LEAD])
def test_only_admins_keep_bank_holidays(listed, as_role, role):
    client = as_role(role)
    before = holidays()
    assert client.get("/admin/bank-holidays").status_code == 404
    add = {"day": "1", "month": "2", "year": "2027", "name": "Day off"}
    assert client.post_form("/admin/bank-holidays", add, form_page="/").status_code == 404
    assert (
        client.post_form("/admin/bank-holidays/2026-12-25/remove", form_page="/").status_code == 404
    )
    assert holidays() == before
