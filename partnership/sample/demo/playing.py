"""Playing the demo's stories through the real rules, then dating them as the story says.

Every step goes through the rules (`send_referral`, `forward`, `transition`, `mark_opened`,
`assign`, `post_message`) in time order, so statuses, timelines, consents and the access
log agree as if people had done the work; each step is then back-dated to when it happened
in the story. Event ids therefore increase with time, as they do live.
"""

from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from partnership.extensions import db
from partnership.models import (
    AccessAction,
    AccessLog,
    CapacityUpdate,
    Consent,
    Event,
    Message,
    Referral,
    Service,
    UnmetNeed,
)
from partnership.referrals import daily_summary
from partnership.referrals.lifecycle import STAMPS, Action, assign, mark_opened, transition
from partnership.referrals.messages import post_message
from partnership.referrals.sending import forward, send_referral
from partnership.sample.demo.lookup import Partnership
from partnership.sample.demo.partners import name_key
from partnership.sample.demo.plans import Plan, Step
from partnership.sample.demo.residents import Person


def save_residents(people: list[Person], partnership: Partnership) -> None:
    """All the residents at once, each recorded by whoever first referred them."""
    for person in people:
        first = min(
            [(p.steps[0].at, p.referrer) for p in person.plans]
            + [(at, who) for _, who, at in person.unmet],
            key=lambda pair: pair[0],
        )
        person.record.created_by_organisation_id = first[1].organisation_id
        person.record.created_at = first[0] - timedelta(minutes=5)
        person.record.neighbourhood_id = partnership.neighbourhoods[
            name_key(person.neighbourhood)
        ].id
    db.session.add_all(person.record for person in people)
    db.session.flush()
    for person in people:
        for need, who, at in person.unmet:
            db.session.add(
                UnmetNeed(
                    need_id=need.id,
                    neighbourhood_id=person.record.neighbourhood_id,
                    resident_id=person.record.id,
                    recorded_by_organisation_id=who.organisation_id,
                    recorded_at=at,
                )
            )
    db.session.commit()


def lift_places(partnership: Partnership) -> None:
    """Stop counting places while the history plays; `restore_places` puts them back."""
    for service in partnership.services:
        service.places_available = None
    db.session.flush()


def restore_places() -> None:
    """Every service gets back the places of its latest capacity post.

    Only a service whose places are not counted but whose latest post counted them is
    touched: that happens while the history plays (or if a run was interrupted), never
    in use, since posts set both together and accepting leaves uncounted places alone.
    """
    latest = (
        select(
            CapacityUpdate.service_id,
            CapacityUpdate.places_available,
            func.row_number()
            .over(
                partition_by=CapacityUpdate.service_id,
                order_by=(CapacityUpdate.posted_at.desc(), CapacityUpdate.id.desc()),
            )
            .label("newest"),
        )
    ).subquery()
    rows = db.session.execute(
        select(latest.c.service_id, latest.c.places_available)
        .join(Service, Service.id == latest.c.service_id)
        .where(
            latest.c.newest == 1,
            latest.c.places_available.is_not(None),
            Service.places_available.is_(None),
        )
    ).all()
    for service_id, places in rows:
        db.session.execute(
            update(Service)
            .where(Service.id == service_id)
            .values(places_available=places)
            .execution_options(synchronize_session="fetch")
        )


ACTIONS = {
    "accept": Action.ACCEPT,
    "decline": Action.DECLINE,
    "start": Action.START,
    "hold": Action.HOLD,
    "resume": Action.RESUME,
    "complete": Action.COMPLETE,
    "cancel": Action.CANCEL,
}


def play(people: list[Person], partnership: Partnership, started: datetime) -> int:
    """Every step of every story, in time order, through the rules; returns referrals sent."""
    plans = [plan for person in people for plan in person.plans]
    steps = sorted(
        (step.at, number, index, plan, step)
        for number, plan in enumerate(plans)
        for index, step in enumerate(plan.steps)
    )
    for at, _, _, plan, step in steps:
        if step.kind == "send":
            _send(plan, step)
            continue
        referral = plan.referral
        if step.kind == "open":
            mark_opened(referral, step.actor)
            plan.stamps["opened_at"] = at
            db.session.add(
                AccessLog(
                    user_id=step.actor.id,
                    resident_id=referral.resident_id,
                    referral_id=referral.id,
                    action=AccessAction.VIEW,
                    what="referral page",
                    at=at,
                )
            )
        elif step.kind == "assign":
            assign(referral, step.actor, step.assignee)
        elif step.kind == "message":
            post_message(referral, step.actor, step.body)
        else:
            transition(referral, step.actor, ACTIONS[step.kind], step.details)
            if stamp := STAMPS.get(referral.status):
                plan.stamps[stamp] = at
        if step.kind != "message":
            plan.stamps["updated_at"] = at
    sent = [plan for plan in plans if plan.referral is not None]
    _backdate(sent, started)
    # Backdating moved each referral to the day its story made it on.
    daily_summary.recount()
    return len(sent)


def _send(plan: Plan, step: Step) -> None:
    """Send (or forward) through the rules, which commit."""
    if plan.forwarded_from is not None:
        referral, _ = forward(
            plan.forwarded_from.referral, step.actor, service=plan.service, summary=plan.summary
        )
    else:
        referral, _ = send_referral(
            step.actor,
            resident=plan.resident.record,
            need=plan.need,
            service=plan.service,
            urgency=plan.urgency,
            summary=plan.summary,
            consent=plan.consent,
        )
    plan.referral = referral
    plan.stamps.update(
        reference=f"REF-{step.at.year}-{referral.id:06d}",
        created_at=step.at,
        sent_at=step.at,
        updated_at=step.at,
    )


def _backdate(plans: list[Plan], started: datetime) -> None:
    """Date every row the rules wrote as the story says, in a few bulk updates.

    Each step wrote one timeline event, so a referral's events in id order are its steps
    in order. Sending and messaging also wrote one access-log row each; the rows dated
    before `started` are the ones this seed dated itself.
    """
    db.session.flush()
    by_id = {plan.referral.id: plan for plan in plans}
    ids = list(by_id)

    def rows(*columns, where=()):
        found: dict[int, list[int]] = {}
        for row_id, referral_id in db.session.execute(
            select(*columns).where(columns[1].in_(ids), *where).order_by(columns[0])
        ):
            found.setdefault(referral_id, []).append(row_id)
        return found

    def dated(found: dict[int, list[int]], kinds: set[str] | None, column: str) -> list[dict]:
        changes = []
        for referral_id, row_ids in found.items():
            steps = [s for s in by_id[referral_id].steps if kinds is None or s.kind in kinds]
            changes += [
                {"id": row_id, column: step.at} for row_id, step in zip(row_ids, steps, strict=True)
            ]
        return changes

    events = rows(Event.id, Event.referral_id)
    logs = rows(AccessLog.id, AccessLog.referral_id, where=[AccessLog.at >= started])
    messages = rows(Message.id, Message.referral_id)
    consents = rows(Consent.id, Consent.referral_id)
    for model, changes in (
        (Event, dated(events, None, "created_at")),
        (AccessLog, dated(logs, {"send", "message"}, "at")),
        (Message, dated(messages, {"message"}, "created_at")),
        (Consent, dated(consents, {"send"}, "recorded_at")),
        (Referral, [{"id": plan.referral.id, **plan.stamps} for plan in plans]),
    ):
        if changes:
            db.session.execute(update(model), changes)
