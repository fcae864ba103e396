"""The inbox and the outbox: which referrals, counted by tab, filtered, sorted and paged.

Privacy by design: these lists show a referral's reference, need, neighbourhood, urgency,
service and organisations, never a resident's name or any other personal data, so
listing them writes no access log. The referral page shows the resident to the two
parties and logs each view. A search is the one exception: it finds referrals by
reference, or by the resident's name or NHS number, among those the organisation is party
to, and its rows name the resident, so the view logs each resident a search shows.

Each page costs a fixed handful of queries whatever its length: bank holidays, the filter
choices, the counts by status and the overdue count for the tabs, and one joined query for
the rows.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from partnership import access, clock, words
from partnership.clock import LONDON
from partnership.extensions import db
from partnership.inputs import containing, whole_number
from partnership.models import (
    ACTIVE_STATUSES,
    CLOSED_STATUSES,
    SENT_STATUSES,
    Event,
    NeedCategory,
    Neighbourhood,
    Organisation,
    Referral,
    ReferralStatus,
    Resident,
    Service,
    Urgency,
    User,
)
from partnership.referrals.overdue import bank_holidays, earliest_overdue_sent_date
from partnership.referrals.residents import clean_nhs_number
from partnership.words import day_words, time_since

S = ReferralStatus
PAGE_SIZE = 25

# Lifecycle order, so that sorting by status reads as the referral's progress.
STATUS_ORDER = {status: position for position, status in enumerate(S)}


def ago(moment: datetime, now: datetime | None = None) -> str:
    """ "just now", "5 minutes ago", "2 hours ago", "3 days ago", then "on 3 March 2026"."""
    now = now or clock.now()
    if (now - moment).days >= 30:
        return f"on {day_words(moment)}"
    return time_since(moment, now)


def short_day(moment: datetime) -> str:
    """ "3 Mar 2026": GOV.UK style abbreviates months in tables, where space is short."""
    local = moment.astimezone(LONDON)
    return f"{local.day} {local:%b %Y}"


# Tabs


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    statuses: tuple[ReferralStatus, ...]
    empty: str
    overdue_only: bool = False

    @property
    def mixes_statuses(self) -> bool:
        """Only a tab holding several statuses needs a status column to tell them apart."""
        return len(self.statuses) > 1


INBOX_TABS = (
    Tab("new", "New", (S.REQUESTED,), "No new referrals"),
    Tab("accepted", "Accepted", (S.ACCEPTED,), "No accepted referrals waiting to start"),
    Tab("in-progress", "In progress", (S.IN_PROGRESS,), "No referrals in progress"),
    Tab("on-hold", "On hold", (S.ON_HOLD,), "No referrals on hold"),
    Tab("overdue", "Overdue", (S.REQUESTED,), "No overdue referrals", overdue_only=True),
    Tab("closed", "Closed", CLOSED_STATUSES, "No closed referrals"),
)
OUTBOX_TABS = (
    Tab("all", "All", SENT_STATUSES, "Your organisation has not sent any referrals yet"),
    Tab("waiting", "Waiting for a reply", (S.REQUESTED,), "No referrals waiting for a reply"),
    Tab("active", "Accepted", ACTIVE_STATUSES, "No accepted referrals under way"),
    Tab("overdue", "Overdue", (S.REQUESTED,), "No overdue referrals", overdue_only=True),
    Tab("closed", "Closed", CLOSED_STATUSES, "No closed referrals"),
)


def choose_tab(tabs: tuple[Tab, ...], key: str | None) -> Tab:
    """The tab named in the address, or the first one for anything unknown."""
    return next((tab for tab in tabs if tab.key == key), tabs[0])


@dataclass(frozen=True)
class TabCount:
    tab: Tab
    count: int


def overdue_clause(on: date, holidays: frozenset[date]):
    """Requested referrals past their due date on `on`, as a WHERE clause.

    The working-day arithmetic happens once per urgency (overdue.py), so the database
    compares sent_at with a fixed moment and never counts working days row by row.
    """
    late = [
        and_(
            Referral.urgency == urgency,
            Referral.sent_at
            < clock.start_of_day(earliest_overdue_sent_date(urgency, on, holidays)),
        )
        for urgency in Urgency
    ]
    return and_(Referral.status == S.REQUESTED, or_(*late))


def _tab_clause(tab: Tab, overdue):
    return overdue if tab.overdue_only else Referral.status.in_(tab.statuses)


def _tab_counts(tabs: tuple[Tab, ...], conditions: list, overdue) -> list[TabCount]:
    """Every tab's count from two queries: the referrals by status, then the overdue ones.

    Apart, each is read from an index alone (the box's index by status, and the partial
    index of waiting referrals); counting the overdue ones in the same scan as a CASE
    made PostgreSQL read every referral's row: 50 ms and more for a busy organisation.
    """
    by_status = dict(
        db.session.execute(
            select(Referral.status, func.count()).where(*conditions).group_by(Referral.status)
        ).all()
    )
    late = 0
    if by_status.get(S.REQUESTED):
        late = db.session.execute(select(func.count()).where(*conditions, overdue)).scalar_one()
    return [
        TabCount(
            tab,
            late if tab.overdue_only else sum(by_status.get(s, 0) for s in tab.statuses),
        )
        for tab in tabs
    ]


# Filters


@dataclass(frozen=True)
class Choice:
    value: str
    text: str


@dataclass(frozen=True)
class FilterChoices:
    needs: list[Choice]
    neighbourhoods: list[Choice]
    urgencies: list[Choice]
    assignees: list[Choice]


UNASSIGNED = "unassigned"
ASSIGNED_TO_ME = "me"


def filter_choices(user: User) -> FilterChoices:
    """What the inbox can be filtered by; the assignees are the user's own colleagues."""
    needs = db.session.execute(select(NeedCategory.id, NeedCategory.name).order_by("name"))
    places = db.session.execute(select(Neighbourhood.id, Neighbourhood.name).order_by("name"))
    colleagues = db.session.execute(
        select(User.id, User.name)
        .where(
            User.organisation_id == user.organisation_id,
            access.works_on_referrals_clause(),
            User.id != user.id,
        )
        .order_by(User.name)
    )
    return FilterChoices(
        needs=[Choice(str(id_), name) for id_, name in needs],
        neighbourhoods=[Choice(str(id_), name) for id_, name in places],
        urgencies=[Choice("urgent", "Urgent"), Choice("routine", "Routine")],
        assignees=[Choice(ASSIGNED_TO_ME, "Assigned to me"), Choice(UNASSIGNED, "Unassigned")]
        + [Choice(str(id_), name) for id_, name in colleagues],
    )


@dataclass(frozen=True)
class Filters:
    """The inbox filters chosen, each a value from `FilterChoices` or None for any."""

    need: str | None = None
    neighbourhood: str | None = None
    urgency: str | None = None
    assignee: str | None = None

    NAMES = ("need", "neighbourhood", "urgency", "assignee")

    @classmethod
    def from_args(cls, args: Mapping[str, str], choices: FilterChoices) -> "Filters":
        """Keep only values on offer, so a made-up value is ignored rather than an error."""

        def pick(name: str, offered: list[Choice]) -> str | None:
            value = args.get(name)
            return value if any(choice.value == value for choice in offered) else None

        return cls(
            need=pick("need", choices.needs),
            neighbourhood=pick("neighbourhood", choices.neighbourhoods),
            urgency=pick("urgency", choices.urgencies),
            assignee=pick("assignee", choices.assignees),
        )

    def chosen(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.NAMES if getattr(self, name)}

    def clauses(self, user: User) -> list:
        clauses = []
        if self.need:
            clauses.append(Referral.need_id == int(self.need))
        if self.neighbourhood:
            clauses.append(Referral.neighbourhood_id == int(self.neighbourhood))
        if self.urgency:
            clauses.append(Referral.urgency == Urgency(self.urgency))
        if self.assignee == UNASSIGNED:
            clauses.append(Referral.assignee_id.is_(None))
        elif self.assignee == ASSIGNED_TO_ME:
            clauses.append(Referral.assignee_id == user.id)
        elif self.assignee:
            clauses.append(Referral.assignee_id == int(self.assignee))
        return clauses


# Searching

LONGEST_SEARCH = 100
# More words than this add nothing but a slower query.
SEARCH_WORDS = 6


@dataclass(frozen=True)
class Search:
    """What was typed in the box's search (`q`), and why it cannot be used, if it cannot."""

    typed: str = ""
    problem: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "Search":
        typed = (args.get("q") or "").strip()
        if len(typed) > LONGEST_SEARCH:
            return cls(typed, f"Search must be {LONGEST_SEARCH} characters or fewer")
        return cls(typed)

    @property
    def active(self) -> bool:
        return bool(self.typed) and self.problem is None

    def clauses(self, user: User) -> list:
        return [search_clause(user, self.typed)] if self.active else []


def search_clause(user: User, typed: str):
    """Referrals the user's organisation is party to whose reference holds `typed`, or whose
    resident has every word of it in their names, or has it as their NHS number. What is
    typed matches as written: `%` and `_` are not wildcards."""
    # Its own alias: the rows of a search join the resident too.
    Found = aliased(Resident)
    names = and_(
        *[
            or_(containing(Found.given_name, word), containing(Found.family_name, word))
            for word in typed.split()[:SEARCH_WORDS]
        ]
    )
    digits = clean_nhs_number(typed) or ""
    by_resident = (
        or_(names, Found.nhs_number == digits)
        if len(digits) == 10 and whole_number(digits) is not None
        else names
    )
    return and_(
        access.party_referrals_clause(user),
        or_(
            containing(Referral.reference, typed),
            exists().where(Found.id == Referral.resident_id, by_resident),
        ),
    )


def _searched_tab(tabs: list[TabCount], tab: Tab, args: Mapping[str, str], search: Search) -> Tab:
    """A search with no tab named shows the first tab that has what it found."""
    if not search.active or args.get("tab") is not None:
        return tab
    return next((count.tab for count in tabs if count.count), tab)


def _resident_columns(search: Search) -> tuple:
    """The resident's id and names for the rows of a search; nothing otherwise."""
    if not search.active:
        return ()
    return (Resident.id.label("resident_id"), Resident.given_name, Resident.family_name)


def _resident_of(row, search: Search) -> dict:
    if not search.active:
        return {}
    return {"resident_id": row.resident_id, "resident": f"{row.given_name} {row.family_name}"}


# Sorting and paging


@dataclass(frozen=True)
class Sort:
    key: str
    descending: bool

    @property
    def order(self) -> str:
        return "descending" if self.descending else "ascending"


def choose_sort(args: Mapping[str, str], keys: tuple[str, ...], default: Sort) -> Sort:
    """The sort in the address if it is one on offer, else the default."""
    key = args.get("sort")
    if key not in keys:
        return default
    order = args.get("order")
    if order not in ("ascending", "descending"):
        return Sort(key, DEFAULT_DESCENDING.get(key, False))
    return Sort(key, order == "descending")


# The direction a column sorts in first: newest, most urgent, latest activity first.
DEFAULT_DESCENDING = {"sent": True, "urgency": True, "activity": True}


def choose_page(args: Mapping[str, str]) -> int:
    value = whole_number(args.get("page"))
    return value if value is not None and 0 < value < 1_000_000 else 1


def _ordered(column, descending: bool):
    return column.desc() if descending else column.asc()


@dataclass
class Box:
    """One page of a box: its tabs with counts, the current tab, and its rows."""

    tabs: list[TabCount]
    tab: Tab
    sort: Sort
    page: int
    pages: int
    total: int
    rows: list = field(default_factory=list)
    filters: Filters = field(default_factory=Filters)
    choices: FilterChoices | None = None
    search: Search = field(default_factory=Search)

    @property
    def residents_shown(self) -> list[int]:
        """Each resident the rows name, once: a search's rows name them."""
        return list(dict.fromkeys(row.resident_id for row in self.rows if row.resident_id))

    @property
    def first(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.total else 0

    @property
    def last(self) -> int:
        return min(self.page * PAGE_SIZE, self.total)


def _paging(requested: int, total: int) -> tuple[int, int]:
    """The page to show (past the end means the last page) and how many there are."""
    pages = max(1, math.ceil(total / PAGE_SIZE))
    return min(requested, pages), pages


# The inbox

INBOX_SORTS = ("sent", "urgency", "reference", "status")


@dataclass(frozen=True)
class InboxRow:
    id: int
    reference: str
    need: str
    neighbourhood: str
    urgent: bool
    service: str
    from_organisation: str
    sent: str
    sent_at: datetime | None
    assignee: str | None
    overdue: bool
    new: bool
    status: ReferralStatus
    # Only a search's rows name the resident.
    resident_id: int | None = None
    resident: str | None = None

    @property
    def status_label(self) -> str:
        return words.STATUS[self.status]

    @property
    def status_colour(self) -> str:
        return words.STATUS_COLOUR[self.status]


def inbox_sort_column(key: str):
    if key == "urgency":
        return case((Referral.urgency == Urgency.URGENT, 1), else_=0)
    if key == "reference":
        return Referral.reference
    if key == "status":
        return case(
            *((Referral.status == status, position) for status, position in STATUS_ORDER.items())
        )
    return Referral.sent_at


def inbox(user: User, args: Mapping[str, str]) -> Box:
    """The referrals sent to the user's organisation, for the tab, filters, sort and page
    named in `args` (query parameters; anything unknown falls back to the default)."""
    choices = filter_choices(user)
    filters = Filters.from_args(args, choices)
    search = Search.from_args(args)
    tab = choose_tab(INBOX_TABS, args.get("tab"))
    sort = choose_sort(args, INBOX_SORTS, Sort("sent", descending=True))
    overdue = overdue_clause(clock.today(), bank_holidays())
    # to_organisation_id and status lead the inbox index.
    conditions = [
        Referral.to_organisation_id == user.organisation_id,
        Referral.status.in_(SENT_STATUSES),
        *filters.clauses(user),
        *search.clauses(user),
    ]
    tabs = _tab_counts(INBOX_TABS, conditions, overdue)
    tab = _searched_tab(tabs, tab, args, search)
    total = next(count.count for count in tabs if count.tab == tab)
    page, pages = _paging(choose_page(args), total)

    order = (
        _ordered(inbox_sort_column(sort.key), sort.descending),
        _ordered(Referral.sent_at, sort.descending),
        _ordered(Referral.id, sort.descending),
    )
    # The page's referrals first, from the inbox index alone where it can; then the names
    # for those 25 only. Joining first made PostgreSQL join and sort all 10,000 closed
    # referrals of a busy organisation for every page of its closed tab.
    on_page = (
        select(Referral.id)
        .where(*conditions, _tab_clause(tab, overdue))
        .order_by(*order)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
        .subquery()
    )
    From = aliased(Organisation)
    Assignee = aliased(User)
    query = (
        select(
            Referral.id,
            Referral.reference,
            Referral.urgency,
            Referral.status,
            Referral.sent_at,
            Referral.opened_at,
            NeedCategory.name.label("need"),
            Neighbourhood.name.label("neighbourhood"),
            Service.name.label("service"),
            From.name.label("from_organisation"),
            Assignee.name.label("assignee"),
            overdue.label("overdue"),
            *_resident_columns(search),
        )
        .join(on_page, on_page.c.id == Referral.id)
        .join(NeedCategory, NeedCategory.id == Referral.need_id)
        .join(Neighbourhood, Neighbourhood.id == Referral.neighbourhood_id)
        .join(Service, Service.id == Referral.to_service_id)
        .join(From, From.id == Referral.from_organisation_id)
        .outerjoin(Assignee, Assignee.id == Referral.assignee_id)
        .order_by(*order)
    )
    if search.active:
        query = query.join(Resident, Resident.id == Referral.resident_id)
    rows = db.session.execute(query).all()
    return Box(
        tabs=tabs,
        tab=tab,
        sort=sort,
        page=page,
        pages=pages,
        total=total,
        filters=filters,
        choices=choices,
        search=search,
        rows=[
            InboxRow(
                id=row.id,
                reference=row.reference,
                need=row.need,
                neighbourhood=row.neighbourhood,
                urgent=row.urgency is Urgency.URGENT,
                service=row.service,
                from_organisation=row.from_organisation,
                sent=short_day(row.sent_at) if row.sent_at else "Not sent",
                sent_at=row.sent_at,
                assignee=row.assignee,
                overdue=bool(row.overdue),
                # Closed without ever being opened (cancelled by the referrer) is not news.
                new=row.opened_at is None and row.status not in CLOSED_STATUSES,
                status=row.status,
                **_resident_of(row, search),
            )
            for row in rows
        ],
    )


# The outbox

OUTBOX_SORTS = ("sent", "activity")


@dataclass(frozen=True)
class OutboxRow:
    id: int
    reference: str
    need: str
    status: ReferralStatus
    service: str
    to_organisation: str
    sent: str
    opened: bool
    overdue: bool
    last_activity: str
    outcome: str | None
    decline_reason: str | None
    # Only a search's rows name the resident.
    resident_id: int | None = None
    resident: str | None = None

    @property
    def status_label(self) -> str:
        return words.STATUS[self.status]

    @property
    def status_colour(self) -> str:
        return words.STATUS_COLOUR[self.status]


def outbox(user: User, args: Mapping[str, str]) -> Box:
    """The referrals the user's organisation sent, with where each has got to."""
    search = Search.from_args(args)
    tab = choose_tab(OUTBOX_TABS, args.get("tab"))
    sort = choose_sort(args, OUTBOX_SORTS, Sort("activity", descending=True))
    overdue = overdue_clause(clock.today(), bank_holidays())
    conditions = [
        Referral.from_organisation_id == user.organisation_id,
        Referral.status.in_(SENT_STATUSES),
        *search.clauses(user),
    ]
    tabs = _tab_counts(OUTBOX_TABS, conditions, overdue)
    tab = _searched_tab(tabs, tab, args, search)
    total = next(count.count for count in tabs if count.tab == tab)
    page, pages = _paging(choose_page(args), total)

    To = aliased(Organisation)
    Latest = aliased(Event)
    # The latest event of each referral, found through the (referral_id, id) index.
    latest_id = (
        select(func.max(Event.id))
        .where(Event.referral_id == Referral.id)
        .correlate(Referral)
        .scalar_subquery()
    )
    activity_at = func.coalesce(Latest.created_at, Referral.sent_at)
    sort_column = activity_at if sort.key == "activity" else Referral.sent_at
    query = (
        select(
            Referral.id,
            Referral.reference,
            Referral.status,
            Referral.sent_at,
            Referral.opened_at,
            Referral.outcome,
            Referral.decline_reason,
            NeedCategory.name.label("need"),
            Service.name.label("service"),
            To.name.label("to_organisation"),
            Latest.kind.label("last_kind"),
            Latest.created_at.label("last_at"),
            overdue.label("overdue"),
            *_resident_columns(search),
        )
        .join(NeedCategory, NeedCategory.id == Referral.need_id)
        .join(Service, Service.id == Referral.to_service_id)
        .join(To, To.id == Referral.to_organisation_id)
        .outerjoin(Latest, Latest.id == latest_id)
        .where(*conditions, _tab_clause(tab, overdue))
        .order_by(
            _ordered(sort_column, sort.descending),
            _ordered(Referral.id, sort.descending),
        )
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    if search.active:
        query = query.join(Resident, Resident.id == Referral.resident_id)
    rows = db.session.execute(query).all()
    now = clock.now()
    return Box(
        tabs=tabs,
        tab=tab,
        sort=sort,
        page=page,
        pages=pages,
        total=total,
        search=search,
        rows=[
            OutboxRow(
                id=row.id,
                reference=row.reference,
                need=row.need,
                status=row.status,
                service=row.service,
                to_organisation=row.to_organisation,
                sent=short_day(row.sent_at) if row.sent_at else "Not sent",
                opened=row.opened_at is not None,
                overdue=bool(row.overdue),
                last_activity=_last_activity(row, now),
                outcome=words.OUTCOME[row.outcome] if row.outcome else None,
                decline_reason=(
                    words.DECLINE_REASON[row.decline_reason] if row.decline_reason else None
                ),
                **_resident_of(row, search),
            )
            for row in rows
        ],
    )


def _last_activity(row, now: datetime) -> str:
    if row.last_at is not None:
        return f"{words.event_words(row.last_kind)} {ago(row.last_at, now)}"
    if row.sent_at is not None:
        return f"Sent {ago(row.sent_at, now)}"
    return "None yet"
