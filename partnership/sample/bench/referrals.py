"""The bench partnership's referrals, each with its consent, its timeline and a few messages.

Services are drawn from a Zipf-like distribution over a random ranking, so a few services
take most referrals; one organisation, the "inbox organisation", receives 1% or more of
them. Each referral's story follows the lifecycle from random response, start and
completion delays, so every timestamp and every event agrees with its status; whatever
would happen after now has not happened yet.
"""

import bisect
import json
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

from partnership.sample.bench.loading import Writer
from partnership.sample.bench.scale import CHUNK, DAY, cumulative, zipf_cumulative
from partnership.sample.bench.vocabulary import DECLINE_REASONS, OUTCOMES, SUMMARIES

_DETAIL_EMPTY = "{}"
_DECLINE_CUM = cumulative(w for _, w in DECLINE_REASONS)
_OUTCOME_CUM = cumulative(w for _, w in OUTCOMES)
OPEN = ("requested", "accepted", "in-progress", "on-hold")


def _pick(rng: random.Random, options, cum) -> str:
    return options[bisect.bisect(cum, rng.random() * cum[-1])][0]


def choose_inbox_organisation(expected: dict[int, float], n: int) -> int:
    """The organisation with the fewest expected referrals that is still ≥ 1.1% of all,
    so at a million it gets 10,000+; on tiny runs, simply the busiest."""
    floor = 0.011 * n
    candidates = [(count, org) for org, count in expected.items() if count >= floor]
    if candidates:
        return min(candidates)[1]
    return max((count, org) for org, count in expected.items())[1]


@dataclass
class Story:
    """What happened to one referral before now: its status, stamps and timeline, whose
    entries are (at, kind, actor, from status, to status, detail)."""

    sent: float
    timeline: list[tuple]
    status: str = "requested"
    opened: float | None = None
    stamps: dict = field(
        default_factory=lambda: dict.fromkeys(
            ("accepted", "declined", "started", "completed", "cancelled")
        )
    )
    decline_reason: str | None = None
    outcome: str | None = None
    closing_note: str = ""
    assignee: int | None = None

    def add(self, *entry) -> None:
        self.timeline.append(entry)


@dataclass
class Parties:
    """Who a referral is between, where, and for what."""

    service_id: int
    hood: int
    pool: list[int]
    from_org: int
    from_user: int
    to_org: int
    to_user: int
    need: int
    urgent: bool


class _Rows:
    """The rows made so far, written a chunk at a time; ids count up across chunks."""

    def __init__(self, writer: Writer, progress):
        self.writer, self.progress = writer, progress
        self.referrals: list[tuple] = []
        self.events: list[tuple] = []
        self.consents: list[tuple] = []
        self.messages: list[tuple] = []
        self.event_id = self.consent_id = self.message_id = 0

    def message(self, rid: int, author: int, org: int, at: float) -> int:
        self.message_id += 1
        self.messages.append(
            (self.message_id, rid, author, org, "Following up on this referral.", at)
        )
        return self.message_id

    def referral(self, rid: int, parties: Parties, story: Story, resident: int) -> None:
        """The referral's row, its consent and its timeline's events."""
        self.referrals.append(_referral_row(rid, parties, story, resident))
        sent, timeline = story.sent, story.timeline
        self.consent_id += 1
        self.consents.append(
            (
                self.consent_id,
                rid,
                "resident",
                None,
                "Sharing details with the service",
                parties.from_user,
                sent - 300,
                None,
            )
        )
        for at, kind, actor, from_status, to_status, detail in timeline:
            self.event_id += 1
            self.events.append(
                (
                    self.event_id,
                    kind,
                    at,
                    actor,
                    rid,
                    parties.service_id,
                    parties.from_org,
                    parties.to_org,
                    parties.hood,
                    from_status,
                    to_status,
                    detail,
                )
            )
        if len(self.referrals) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        self.writer.write("referrals", self.referrals)
        self.writer.write("consents", self.consents)
        self.writer.write("events", self.events)
        self.writer.write("messages", self.messages)
        self.progress.update(len(self.referrals))
        for rows in (self.referrals, self.consents, self.events, self.messages):
            rows.clear()


def _referral_row(rid: int, parties: Parties, story: Story, resident: int) -> tuple:
    """The referral's columns, in REFERRAL_COLUMNS order."""
    sent, timeline, stamps = story.sent, story.timeline, story.stamps
    version = 1 + sum(1 for t in timeline if t[3] is not None)
    updated = timeline[-1][0]
    return (
        rid,
        f"REF-{datetime.fromtimestamp(sent, UTC).year}-{rid:06d}",
        resident,
        parties.need,
        parties.from_org,
        parties.from_user,
        parties.service_id,
        parties.to_org,
        parties.hood,
        "urgent" if parties.urgent else "routine",
        SUMMARIES[rid % len(SUMMARIES)],
        story.status,
        story.assignee,
        story.decline_reason,
        story.outcome,
        story.closing_note,
        None,
        None,
        version,
        sent - 300,
        sent,
        story.opened,
        stamps["accepted"],
        stamps["declined"],
        stamps["started"],
        stamps["completed"],
        stamps["cancelled"],
        updated,
    )


class _Draws:
    """What every referral is drawn from: services by popularity, neighbourhoods by
    population, referring organisations mostly from the NHS and the council."""

    def __init__(self, rng: random.Random, structure: dict, residents_by_hood, n: int):
        self.structure = structure
        self.residents_by_hood = residents_by_hood
        services = structure["services"]
        service_org = structure["service_org"]
        population = dict(zip(structure["hood_ids"], structure["population"], strict=True))
        weight = _popularity(rng, len(services))
        expected: dict[int, float] = {}
        total_weight = sum(weight)
        for index, w in enumerate(weight):
            expected[service_org[index]] = (
                expected.get(service_org[index], 0) + w / total_weight * n
            )
        self.inbox_org = choose_inbox_organisation(expected, n)
        self.service_cum = cumulative(weight)
        self.referrers = _referrers(structure)
        self.hood_cum_by_service = [
            cumulative(population[h] for h in hoods) for hoods in structure["service_hoods"]
        ]

    def parties(self, rng: random.Random, s_index: int) -> Parties:
        """The referral's neighbourhood, referrer and need, for the service drawn."""
        structure = self.structure
        to_org = structure["service_org"][s_index]
        hoods = structure["service_hoods"][s_index]
        hood_cum = self.hood_cum_by_service[s_index]
        hood = hoods[bisect.bisect(hood_cum, rng.random() * hood_cum[-1])]
        pool = self.residents_by_hood[hood] or self.residents_by_hood[structure["hood_ids"][0]]
        orgs, cum = self.referrers[hood]
        from_org = orgs[bisect.bisect(cum, rng.random() * cum[-1])]
        if from_org == to_org and len(orgs) > 1:
            from_org = orgs[(orgs.index(from_org) + 1) % len(orgs)]
        needs = structure["service_need"][s_index]
        need = needs[0] if len(needs) == 1 or rng.random() < 0.7 else needs[-1]
        return Parties(
            service_id=s_index + 1,
            hood=hood,
            pool=pool,
            from_org=from_org,
            from_user=structure["caseworker"][from_org],
            to_org=to_org,
            to_user=structure["coordinator"][to_org],
            need=need,
            urgent=rng.random() < 0.15,
        )


def _popularity(rng: random.Random, services: int) -> list[float]:
    """Each service's weight: Zipf over a random ranking of the services."""
    ranking = list(range(services))
    rng.shuffle(ranking)
    zipf = zipf_cumulative(services, 1.0)
    weight = [0.0] * services
    previous = 0.0
    for rank, service_index in enumerate(ranking):
        weight[service_index] = zipf[rank] - previous
        previous = zipf[rank]
    return weight


def _referrers(structure: dict) -> dict[int, tuple[list[int], list[float]]]:
    """Who refers from each neighbourhood: mostly the NHS and the council."""
    sector_weight = {"nhs": 5.0, "council": 3.0, "vcse": 1.0, "other": 0.5}
    referrers: dict[int, tuple[list[int], list[float]]] = {}
    for hood in structure["hood_ids"]:
        orgs = [i + 1 for i, hs in enumerate(structure["org_hoods"]) if hood in hs]
        referrers[hood] = (
            orgs,
            cumulative(sector_weight[structure["org_sector"][o - 1]] for o in orgs),
        )
    return referrers


def referrals(rng, scale, structure, residents_by_hood, writer, start, now, progress):
    """All the referrals, written as they are made; returns (counts, the inbox organisation,
    the showcase referral's (id, events), the last event id)."""
    n = scale.referrals
    draws = _Draws(rng, structure, residents_by_hood, n)
    # Creation times: denser towards today (linear growth), sorted so ids follow time.
    span = now - start
    times = sorted(start + span * math.sqrt(rng.random()) for _ in range(n))
    service_draws = rng.choices(
        range(len(structure["services"])), cum_weights=draws.service_cum, k=n
    )

    open_pairs: set[tuple[int, int]] = set()
    counts = {"referrals": 0, "events": 0, "consents": 0, "messages": 0, "by_status": {}}
    by_status = counts["by_status"]
    showcase = None  # a long, closed, opened timeline at the inbox organisation
    rows = _Rows(writer, progress)
    for i in range(n):
        rid = i + 1
        parties = draws.parties(rng, service_draws[i])
        story = _story(rng, times[i], now, parties, structure["caseworker"][parties.to_org])
        resident = _resident(rng, story, parties, open_pairs, now)
        _messages(rng, story, rid, parties, now, rows)
        rows.referral(rid, parties, story, resident)
        by_status[story.status] = by_status.get(story.status, 0) + 1
        counts["events"] += len(story.timeline)
        if (
            parties.to_org == draws.inbox_org
            and story.status == "completed"
            and story.opened is not None
            and (showcase is None or len(story.timeline) > showcase[1])
        ):
            showcase = (rid, len(story.timeline))
    rows.flush()
    counts["referrals"], counts["consents"], counts["messages"] = (
        n,
        rows.consent_id,
        rows.message_id,
    )
    return counts, draws.inbox_org, showcase, rows.event_id


def _story(rng: random.Random, sent: float, now: float, parties: Parties, caseworker: int):
    """Opened, then answered after a random delay (sooner when urgent), if before now."""
    from_user, to_user = parties.from_user, parties.to_user
    respond = sent + rng.expovariate(1.0 / ((0.6 if parties.urgent else 2.0) * DAY))
    opened: float | None = sent + (respond - sent) * (0.1 + 0.8 * rng.random())
    if rng.random() < 0.1:
        opened = None  # answered without opening the page (e.g. from the inbox)
    story = Story(sent, [(sent, "sent", from_user, "draft", "requested", _DETAIL_EMPTY)])
    if opened is not None and opened < now:
        story.add(opened, "opened", to_user, None, None, _DETAIL_EMPTY)
        story.opened = opened
    if respond < now:
        _answer(rng, story, respond, now, parties, caseworker)
    return story


def _answer(
    rng: random.Random, story: Story, respond: float, now: float, parties: Parties, caseworker
) -> None:
    """Cancelled (3%), declined (18%) or accepted, perhaps assigned to a caseworker."""
    from_user, to_user, stamps = parties.from_user, parties.to_user, story.stamps
    roll = rng.random()
    if roll < 0.03:
        story.status, stamps["cancelled"] = "cancelled", respond
        story.closing_note = "Resident no longer needs the service"
        story.add(respond, "cancelled", from_user, "requested", "cancelled", _DETAIL_EMPTY)
    elif roll < 0.21:
        story.decline_reason = _pick(rng, DECLINE_REASONS, _DECLINE_CUM)
        story.status, stamps["declined"] = "rejected", respond
        if story.decline_reason == "other":
            story.closing_note = "Outside the service's area of work"
        detail = json.dumps({"reason": story.decline_reason})
        story.add(respond, "declined", to_user, "requested", "rejected", detail)
    else:
        story.status, stamps["accepted"] = "accepted", respond
        story.add(respond, "accepted", to_user, "requested", "accepted", _DETAIL_EMPTY)
        if rng.random() < 0.3:
            story.assignee = caseworker
            detail = json.dumps({"assignee_id": story.assignee})
            story.add(respond + 60, "assigned", to_user, None, None, detail)
        _work(rng, story, respond, now, to_user)


def _work(rng: random.Random, story: Story, accepted: float, now: float, to_user: int) -> None:
    """Started a few days after acceptance, sometimes held and resumed, then completed
    (or, 10% of the time, cancelled), each step only if before now."""
    stamps = story.stamps
    begun = accepted + rng.expovariate(1.0 / (4 * DAY))
    if begun >= now:
        return
    story.status, stamps["started"] = "in-progress", begun
    story.add(begun, "started", to_user, "accepted", "in-progress", _DETAIL_EMPTY)
    finish = begun + rng.expovariate(1.0 / (35 * DAY))
    if rng.random() < 0.12:
        held = begun + (finish - begun) * 0.3
        resumed = begun + (finish - begun) * 0.6
        if held < now:
            story.status = "on-hold"
            story.add(held, "held", to_user, "in-progress", "on-hold", _DETAIL_EMPTY)
            if resumed < now:
                story.status = "in-progress"
                story.add(resumed, "resumed", to_user, "on-hold", "in-progress", _DETAIL_EMPTY)
    if finish < now:
        if rng.random() < 0.9:
            story.outcome = _pick(rng, OUTCOMES, _OUTCOME_CUM)
            detail = json.dumps({"outcome": story.outcome})
            story.add(finish, "completed", to_user, story.status, "completed", detail)
            story.status, stamps["completed"] = "completed", finish
        else:
            story.closing_note = "Resident moved out of the area"
            story.add(finish, "cancelled", to_user, story.status, "cancelled", _DETAIL_EMPTY)
            story.status, stamps["cancelled"] = "cancelled", finish


def _resident(
    rng: random.Random, story: Story, parties: Parties, open_pairs: set, now: float
) -> int:
    """A resident of the neighbourhood, with one open referral to a service at a time."""
    pool, service_id, stamps = parties.pool, parties.service_id, story.stamps
    resident = pool[rng.randrange(len(pool))]
    if story.status not in OPEN:
        return resident
    for _ in range(20):
        if (resident, service_id) not in open_pairs:
            break
        resident = pool[rng.randrange(len(pool))]
    else:
        story.status = "requested"
    if (resident, service_id) not in open_pairs:
        open_pairs.add((resident, service_id))
        return resident
    # Still taken after 20 draws (a tiny pool): leave this one closed instead.
    story.status, stamps["cancelled"] = "cancelled", min(story.sent + 3600, now - 1)
    story.closing_note = "Duplicate of an open referral"
    story.timeline = [t for t in story.timeline if t[0] < stamps["cancelled"]]
    story.add(
        stamps["cancelled"],
        "cancelled",
        parties.from_user,
        story.timeline[-1][4] or "requested",
        "cancelled",
        _DETAIL_EMPTY,
    )
    for key in ("accepted", "started", "completed", "declined"):
        if stamps[key] and stamps[key] > stamps["cancelled"]:
            stamps[key] = None
    story.decline_reason = story.outcome = None
    return resident


def _messages(
    rng: random.Random, story: Story, rid: int, parties: Parties, now: float, rows: _Rows
) -> None:
    """A few cases carry messages between the two organisations."""
    if rng.random() >= 0.08:
        return
    sent, timeline = story.sent, story.timeline
    last = timeline[-1][0]
    for _ in range(rng.randint(1, 3)):
        at = sent + (min(last, now) - sent) * rng.random()
        if rng.random() < 0.5:
            author, org = parties.from_user, parties.from_org
        else:
            author, org = parties.to_user, parties.to_org
        message_id = rows.message(rid, author, org, at)
        timeline.append((at, "message", author, None, None, json.dumps({"message_id": message_id})))
    timeline.sort(key=lambda t: t[0])
