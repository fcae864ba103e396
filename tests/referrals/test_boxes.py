"""The inbox and outbox: tabs and counts, filters, sorting, paging, overdue, and who sees what.

Expectations are worked out here from the referrals each test makes, never by asking
partnership.referrals.queries.
"""

import html
import re
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event as sa_event

from partnership import clock
from partnership.extensions import db
from partnership.models import (
    BankHoliday,
    Event,
    Outcome,
    ReferralStatus,
    Role,
    Urgency,
    User,
)
from tests import factories

S = ReferralStatus
# A Wednesday, after Christmas Day (Friday) and the Boxing Day substitute (Monday 28th).
TODAY = date(2026, 12, 30)
HOLIDAYS = (date(2026, 12, 25), date(2026, 12, 28))


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def fixed_today(clock_at):
    clock_at.move_to(at(TODAY, 14))


@pytest.fixture
def bank_holidays(app):
    db.session.add_all(BankHoliday(day=day, name="Bank holiday") for day in HOLIDAYS)
    db.session.commit()


def make(partnership, sent: datetime | None = None, **fields):
    """A referral from the surgery to the pantry, sent at `sent` (default: an hour ago)."""
    sent = sent or clock.now() - timedelta(hours=1)
    sent_at = None if fields.get("status") is S.DRAFT else sent
    return factories.referral(partnership, created_at=sent, sent_at=sent_at, **fields)


def row_ids(page: str) -> list[int]:
    return [
        int(found)
        for found in re.findall(r'<tr class="govuk-table__row" id="referral-(\d+)"', page)
    ]


def tab_counts(page: str) -> dict[str, int]:
    tabs = re.findall(r'class="moj-sub-navigation__link"[^>]*>([^<]+?) \(([\d,]+)\)</a>', page)
    return {label: int(count.replace(",", "")) for label, count in tabs}


def row_html(page: str, referral_id: int) -> str:
    match = re.search(
        rf'<tr class="govuk-table__row" id="referral-{referral_id}">(.*?)</tr>', page, re.S
    )
    assert match, f"referral {referral_id} is not on the page"
    return match.group(1)


def get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


# Tabs, counts and rows


@pytest.fixture
def mixed(partnership, fixed_today, bank_holidays):
    """Referrals to the pantry in every status, plus some it must never see in its inbox."""
    long_ago = at(date(2026, 12, 1))
    made = {
        "requested": [make(partnership, at(date(2026, 12, 29))) for _ in range(2)],
        "overdue": [make(partnership, long_ago, urgency=Urgency.URGENT)],
        "accepted": [make(partnership, long_ago, status=S.ACCEPTED) for _ in range(2)],
        "in-progress": [make(partnership, long_ago, status=S.IN_PROGRESS)],
        "on-hold": [make(partnership, long_ago, status=S.ON_HOLD) for _ in range(3)],
        "rejected": [make(partnership, long_ago, status=S.REJECTED)],
        "completed": [make(partnership, long_ago, status=S.COMPLETED)],
        "cancelled": [make(partnership, long_ago, status=S.CANCELLED)],
    }
    # Not the pantry's inbox: a draft, referrals to the council, one the pantry sent.
    council_service = factories.service(partnership.council)
    made["draft"] = [make(partnership, status=S.DRAFT)]
    made["elsewhere"] = [
        make(partnership, long_ago, to_service=council_service),
        make(
            partnership,
            long_ago,
            to_service=council_service,
            from_organisation=partnership.pantry,
            from_user=partnership.users[Role.COORDINATOR],
        ),
    ]
    db.session.commit()
    return {key: [referral.id for referral in referrals] for key, referrals in made.items()}


INBOX_TABS = {
    "New": ("new", ["requested", "overdue"]),
    "Accepted": ("accepted", ["accepted"]),
    "In progress": ("in-progress", ["in-progress"]),
    "On hold": ("on-hold", ["on-hold"]),
    "Overdue": ("overdue", ["overdue"]),
    "Closed": ("closed", ["rejected", "completed", "cancelled"]),
}


def test_inbox_tabs_count_and_list_the_organisations_referrals(mixed, as_role):
    client = as_role(Role.COORDINATOR)
    page = get(client, "/inbox")
    assert tab_counts(page) == {
        label: sum(len(mixed[group]) for group in groups)
        for label, (_, groups) in INBOX_TABS.items()
    }
    for _label, (key, groups) in INBOX_TABS.items():
        expected = {referral_id for group in groups for referral_id in mixed[group]}
        assert set(row_ids(get(client, f"/inbox?tab={key}"))) == expected, key


def test_the_new_tab_is_the_default_and_marks_its_place(mixed, as_role):
    page = get(as_role(Role.COORDINATOR), "/inbox")
    assert set(row_ids(page)) == set(mixed["requested"] + mixed["overdue"])
    assert re.search(r'aria-current="page" href="[^"]*tab=new"', page)


def test_inbox_rows_say_what_each_referral_is_about(partnership, as_role):
    colleague = _colleague(partnership)
    referral = make(
        partnership,
        urgency=Urgency.URGENT,
        need=factories.need("housing", "Housing"),
        neighbourhood=partnership.south,
        to_service=factories.service(partnership.pantry, name="Pantry parcels"),
        assignee=colleague,
    )
    opened = make(partnership, opened_at=clock.now())
    db.session.commit()
    page = get(as_role(Role.COORDINATOR), "/inbox")
    row = row_html(page, referral.id)
    assert f'href="/referrals/{referral.id}?back=/inbox">{referral.reference}</a>' in row
    for words in ("Housing", "Southside", "Urgent", "Pantry parcels", "Northside Surgery"):
        assert words in row
    assert "Pat Pantry" in row
    assert 'class="moj-badge moj-badge--blue">New</span>' in row
    assert "moj-badge" not in row_html(page, opened.id)
    assert "Unassigned" in row_html(page, opened.id)


def test_lists_show_no_personal_data(partnership, as_role):
    resident = factories.resident(
        partnership.north, partnership.surgery, given_name="Zebedee", family_name="Quartermaine"
    )
    make(partnership, resident=resident, summary="Zebedee needs a food parcel")
    db.session.commit()
    for role, url in ((Role.COORDINATOR, "/inbox"), (Role.CASEWORKER, "/outbox")):
        page = get(as_role(role), url)
        assert row_ids(page)
        assert "Zebedee" not in page and "Quartermaine" not in page, url


# Overdue, in working days


def test_overdue_counts_working_days_weekends_and_bank_holidays(
    partnership, fixed_today, bank_holidays, as_role
):
    # Wednesday 23 December is 3 working days before Wednesday 30 December (the 25th and
    # 28th are bank holidays): past due when urgent (2 days), not when routine (5).
    urgent_3_days = make(partnership, at(date(2026, 12, 23)), urgency=Urgency.URGENT)
    routine_3_days = make(partnership, at(date(2026, 12, 23)), urgency=Urgency.ROUTINE)
    # Thursday 24th: 6 calendar days ago, but only 2 working days (a weekend and two bank
    # holidays in between), so an urgent one is still on time.
    urgent_2_days = make(partnership, at(date(2026, 12, 24)), urgency=Urgency.URGENT)
    # Accepted in time: never overdue, however old.
    make(partnership, at(date(2026, 11, 2)), urgency=Urgency.URGENT, status=S.ACCEPTED)
    db.session.commit()
    client = as_role(Role.COORDINATOR)
    page = get(client, "/inbox")
    assert tab_counts(page)["Overdue"] == 1
    assert row_ids(get(client, "/inbox?tab=overdue")) == [urgent_3_days.id]
    assert "Overdue" in row_html(page, urgent_3_days.id)
    assert "Overdue" not in row_html(page, routine_3_days.id)
    assert "Overdue" not in row_html(page, urgent_2_days.id)


def test_without_the_bank_holiday_rows_those_days_count(partnership, fixed_today, as_role):
    urgent_24th = make(partnership, at(date(2026, 12, 24)), urgency=Urgency.URGENT)
    db.session.commit()
    page = get(as_role(Role.COORDINATOR), "/inbox?tab=overdue")
    assert row_ids(page) == [urgent_24th.id]


def test_overdue_is_flagged_in_the_outbox_too(partnership, fixed_today, bank_holidays, as_role):
    late = make(partnership, at(date(2026, 12, 23)), urgency=Urgency.URGENT)
    on_time = make(partnership, at(date(2026, 12, 23)), urgency=Urgency.ROUTINE)
    db.session.commit()
    client = as_role(Role.CASEWORKER)
    page = get(client, "/outbox")
    assert tab_counts(page)["Overdue"] == 1
    assert "Overdue" in row_html(page, late.id)
    assert "Overdue" not in row_html(page, on_time.id)
    assert row_ids(get(client, "/outbox?tab=overdue")) == [late.id]


# Filters


def _colleague(partnership) -> User:
    colleague = User(
        email="pat@pantry.example.org",
        name="Pat Pantry",
        organisation=partnership.pantry,
        role=Role.CASEWORKER,
        password_hash="not used in these tests",
    )
    db.session.add(colleague)
    db.session.flush()
    return colleague


@pytest.fixture
def varied(partnership):
    """Requested referrals to the pantry that differ in need, place, urgency and assignee."""
    me = partnership.users[Role.COORDINATOR]
    colleague = _colleague(partnership)
    food, housing = factories.need("food", "Food"), factories.need("housing", "Housing")
    specs = [
        (food, partnership.north, Urgency.URGENT, me),
        (food, partnership.south, Urgency.ROUTINE, None),
        (housing, partnership.north, Urgency.ROUTINE, colleague),
        (housing, partnership.south, Urgency.URGENT, None),
        (food, partnership.north, Urgency.ROUTINE, colleague),
    ]
    made = [
        make(partnership, need=need, neighbourhood=place, urgency=urgency, assignee=assignee)
        for need, place, urgency, assignee in specs
    ]
    db.session.commit()
    return {
        "referrals": made,
        "food": food.id,
        "housing": housing.id,
        "south": partnership.south.id,
        "colleague": colleague.id,
        "me": me.id,
    }


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        ("need={food}", lambda r, v: r.need_id == v["food"]),
        ("need={housing}", lambda r, v: r.need_id == v["housing"]),
        ("neighbourhood={south}", lambda r, v: r.neighbourhood_id == v["south"]),
        ("urgency=urgent", lambda r, v: r.urgency is Urgency.URGENT),
        ("urgency=routine", lambda r, v: r.urgency is Urgency.ROUTINE),
        ("assignee=me", lambda r, v: r.assignee_id == v["me"]),
        ("assignee=unassigned", lambda r, v: r.assignee_id is None),
        ("assignee={colleague}", lambda r, v: r.assignee_id == v["colleague"]),
        (
            "need={food}&urgency=routine",
            lambda r, v: r.need_id == v["food"] and r.urgency is Urgency.ROUTINE,
        ),
    ],
)
def test_each_filter_keeps_only_matching_referrals(varied, as_role, query, keep):
    expected = {r.id for r in varied["referrals"] if keep(r, varied)}
    assert expected and len(expected) < len(varied["referrals"])
    page = get(as_role(Role.COORDINATOR), "/inbox?" + query.format(**varied))
    assert set(row_ids(page)) == expected
    # The counts follow the filters, so a tab's count is what the tab lists.
    assert tab_counts(page)["New"] == len(expected)
    assert "Selected filters" in page


def test_a_selected_filter_can_be_removed(varied, as_role):
    page = get(as_role(Role.COORDINATOR), "/inbox?urgency=urgent&need={food}".format(**varied))
    remove = re.search(
        r'<a class="moj-filter__tag" href="([^"]+)"><span class="govuk-visually-hidden">'
        r"Remove this filter</span> Urgent</a>",
        page,
    )
    assert remove
    href = remove.group(1).replace("&amp;", "&")
    assert "urgency" not in href and f"need={varied['food']}" in href


def test_the_filter_form_works_without_javascript(varied, as_role):
    page = get(as_role(Role.COORDINATOR), "/inbox?tab=new")
    form = re.search(r'<form method="get" action="/inbox"[^>]*>(.*?)</form>', page, re.S)
    assert form, "the filters are an ordinary GET form"
    for name in ("need", "neighbourhood", "urgency", "assignee"):
        assert f'name="{name}"' in form.group(1)
    assert 'type="submit"' in form.group(1)


def _filter_panel(page: str) -> dict:
    """What the filter panel shows: the tab it keeps, the choices selected, the assignees
    offered, and where each "remove this filter" link goes."""
    form = re.search(r'<form method="get" action="/inbox"[^>]*>(.*?)</form>', page, re.S).group(1)
    assignees = re.search(r'<select[^>]*name="assignee"[^>]*>(.*?)</select>', form, re.S)
    return {
        "tab": re.search(r'name="tab" value="([^"]*)"', form).group(1),
        "selected": re.findall(r'<option value="([^"]+)" selected', form),
        "assignees": re.findall(r">([^<]+)</option>", assignees.group(1)),
        "removes": [
            html.unescape(href)
            for href in re.findall(r'<a class="moj-filter__tag" href="([^"]+)"', page)
        ],
    }


def test_the_filter_panel_always_shows_this_request_s_choices(varied, partnership, as_role):
    """The panel is kept once rendered: every tab, filter, stray value in the address and
    new colleague still gets its own."""
    client = as_role(Role.COORDINATOR)
    food, south = varied["food"], varied["south"]
    assert _filter_panel(get(client, f"/inbox?need={food}")) == {
        "tab": "new",
        "selected": [str(food)],
        "assignees": ["Anyone or no one", "Assigned to me", "Unassigned", "Pat Pantry"],
        "removes": ["/inbox"],
    }
    closed = _filter_panel(get(client, "/inbox?tab=closed"))
    assert (closed["tab"], closed["selected"], closed["removes"]) == ("closed", [], [])
    for stray in ("999", "998"):
        panel = _filter_panel(get(client, f"/inbox?need={stray}&neighbourhood={south}"))
        assert panel["selected"] == [str(south)]
        assert panel["removes"] == [f"/inbox?need={stray}"]
    db.session.add(
        User(
            email="sam@pantry.example.org",
            name="Sam Shelf",
            organisation=partnership.pantry,
            role=Role.COORDINATOR,
            password_hash="not used in these tests",
        )
    )
    db.session.commit()
    assert "Sam Shelf" in _filter_panel(get(client, f"/inbox?need={food}"))["assignees"]


# Sorting


URGENCY_RANK = {Urgency.ROUTINE: 0, Urgency.URGENT: 1}
LIFECYCLE = list(S)  # DESIGN section 3 order: draft, requested, accepted ... cancelled


@pytest.fixture
def sortable(partnership):
    now = clock.now()
    specs = [
        ("REF-2026-000030", Urgency.ROUTINE, 5),
        ("REF-2026-000010", Urgency.URGENT, 1),
        ("REF-2026-000050", Urgency.URGENT, 9),
        ("REF-2026-000020", Urgency.ROUTINE, 3),
        ("REF-2026-000040", Urgency.URGENT, 7),
    ]
    made = [
        make(partnership, now - timedelta(hours=hours), reference=reference, urgency=urgency)
        for reference, urgency, hours in specs
    ]
    db.session.commit()
    return made


@pytest.mark.parametrize(
    ("sort", "order", "key", "descending"),
    [
        ("sent", "descending", lambda r: (r.sent_at, r.id), True),
        ("sent", "ascending", lambda r: (r.sent_at, r.id), False),
        ("reference", "ascending", lambda r: r.reference, False),
        ("reference", "descending", lambda r: r.reference, True),
        ("urgency", "descending", lambda r: (URGENCY_RANK[r.urgency], r.sent_at), True),
        ("urgency", "ascending", lambda r: (URGENCY_RANK[r.urgency], r.sent_at), False),
    ],
)
def test_the_inbox_sorts_on_the_server(sortable, as_role, sort, order, key, descending):
    expected = [r.id for r in sorted(sortable, key=key, reverse=descending)]
    page = get(as_role(Role.COORDINATOR), f"/inbox?sort={sort}&order={order}")
    assert row_ids(page) == expected
    header = re.search(rf'<th [^>]*aria-sort="([a-z]+)">\s*<a [^>]*sort={sort}&', page)
    assert header and header.group(1) == order


def test_the_default_sort_is_newest_first_and_says_so(sortable, as_role):
    page = get(as_role(Role.COORDINATOR), "/inbox")
    newest_first = [r.id for r in sorted(sortable, key=lambda r: r.sent_at, reverse=True)]
    assert row_ids(page) == newest_first
    assert page.count('aria-sort="descending"') == 1
    assert page.count('aria-sort="none"') == 2  # reference and urgency


@pytest.mark.parametrize("order", ["ascending", "descending"])
def test_the_inbox_sorts_by_status_in_lifecycle_order(partnership, as_role, order):
    made = [
        make(partnership, status=status)
        for status in (S.CANCELLED, S.REJECTED, S.COMPLETED, S.REJECTED)
    ]
    db.session.commit()
    expected = sorted(
        made,
        key=lambda r: (LIFECYCLE.index(r.status), r.sent_at, r.id),
        reverse=order == "descending",
    )
    page = get(as_role(Role.COORDINATOR), f"/inbox?tab=closed&sort=status&order={order}")
    assert row_ids(page) == [r.id for r in expected]


def test_a_sort_link_flips_the_order_and_keeps_the_filters(sortable, as_role):
    page = get(as_role(Role.COORDINATOR), "/inbox?urgency=urgent&sort=sent&order=descending")
    link = re.search(r'aria-sort="descending">\s*<a [^>]*href="([^"]+)"', page).group(1)
    assert "order=ascending" in link and "urgency=urgent" in link


# Paging


def test_the_inbox_pages_25_at_a_time(partnership, as_role):
    now = clock.now()
    made = [make(partnership, now - timedelta(minutes=n)) for n in range(60)]
    db.session.commit()
    client = as_role(Role.COORDINATOR)
    pages = [row_ids(get(client, f"/inbox?page={n}")) for n in (1, 2, 3)]
    assert [len(rows) for rows in pages] == [25, 25, 10]
    assert sum(pages, []) == [r.id for r in made]  # newest first, no gaps, no repeats
    first = get(client, "/inbox")
    assert 'class="govuk-pagination"' in first and 'rel="next"' in first
    assert "Showing 1 to 25 of 60" in first
    # Past the end shows the last page rather than nothing.
    assert row_ids(get(client, "/inbox?page=99")) == pages[2]


def test_a_short_inbox_has_no_pagination(partnership, as_role):
    make(partnership)
    db.session.commit()
    assert 'class="govuk-pagination"' not in get(as_role(Role.COORDINATOR), "/inbox")


def test_the_outbox_pages_too(partnership, as_role):
    now = clock.now()
    made = [make(partnership, now - timedelta(minutes=n)) for n in range(30)]
    db.session.commit()
    client = as_role(Role.CASEWORKER)
    first = row_ids(get(client, "/outbox?sort=sent"))
    second = row_ids(get(client, "/outbox?sort=sent&page=2"))
    assert first + second == [r.id for r in made]


# A fixed number of queries


def test_the_boxes_cost_the_same_number_of_queries_for_1_row_or_25(partnership, as_role):
    clients = {"/inbox": as_role(Role.COORDINATOR), "/outbox": as_role(Role.CASEWORKER)}

    def statements(url: str) -> int:
        seen, here = [], threading.get_ident()

        def count(_connection, _cursor, statement, *_args):
            # Only this thread's: the live relay reads the events table from its own.
            if threading.get_ident() == here:
                seen.append(statement)

        sa_event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert len(row_ids(get(clients[url], url))) in (1, 25)
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", count)
        # The counts by status, the overdue count (only when some are waiting), the rows.
        assert sum("FROM referrals" in statement for statement in seen) == 3, url
        return len(seen)

    colleague = _colleague(partnership)
    first = make(partnership, assignee=colleague)
    db.session.add(
        Event(kind="opened", referral_id=first.id, from_organisation_id=first.from_organisation_id)
    )
    db.session.commit()
    one_row = {url: statements(url) for url in ("/inbox", "/outbox")}
    for n in range(30):
        referral = make(
            partnership,
            assignee=colleague,
            need=factories.need(f"need-{n}"),
            to_service=factories.service(partnership.pantry),
        )
        db.session.add(
            Event(
                kind="opened",
                referral_id=referral.id,
                from_organisation_id=first.from_organisation_id,
            )
        )
    db.session.commit()
    assert {url: statements(url) for url in ("/inbox", "/outbox")} == one_row


# The outbox


def test_outbox_shows_opened_last_activity_and_outcome(partnership, as_role):
    coordinator = partnership.users[Role.COORDINATOR]
    not_opened = make(partnership)
    accepted = make(partnership, status=S.ACCEPTED, opened_at=clock.now() - timedelta(hours=3))
    completed = make(
        partnership,
        clock.now() - timedelta(days=10),
        status=S.COMPLETED,
        outcome=Outcome.NEED_MET,
        opened_at=clock.now() - timedelta(days=9),
    )

    def happened(referral, kind, hours_ago, **fields):
        db.session.add(
            Event(
                kind=kind,
                referral_id=referral.id,
                actor_id=coordinator.id,
                from_organisation_id=referral.from_organisation_id,
                to_organisation_id=referral.to_organisation_id,
                created_at=clock.now() - timedelta(hours=hours_ago),
                **fields,
            )
        )

    happened(accepted, "opened", 3)
    happened(accepted, "accepted", 2, from_status=S.REQUESTED, to_status=S.ACCEPTED)
    happened(completed, "completed", 26, to_status=S.COMPLETED)
    db.session.commit()
    page = get(as_role(Role.CASEWORKER), "/outbox")

    assert "Not opened yet" in row_html(page, not_opened.id)
    assert "Sent 1 hour ago" in row_html(page, not_opened.id)
    row = row_html(page, accepted.id)
    assert "Opened" in row and "Not opened yet" not in row
    assert "Accepted 2 hours ago" in row
    assert "Southside Pantry" in row
    row = row_html(page, completed.id)
    assert "Completed 1 day ago" in row
    assert "Outcome: Need met" in row
    assert "Outcome" not in row_html(page, accepted.id)


def test_outbox_sorts_by_last_activity_and_by_sent_date(partnership, as_role):
    now = clock.now()
    oldest_sent = make(partnership, now - timedelta(days=3))
    middle_sent = make(partnership, now - timedelta(days=2))
    newest_sent = make(partnership, now - timedelta(days=1))
    # The oldest referral has the latest news.
    db.session.add(
        Event(
            kind="accepted",
            referral_id=oldest_sent.id,
            from_organisation_id=oldest_sent.from_organisation_id,
            to_organisation_id=oldest_sent.to_organisation_id,
            created_at=now - timedelta(minutes=5),
        )
    )
    db.session.commit()
    client = as_role(Role.CASEWORKER)
    by_activity = [oldest_sent.id, newest_sent.id, middle_sent.id]
    assert row_ids(get(client, "/outbox")) == by_activity
    assert row_ids(get(client, "/outbox?sort=activity&order=ascending")) == by_activity[::-1]
    by_sent = [newest_sent.id, middle_sent.id, oldest_sent.id]
    assert row_ids(get(client, "/outbox?sort=sent&order=descending")) == by_sent


def test_outbox_tabs_split_by_status(mixed, as_role):
    client = as_role(Role.CASEWORKER)
    page = get(client, "/outbox")
    sent = [
        referral_id
        for group in mixed
        if group not in ("draft", "elsewhere")
        for referral_id in mixed[group]
    ]
    to_council = mixed["elsewhere"][0]  # the surgery sent it; the pantry sent the other
    assert set(row_ids(page)) == set(sent) | {to_council}
    counts = tab_counts(page)
    assert counts["All"] == len(sent) + 1
    assert counts["Waiting for a reply"] == 2 + 1 + 1  # requested, overdue, to the council
    assert counts["Accepted"] == 2 + 1 + 3
    assert counts["Closed"] == 3
    assert set(row_ids(get(client, "/outbox?tab=closed"))) == set(
        mixed["rejected"] + mixed["completed"] + mixed["cancelled"]
    )


# Who sees what


def test_other_organisations_never_see_the_referrals(mixed, app, as_role, partnership):
    from tests.conftest import sign_in_as

    outsider = sign_in_as(app.test_client(), partnership.outsider)  # the council
    pantry_and_surgery = {
        referral_id for group, ids in mixed.items() if group != "elsewhere" for referral_id in ids
    }
    for url in [f"/inbox?tab={key}" for key, _ in INBOX_TABS.values()] + ["/outbox"]:
        assert not pantry_and_surgery & set(row_ids(get(outsider, url))), url
    # The council's inbox has exactly the two referrals sent to it.
    council_inbox = set(row_ids(get(outsider, "/inbox?tab=new")))
    assert council_inbox == set(mixed["elsewhere"]) and not row_ids(get(outsider, "/outbox"))
    # The surgery sent referrals but received none; the pantry's outbox has only its own.
    assert row_ids(get(as_role(Role.CASEWORKER), "/inbox")) == []
    pantry_outbox = row_ids(get(as_role(Role.COORDINATOR), "/outbox"))
    assert pantry_outbox == [mixed["elsewhere"][1]]


@pytest.mark.parametrize("role", [Role.LEAD, Role.ADMIN])
@pytest.mark.parametrize("url", ["/inbox", "/outbox", "/notifications"])
def test_leads_and_admins_get_404(partnership, as_role, role, url):
    make(partnership)
    db.session.commit()
    assert as_role(role).get(url).status_code == 404


@pytest.mark.parametrize("url", ["/inbox", "/outbox", "/notifications"])
def test_signed_out_people_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("url", ["/inbox", "/outbox"])
@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=-1",
        "page=0",
        "page=99999999999999999999",
        "sort=evil",
        "sort=reference&order=sideways",
        "need=999",
        "need=abc",
        "neighbourhood=1%27%20OR%201=1",
        "urgency=extreme",
        "assignee=999999",
        "assignee=",
        "tab=nope",
        "tab=overdue&sort=urgency&need=&page=2",
    ],
)
def test_bad_query_values_never_fail(partnership, as_role, url, query):
    made = make(partnership)
    db.session.commit()
    page = get(as_role(Role.COORDINATOR if url == "/inbox" else Role.CASEWORKER), f"{url}?{query}")
    if "tab=overdue" not in query:
        assert row_ids(page) == [made.id]


def test_links_never_carry_crafted_url_options(partnership, as_role):
    make(partnership)
    db.session.commit()
    query = "_external=1&_scheme=javascript&_anchor=x&urgency=routine"
    page = get(as_role(Role.COORDINATOR), f"/inbox?{query}")
    assert "javascript" not in page and "_external" not in page and "#x" not in page
    assert 'href="/inbox?urgency=routine&amp;tab=accepted"' in page


def test_coordinators_and_caseworkers_both_have_boxes(partnership, as_role):
    make(partnership)
    db.session.commit()
    for role in (Role.CASEWORKER, Role.COORDINATOR):
        for url in ("/inbox", "/outbox"):
            assert as_role(role).get(url).status_code == 200
