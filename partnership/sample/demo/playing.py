"""Playing the demo's stories through the real rules, then dating them as the story says.

Every step goes through the rules (`send`, `forward`, `transition`, `mark_opened`,
`assign`, `post_message`) in time order, so statuses, timelines, consents and the access
log agree as if people had done the work; each step is then back-dated to when it happened
in the story. Event ids therefore increase with time, as they do live.
"""

from datetime import datetime, timedelta

from sqlalchemy import event as orm_event
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
from partnership.referrals.lifecycle import (
    STAMPS,
    Action,
    assign,
    forward,
    mark_opened,
    send,
    transition,
)
from partnership.referrals.messages import post_message
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


def play(people: list[Person]) -> int:
    """Every step of every story, in time order, through the rules; returns referrals sent."""
    plans = [plan for person in people for plan in person.plans]
    steps = sorted(
        (step.at, number, index, plan, step)
        for number, plan in enumerate(plans)
        for index, step in enumerate(plan.steps)
    )
    written: list[tuple[Dated, datetime]] = []
    now_playing: list[datetime] = []

    def date_it(_session, instance) -> None:
        if isinstance(instance, Dated):
            written.append((instance, now_playing[-1]))

    session = db.session()
    orm_event.listen(session, "transient_to_pending", date_it)
    try:
        for at, _, _, plan, step in steps:
            now_playing.append(at)
            _play_step(plan, step, at)
    finally:
        orm_event.remove(session, "transient_to_pending", date_it)
    sent = [plan for plan in plans if plan.referral is not None]
    _backdate(sent, written)
    # Backdating moved each referral to the day its story made it on.
    daily_summary.recount()
    return len(sent)


def _play_step(plan: Plan, step: Step, at: datetime) -> None:
    """One step through the rules, noting when the referral's own stamps were reached."""
    if step.kind == "send":
        _send(plan, step)
        return
    referral = _referral(plan)
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
        unopened = referral.opened_at is None
        transition(referral, step.actor, ACTIONS[step.kind], step.details)
        if stamp := STAMPS.get(referral.status):
            plan.stamps[stamp] = at
        if unopened and referral.opened_at is not None:
            plan.stamps["opened_at"] = at
    if step.kind != "message":
        plan.stamps["updated_at"] = at


def _send(plan: Plan, step: Step) -> None:
    """Send (or forward) through the rules."""
    if plan.forwarded_from is not None:
        referral, _ = forward(
            _referral(plan.forwarded_from), step.actor, service=plan.service, summary=plan.summary
        )
    else:
        referral, _ = send(
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


def _referral(plan: Plan) -> Referral:
    """The plan's referral, once sent."""
    # Steps play in time order and a story's first step sends it (a forward's comes after
    # the referral it forwards is declined), so its other steps find the referral made.
    assert plan.referral is not None
    return plan.referral


# The rows the rules write, and the column that says when: each is dated with its step.
Dated = Event | AccessLog | Message | Consent
DATED: dict[type[Dated], str] = {
    Event: "created_at",
    AccessLog: "at",
    Message: "created_at",
    Consent: "recorded_at",
}


def _backdate(plans: list[Plan], written: list[tuple[Dated, datetime]]) -> None:
    """Date every row the rules wrote as the story says, in a few bulk updates.

    `written` pairs each row the rules added with the time of the step that added it,
    however many rows a rule writes for one step.
    """
    db.session.flush()
    changes: dict[type, list[dict]] = {model: [] for model in DATED}
    for row, at in written:
        model = type(row)
        changes[model].append({"id": row.id, DATED[model]: at})
    changes[Referral] = [{"id": _referral(plan).id, **plan.stamps} for plan in plans]
    for model, rows in changes.items():
        if rows:
            db.session.execute(update(model), rows)
