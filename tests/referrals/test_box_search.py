"""Searching the inbox and the outbox: by reference, or by the resident's name or NHS
number, among the referrals the organisation is party to; every resident a search shows is
written to the access log, once per page."""

import html
import re
from urllib.parse import unquote, urlencode

import pytest
from sqlalchemy import func, select

from partnership.extensions import db
from partnership.models import AccessAction, AccessLog, ReferralStatus, Role
from tests import factories
from tests.conftest import sign_in_as
from tests.referrals.test_boxes import get, row_ids, tab_counts

S = ReferralStatus
NHS = "9434765919"


@pytest.fixture
def people(partnership):
    """Referrals from the surgery to the pantry of Ann Smith (two: one new, one closed)
    and Bob Jones; and one of Ann from the council to a council service, which neither
    the surgery nor the pantry is party to."""
    north = partnership.north
    ann = factories.resident(
        north, partnership.surgery, given_name="Ann", family_name="Smith", nhs_number=NHS
    )
    bob = factories.resident(north, partnership.surgery, given_name="Bob", family_name="Jones")
    pantry_service = factories.service(partnership.pantry, name="Food parcels", places=5)
    council_service = factories.service(partnership.council, name="Advice")
    made = {
        "ann_new": factories.referral(partnership, resident=ann, to_service=pantry_service),
        "ann_closed": factories.referral(
            partnership, resident=ann, to_service=pantry_service, status=S.COMPLETED
        ),
        "bob_referral": factories.referral(partnership, resident=bob, to_service=pantry_service),
        "elsewhere": factories.referral(
            partnership,
            resident=ann,
            to_service=council_service,
            from_organisation=partnership.council,
            from_user=partnership.outsider,
        ),
    }
    db.session.commit()
    made.update(ann=ann, bob=bob)
    return made


def views_logged(resident=None) -> int:
    db.session.expire_all()
    query = select(func.count()).where(AccessLog.action == AccessAction.VIEW)
    if resident is not None:
        query = query.where(AccessLog.resident_id == resident.id)
    return db.session.scalar(query)


def search(client, box: str, typed: str, **args) -> str:
    return get(client, f"/{box}?" + urlencode({"q": typed, **args}))


@pytest.mark.parametrize("box", ["inbox", "outbox"])
def test_a_reference_finds_its_referral_wherever_its_tab(people, as_role, box):
    client = as_role(Role.COORDINATOR if box == "inbox" else Role.CASEWORKER)
    closed = people["ann_closed"]
    page = search(client, box, closed.reference.lower())
    assert row_ids(page) == [closed.id]
    # No tab was named: the first tab holding what was found is shown.
    expected = "Inbox: Closed" if box == "inbox" else "Outbox: All"
    assert f"<title>{expected}" in page
    # Part of the reference is enough.
    assert closed.id in row_ids(search(client, box, closed.reference[-6:], tab="closed"))


@pytest.mark.parametrize("box", ["inbox", "outbox"])
def test_a_name_or_nhs_number_finds_the_resident_s_referrals_and_names_them(people, as_role, box):
    client = as_role(Role.COORDINATOR if box == "inbox" else Role.CASEWORKER)
    ann_new, ann_closed = people["ann_new"], people["ann_closed"]
    page = search(client, box, "smith", tab="closed" if box == "inbox" else "all")
    assert set(row_ids(page)) == (
        {ann_closed.id} if box == "inbox" else {ann_new.id, ann_closed.id}
    )
    assert "Ann Smith" in page and ">Resident</th>" in page
    for typed in ("ann smi", "943 476 5919", NHS):
        page = search(client, box, typed)
        assert ann_new.id in row_ids(page) and people["bob_referral"].id not in row_ids(page), typed
    # The tabs count what the search found.
    if box == "inbox":
        assert tab_counts(search(client, box, "smith"))["Closed"] == 1


def test_referrals_the_organisation_is_not_party_to_are_never_found(
    people, app, partnership, as_role
):
    elsewhere = people["elsewhere"]
    for role in (Role.CASEWORKER, Role.COORDINATOR):
        for box in ("inbox", "outbox"):
            client = as_role(role)
            for typed in ("smith", NHS, elsewhere.reference):
                for tab in ("all", "new", "closed"):
                    page = search(client, box, typed, tab=tab)
                    assert elsewhere.id not in row_ids(page), (role, box, typed)
    # The council sent it: its own outbox finds it.
    council = sign_in_as(app.test_client(), partnership.outsider)
    assert row_ids(search(council, "outbox", "smith")) == [elsewhere.id]


@pytest.mark.parametrize("typed", ["%", "_", "%%", "\\", "S%th", "Sm_th"])
def test_like_wildcards_match_only_themselves(people, as_role, typed):
    page = search(as_role(Role.CASEWORKER), "outbox", typed)
    assert row_ids(page) == []
    assert views_logged() == 0


def test_each_resident_shown_is_logged_once_per_page(people, partnership, as_role):
    client = as_role(Role.CASEWORKER)
    page = search(client, "outbox", "smith")
    assert len(row_ids(page)) == 2  # two referrals of Ann on the page
    assert views_logged(people["ann"]) == 1
    assert views_logged(people["bob"]) == 0
    row = db.session.scalar(select(AccessLog).where(AccessLog.resident_id == people["ann"].id))
    assert (row.user_id, row.what) == (partnership.users[Role.CASEWORKER].id, "outbox search")
    assert row.referral_id is None
    search(client, "outbox", "jones")
    assert views_logged(people["bob"]) == 1
    assert views_logged(people["ann"]) == 1


def test_lists_without_a_search_show_and_log_no_resident(people, as_role):
    for box, role in (("inbox", Role.COORDINATOR), ("outbox", Role.CASEWORKER)):
        page = get(as_role(role), f"/{box}")
        assert "Smith" not in page and ">Resident</th>" not in page
    assert views_logged() == 0


def test_a_search_too_long_is_explained_and_not_run(people, as_role):
    response = as_role(Role.CASEWORKER).get("/outbox?q=" + "a" * 101)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Error:" in page and "Search must be 100 characters or fewer" in page
    assert len(row_ids(page)) == 3  # the outbox as if nothing was typed
    assert views_logged() == 0


def test_a_search_keeps_the_filters_and_they_keep_it(people, as_role):
    client = as_role(Role.COORDINATOR)
    page = html.unescape(search(client, "inbox", "smith", urgency="routine", tab="new"))
    search_form = re.search(r'<form role="search".*?</form>', page, re.S)[0]
    assert 'name="urgency" value="routine"' in search_form
    filter_form = re.search(r'<form method="get" action="/inbox"[^>]*>(.*?)</form>', page, re.S)[1]
    assert 'name="q" value="smith"' in filter_form
    # Links to the referral come back to this very search.
    assert f'href="/referrals/{people["ann_new"].id}?back=/inbox?' in page
    assert "q=smith" in unquote(re.search(r'href="/referrals/\d+\?back=([^"]+)"', page)[1])


def test_the_filter_panel_with_a_search_is_never_kept_in_memory(people, as_role, monkeypatch):
    from partnership import cache

    kept = []
    real = cache.kept_fragment
    monkeypatch.setattr(
        cache, "kept_fragment", lambda key, make: kept.append(key) or real(key, make)
    )
    search(as_role(Role.COORDINATOR), "inbox", "smith")
    assert not any("smith" in repr(key) for key in kept)


def test_only_caseworkers_and_coordinators_search(people, as_role):
    for role in (Role.LEAD, Role.ADMIN):
        assert as_role(role).get("/inbox?q=smith").status_code == 404
    assert views_logged() == 0
