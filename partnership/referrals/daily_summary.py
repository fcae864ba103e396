"""The daily summary the dashboards read: each neighbourhood's referrals by the UK day they
were made, counted by what has become of them (made, accepted, declined, completed,
declined for lack of capacity).

It lives beside the lifecycle because the lifecycle keeps it: in the transaction that
changes a referral, sending adds the referral to its day, and each change of status moves
it between the counts (partnership.referrals.lifecycle calls `count_sent` and
`count_change`). A dashboard (partnership.dashboards.figures) then only reads
neighbourhoods × days rows, however many referrals there are. Anything that writes
referrals in bulk (the demo, the bench data) calls `recount`, which works the whole
summary out again from the referrals.
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from partnership import clock
from partnership.extensions import db
from partnership.models import DeclineReason, NeighbourhoodDay, Referral, ReferralStatus

COUNTS = ("made", "accepted", "declined", "completed", "declined_for_capacity")
# The model's Table, for a Core bulk insert (`__table__` is typed as any FromClause).
NEIGHBOURHOOD_DAYS = db.metadata.tables[NeighbourhoodDay.__tablename__]


@dataclass(frozen=True)
class Tally:
    """What one referral adds to its neighbourhood's day: 1 or 0 in each count."""

    neighbourhood_id: int
    day: date
    accepted: int
    declined: int
    completed: int
    declined_for_capacity: int
    made: int = 1


def day_made(created_at: datetime) -> date:
    """The UK day a referral was made, the day the dashboards count it on."""
    return clock.uk_date(created_at)


class Counted(Protocol):
    """What `tally` reads: a Referral, or a row of just these columns (as `recount` selects)."""

    @property
    def neighbourhood_id(self) -> int: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def sent_at(self) -> datetime | None: ...
    @property
    def accepted_at(self) -> datetime | None: ...
    @property
    def status(self) -> ReferralStatus: ...
    @property
    def decline_reason(self) -> DeclineReason | None: ...


def tally(referral: Counted) -> Tally | None:
    """What the referral adds to its day; None while it has not been sent (a draft counts
    nowhere). Takes a referral or a row with its columns."""
    if referral.sent_at is None:
        return None
    declined = referral.status is ReferralStatus.REJECTED
    for_capacity = declined and referral.decline_reason is DeclineReason.NO_CAPACITY
    return Tally(
        neighbourhood_id=referral.neighbourhood_id,
        day=day_made(referral.created_at),
        accepted=int(referral.accepted_at is not None),
        declined=int(declined),
        completed=int(referral.status is ReferralStatus.COMPLETED),
        declined_for_capacity=int(for_capacity),
    )


def _insert():
    dialect = db.session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(NeighbourhoodDay)


def _by_day(signed: Iterable[tuple[int, Tally | None]]) -> dict[tuple[int, date], dict]:
    """Tallies added up by (neighbourhood, day), each taken `sign` times (1 or -1)."""
    days: dict[tuple[int, date], Counter] = {}
    for sign, counted in signed:
        if counted is not None:
            day = days.setdefault((counted.neighbourhood_id, counted.day), Counter())
            for name in COUNTS:
                day[name] += sign * getattr(counted, name)
    return {key: {name: day[name] for name in COUNTS} for key, day in days.items()}


def count_change(before: Tally | None, after: Tally | None) -> None:
    """Move a referral's contribution from `before` to `after` in the summary, in the
    caller's transaction: an upsert of the day's row adding the difference, so changes
    made at once by different people add up rather than overwrite each other."""
    for (neighbourhood_id, day), values in sorted(_by_day([(-1, before), (1, after)]).items()):
        if not any(values.values()):
            continue
        statement = _insert().values(neighbourhood_id=neighbourhood_id, day=day, **values)
        db.session.execute(
            statement.on_conflict_do_update(
                index_elements=["neighbourhood_id", "day"],
                set_={
                    name: getattr(NeighbourhoodDay, name) + getattr(statement.excluded, name)
                    for name in COUNTS
                },
            )
        )


def count_sent(referral: Referral) -> None:
    """A referral has just been sent: add it to its day."""
    count_change(None, tally(referral))


RECOUNT_POSTGRESQL = text(
    """
    INSERT INTO neighbourhood_days
        (neighbourhood_id, day, made, accepted, declined, completed, declined_for_capacity)
    SELECT neighbourhood_id,
           (created_at AT TIME ZONE 'Europe/London')::date,
           count(*),
           count(*) FILTER (WHERE accepted_at IS NOT NULL),
           count(*) FILTER (WHERE status = 'rejected'),
           count(*) FILTER (WHERE status = 'completed'),
           count(*) FILTER (WHERE status = 'rejected' AND decline_reason = 'no-capacity')
    FROM referrals
    WHERE sent_at IS NOT NULL
    GROUP BY 1, 2
    """
)


def recount() -> int:
    """Work the whole summary out again from the referrals, in the caller's transaction;
    returns how many days it holds. PostgreSQL does it in one statement; SQLite, which
    knows no time zones, through Python."""
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    if postgresql:
        # A referral sent meanwhile would otherwise add a day between the two statements.
        db.session.execute(text("LOCK TABLE neighbourhood_days IN EXCLUSIVE MODE"))
    db.session.execute(delete(NeighbourhoodDay))
    if postgresql:
        db.session.execute(RECOUNT_POSTGRESQL)
    else:
        referrals = db.session.execute(
            select(
                Referral.neighbourhood_id,
                Referral.created_at,
                Referral.sent_at,
                Referral.accepted_at,
                Referral.status,
                Referral.decline_reason,
            )
        )
        days = _by_day((1, tally(referral)) for referral in referrals)
        if days:
            db.session.execute(
                NEIGHBOURHOOD_DAYS.insert(),
                [
                    {"neighbourhood_id": hood, "day": day, **values}
                    for (hood, day), values in days.items()
                ],
            )
    return db.session.execute(select(func.count()).select_from(NeighbourhoodDay)).scalar_one()
