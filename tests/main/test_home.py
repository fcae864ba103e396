"""The lead's home page publishes its referral counts as the dashboard does."""

import html
import re

import pytest

from partnership.dashboards import suppression
from partnership.main.home import neighbourhood_overview
from partnership.models import ReferralStatus
from tests import factories

S = ReferralStatus


def _northside_row(page: str) -> list[str]:
    """The Northside row's figures, as shown: partners, services, waiting, active, completed."""
    row = re.search(r"Northside<span[^>]*> dashboard</span></a></th>(.*?)</tr>", page, re.S)
    assert row, "no Northside row on the lead's home page"
    return [html.unescape(cell) for cell in re.findall(r"<td[^>]*>([^<]*)</td>", row.group(1))]


def _make(partnership, waiting: int, active: int, completed: int) -> None:
    service = factories.service(partnership.pantry)
    for status, how_many in (
        (S.REQUESTED, waiting),
        (S.ACCEPTED, active),
        (S.COMPLETED, completed),
    ):
        for _ in range(how_many):
            factories.referral(partnership, to_service=service, status=status)


def test_the_leads_home_withholds_small_counts_as_the_dashboard_does(lead_client, partnership):
    _make(partnership, waiting=3, active=6, completed=0)
    page = lead_client.get("/").get_data(as_text=True)
    assert _northside_row(page)[2:] == ["<5", "6", "0"]


@pytest.mark.parametrize("value", [0, 1, 4, 5, 12])
def test_each_home_count_is_the_dashboards_published_count(app, partnership, value):
    _make(partnership, waiting=value, active=0, completed=0)
    (north,) = neighbourhood_overview([partnership.north])
    assert north["waiting"] == suppression.count(value)


def test_the_home_page_follows_the_one_rule_wherever_it_is_set(
    lead_client, partnership, monkeypatch
):
    """Were the threshold raised in suppression.py, the home page would withhold more too:
    it has no rule of its own."""
    _make(partnership, waiting=3, active=6, completed=12)
    monkeypatch.setattr(suppression, "SMALL_NUMBER", 10)
    page = lead_client.get("/").get_data(as_text=True)
    assert _northside_row(page)[2:] == ["<5", "<5", "12"]
