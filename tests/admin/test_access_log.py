"""The access log for administrators: filtered by user or by referral, never naming residents."""

import re
from datetime import timedelta

import pytest

from partnership import clock
from partnership.access import log_access
from partnership.extensions import db
from partnership.models import AccessAction, AccessLog, Role
from tests import factories


def rows(response) -> list[str]:
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    body = re.search(r'<tbody class="govuk-table__body">(.*?)</tbody>', page, re.S)
    if body is None:
        return []
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)
    ]


@pytest.fixture
def logged(partnership, as_role):
    """Two residents' referrals viewed by both parties through their pages."""
    rosa = factories.resident(
        partnership.north, partnership.surgery, given_name="Rosalind", family_name="Quayle"
    )
    sam = factories.resident(
        partnership.north, partnership.surgery, given_name="Tobias", family_name="Merriweather"
    )
    rosa_first = factories.referral(partnership, resident=rosa)
    rosa_second = factories.referral(partnership, resident=rosa)
    sam_referral = factories.referral(partnership, resident=sam)
    db.session.commit()
    caseworker, coordinator = as_role(Role.CASEWORKER), as_role(Role.COORDINATOR)
    for referral in (rosa_first, rosa_second, sam_referral):
        assert caseworker.get(f"/referrals/{referral.id}").status_code == 200
    assert coordinator.get(f"/referrals/{rosa_first.id}").status_code == 200
    partnership.rosa_first, partnership.rosa_second, partnership.sam = (
        rosa_first,
        rosa_second,
        sam_referral,
    )
    return partnership


def test_the_whole_log_newest_first_without_residents_names(logged, admin_client):
    listed = rows(admin_client.get("/admin/access-log"))
    assert len(listed) == 4
    assert listed[0].startswith(tuple("0123456789"))
    newest = "Cora Ordinator Southside Pantry Viewed referral page " + logged.rosa_first.reference
    assert listed[0].endswith(newest)
    assert logged.sam.reference in listed[1]
    page = admin_client.get("/admin/access-log").get_data(as_text=True)
    for personal in ("Rosalind", "Quayle", "Tobias", "Merriweather", "Needs help with food"):
        assert personal not in page


def test_filtered_by_user(logged, admin_client):
    listed = rows(admin_client.get("/admin/access-log?email=Coordinator@Example.org"))
    assert len(listed) == 1 and "Cora Ordinator" in listed[0]
    listed = rows(admin_client.get("/admin/access-log?email=caseworker@example.org"))
    assert len(listed) == 3 and all("Casey Worker" in row for row in listed)


def test_filtered_by_a_referral_lists_every_access_to_its_resident(logged, admin_client):
    reference = logged.rosa_second.reference
    listed = rows(admin_client.get(f"/admin/access-log?reference={reference.lower()}"))
    assert len(listed) == 3
    assert all(logged.sam.reference not in row for row in listed)
    assert {logged.rosa_first.reference, logged.rosa_second.reference} <= {
        row.split()[-1] for row in listed
    }
    both = rows(
        admin_client.get(f"/admin/access-log?reference={reference}&email=coordinator@example.org")
    )
    assert len(both) == 1


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("email=nobody@example.org", "No user has the email address nobody@example.org"),
        ("reference=REF-0000-000000", "No referral has the reference REF-0000-000000"),
    ],
)
def test_a_filter_that_matches_nothing_says_so(logged, admin_client, query, message):
    response = admin_client.get(f"/admin/access-log?{query}")
    assert rows(response) == []
    assert message in response.get_data(as_text=True)


def test_the_log_is_paged_by_50(partnership, admin_client):
    referral = factories.referral(partnership)
    user = partnership.users[Role.CASEWORKER]
    start = clock.now() - timedelta(hours=2)
    for minute in range(60):
        log_access(user, referral.resident_id, AccessAction.VIEW, f"view {minute}", referral.id)
    db.session.flush()
    for minute, row in enumerate(db.session.query(AccessLog).order_by(AccessLog.id)):
        row.at = start + timedelta(minutes=minute)
    db.session.commit()
    first = rows(admin_client.get("/admin/access-log"))
    assert len(first) == 50 and "view 59" in first[0]
    page = admin_client.get("/admin/access-log").get_data(as_text=True)
    assert 'href="/admin/access-log?page=2"' in page
    second = rows(admin_client.get("/admin/access-log?page=2"))
    assert len(second) == 10 and "view 0" in second[-1]
    assert len(rows(admin_client.get("/admin/access-log?page=99"))) == 10


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.COORDINATOR, Role.LEAD])
def test_only_admins_see_the_access_log(logged, as_role, role):
    assert as_role(role).get("/admin/access-log").status_code == 404
