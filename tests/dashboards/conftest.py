"""A deliberate set of referrals in Northside over twelve weeks, and the figures worked out
from it by hand-written Python, independently of the dashboard's queries.

Every referral is sent at noon UK time a whole number of days ago, so its week is plain
arithmetic: in the default period (the last 12 weeks, 84 days to today), a referral
sent d days ago falls in week (83 - d) // 7.
"""

import html
import re
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace

import pytest

from partnership import clock
from partnership.extensions import db
from partnership.models import (
    CapacityStatus,
    DeclineReason,
    Message,
    Outcome,
    ReferralStatus,
    Role,
    UnmetNeed,
    Urgency,
)
from tests import factories

S = ReferralStatus
RESIDENT_NAMES = ("Zebedee", "Quillfeather")
SUMMARY = "Struggling since the flood at Mill Lane, needs parcels"
NOTE = "Spoke to her daughter about the rent arrears"
MESSAGE = "Her neighbour will drop the forms round on Tuesday"


def at_noon(days_ago: int) -> datetime:
    """Noon UK time, `days_ago` days before today, as a UTC instant: adding a timedelta to
    it then adds elapsed time, not wall-clock time, across a clock change."""
    return clock.at(clock.today() - timedelta(days=days_ago), time(12)).astimezone(UTC)


@dataclass(frozen=True)
class Made:
    """One referral as the test sees it."""

    days_ago: int
    need: str
    service: str
    status: ReferralStatus
    accept_after: float | None = None
    complete_after: float | None = None
    decline_reason: DeclineReason | None = None
    neighbourhood: str = "north"
    urgency: Urgency = Urgency.ROUTINE

    def week(self, weeks: int = 12) -> int:
        return (7 * weeks - 1 - self.days_ago) // 7


def accepted(days_ago, need, service, after, completed_after=None):
    status = S.COMPLETED if completed_after is not None else S.ACCEPTED
    return Made(days_ago, need, service, status, after, completed_after)


def declined(days_ago, need, service, reason):
    return Made(days_ago, need, service, S.REJECTED, decline_reason=reason)


NO_CAPACITY, NOT_ELIGIBLE = DeclineReason.NO_CAPACITY, DeclineReason.NOT_ELIGIBLE

NORTHSIDE = [
    # Food parcels (VCSE): 8 accepted, 5 of them completed; 3 declined for capacity; 2 waiting.
    accepted(70, "food", "parcels", 1, 10),
    accepted(63, "food", "parcels", 2, 20),
    accepted(56, "food", "parcels", 1, 15),
    accepted(49, "food", "parcels", 3, 30),
    accepted(42, "food", "parcels", 2, 12),
    accepted(35, "food", "parcels", 1),
    accepted(28, "food", "parcels", 4),
    accepted(21, "food", "parcels", 2),
    declined(14, "food", "parcels", NO_CAPACITY),
    declined(13, "food", "parcels", NO_CAPACITY),
    declined(12, "food", "parcels", NO_CAPACITY),
    Made(10, "food", "parcels", S.REQUESTED),  # overdue
    Made(1, "food", "parcels", S.REQUESTED),  # not yet due
    # Housing advice (council): 6 accepted, 2 declined as not eligible.
    accepted(77, "housing", "housing", 5),
    accepted(60, "housing", "housing", 6),
    accepted(45, "housing", "housing", 7),
    accepted(30, "housing", "housing", 5),
    accepted(20, "housing", "housing", 4),
    accepted(5, "housing", "housing", 3),
    declined(40, "housing", "housing", NOT_ELIGIBLE),
    declined(8, "housing", "housing", NOT_ELIGIBLE),
    # Link worker (NHS): one waiting.
    Made(3, "money", "link", S.REQUESTED),
]
# Not in Northside's figures for the last 12 weeks: another neighbourhood, too long ago,
# never sent.
ELSEWHERE = [
    Made(7, "food", "parcels", S.ACCEPTED, 1, neighbourhood="south"),
    Made(9, "food", "parcels", S.REQUESTED, neighbourhood="south"),
    Made(100, "food", "parcels", S.REQUESTED),
]
# Needs no service could meet, recorded in Northside: days ago and need.
NO_SERVICE = [(9 + 7 * n, "housing") for n in range(6)] + [
    (50, "food"),
    (51, "food"),
    (200, "food"),
]


def expected_headline(made: list[Made], no_service: list[tuple[int, str]], weeks: int = 12):
    """The headline figures worked out by hand from the referrals as the test made them."""
    inside = [m for m in made if m.neighbourhood == "north" and m.days_ago < 7 * weeks]
    accepted_ = [m for m in inside if m.accept_after is not None]
    declined_ = [m for m in inside if m.status is S.REJECTED]
    completed_ = [m for m in inside if m.status is S.COMPLETED]
    return SimpleNamespace(
        made=len(inside),
        accepted=len(accepted_),
        declined=len(declined_),
        completed=len(completed_),
        declined_for_capacity=sum(m.decline_reason is NO_CAPACITY for m in declined_),
        no_suitable_service=sum(d < 7 * weeks for d, _ in no_service),
        days_to_accept=statistics.median(m.accept_after for m in accepted_),
        days_to_complete=statistics.median(m.complete_after for m in completed_),
        inside=inside,
    )


def make_referrals(partnership, made: list[Made], services: dict, needs: dict) -> list:
    """The referrals in the database, with every step's timestamp, personal data and notes."""
    created = []
    for spec in made:
        sent = at_noon(spec.days_ago)
        fields = {
            "status": spec.status,
            "urgency": spec.urgency,
            "to_service": services[spec.service],
            "need": needs[spec.need],
            "neighbourhood": getattr(partnership, spec.neighbourhood),
            "resident": factories.resident(
                getattr(partnership, spec.neighbourhood),
                partnership.surgery,
                given_name=RESIDENT_NAMES[0],
                family_name=RESIDENT_NAMES[1],
            ),
            "summary": SUMMARY,
            "created_at": sent,
            "sent_at": sent,
            "decline_reason": spec.decline_reason,
        }
        if spec.accept_after is not None:
            fields["accepted_at"] = sent + timedelta(days=spec.accept_after)
        if spec.complete_after is not None:
            fields["completed_at"] = sent + timedelta(days=spec.complete_after)
            fields["outcome"] = Outcome.NEED_MET
            fields["closing_note"] = NOTE
        if spec.decline_reason is not None:
            fields["declined_at"] = sent + timedelta(days=1)
            fields["closing_note"] = NOTE
        referral = factories.referral(partnership, **fields)
        db.session.add(
            Message(
                referral_id=referral.id,
                author=partnership.users[Role.CASEWORKER],
                organisation=partnership.surgery,
                body=MESSAGE,
            )
        )
        created.append(referral)
    db.session.flush()
    return created


@pytest.fixture
def northside(partnership):
    return build_northside(partnership)


def build_northside(partnership):
    """The partnership with Northside's referrals, needs no service could meet, and four
    services covering Northside with their capacity now."""
    needs = {
        "food": factories.need("food", "Food"),
        "housing": factories.need("housing", "Housing"),
        "money": factories.need("money-and-debt", "Money and debt"),
    }
    stale = clock.now() - timedelta(days=10)
    services = {
        "parcels": factories.service(
            partnership.pantry, name="Food parcels", places=6, status=CapacityStatus.OPEN
        ),
        "housing": factories.service(
            partnership.council, name="Housing advice", status=CapacityStatus.WAITLIST
        ),
        "link": factories.service(
            partnership.surgery,
            name="Link worker",
            places=0,
            status=CapacityStatus.FULL,
            capacity_updated_at=stale,
        ),
        "closed": factories.service(
            partnership.council, name="Lunch club", status=CapacityStatus.CLOSED
        ),
    }
    for service in services.values():
        service.neighbourhoods = [partnership.north]
        # Each posted by someone; only the link worker's post is over a week old.
        service.capacity_updated_by = partnership.users[Role.COORDINATOR]
    services["parcels"].neighbourhoods = [partnership.north, partnership.south]
    make_referrals(partnership, NORTHSIDE + ELSEWHERE, services, needs)
    for days_ago, need in NO_SERVICE:
        db.session.add(
            UnmetNeed(
                need=needs[need],
                neighbourhood=partnership.north,
                recorded_by_organisation_id=partnership.surgery.id,
                recorded_at=at_noon(days_ago),
            )
        )
    db.session.commit()
    partnership.services, partnership.needs = services, needs
    return partnership


def text(response) -> str:
    """A page's visible words, tags removed and spaces collapsed."""
    page = response.get_data(as_text=True)
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def table_rows(page: str, table_id: str) -> list[list[str]]:
    """The cells of a table on a page, by row, as text."""
    found = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, flags=re.S)
    assert found, f"no table {table_id}"
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(0), flags=re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        rows.append([" ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in cells])
    return rows
