"""The referral being made: the answers so far, kept in a draft row on the server.

The answers name the resident, so they never go in the session cookie: the session holds
the draft's id and nothing else, and a draft is only ever loaded for the user who made it.
Its row goes when the referral is sent or the user starts again, and drafts left alone for
DRAFT_KEEP_DAYS are removed by `flask drafts remove-abandoned`. Nothing here commits: the
view that changes a draft commits it with whatever else the page did.

The steps come in a fixed order; a step counts as answered when its answers are in the
draft, and a later step is only reached once every earlier one is. Changing an earlier
answer drops the later answers that depended on it.

A referral can also start from a service ("Refer to this service" in the directory): the
service, and the need when it is known, are answered first and the resident is still to
be chosen. The service then stays through choosing the resident and the need while it
suits them (it meets the need, takes people of their age and is not closed), and the
journey goes on from the first question still unanswered.
"""

from copy import deepcopy
from datetime import date, timedelta
from typing import cast

from flask import session
from sqlalchemy import CursorResult, delete, select, update

from partnership import clock
from partnership.access import may_see_resident
from partnership.directory.search import admits_age, meets_need
from partnership.extensions import db
from partnership.forms import local_path
from partnership.models import (
    CapacityStatus,
    DraftReferral,
    NeedCategory,
    Neighbourhood,
    Resident,
    Service,
    User,
)
from partnership.referrals.views import age_on

# The session key holding the id of the draft being answered.
KEY = "referral_draft"

# The pages for adding a new resident, in order, and the answer that each one gives.
NEW_RESIDENT_STEPS = {
    "new_resident_name": "family_name",
    "new_resident_date_of_birth": "date_of_birth",
    "new_resident_nhs_number": "nhs_number",
    "new_resident_same_person": "checked_duplicates",
    "new_resident_address": "neighbourhood_id",
    "new_resident_contact": "preferred_contact",
    "new_resident_language": "language",
}
# The pages of the referral itself, after the resident, and the answer each one gives.
REFERRAL_STEPS = {
    "need": "need_id",
    "service": "service_id",
    "consent": "consent",
    "details": "details",
}
CHECK = "check"
RESIDENT = "resident"
# Set when the journey started from a service: the service is kept through choosing the
# resident and the need while it suits them, and those lead on to the first question left.
SERVICE_FIRST = "service_first"
# Where the person started the referral from (a local path): the resident page's back link.
CAME_FROM = "came_from"

# What a new resident's answers mean for possible duplicates: change one, check again.
IDENTITY = ("given_name", "family_name", "date_of_birth", "nhs_number")
# The details page's answers: about the referral, then about contacting the resident.
DETAILS = (
    "urgency",
    "summary",
    "phone",
    "email",
    "preferred_contact",
    "best_times",
    "interpreter_needed",
    "language",
    "accessibility_needs",
)
# What the details page may change on the resident's own record when the referral is sent.
RESIDENT_FIELDS = (
    "phone",
    "email",
    "preferred_contact",
    "interpreter_needed",
    "language",
    "accessibility_needs",
)


# Keeping the draft


def _row(user: User) -> DraftReferral | None:
    """The draft the session points at, when it is this user's: never anyone else's."""
    draft_id = session.get(KEY)
    if type(draft_id) is not int:
        return None
    row = db.session.get(DraftReferral, draft_id)
    if row is None or (row.user_id, row.organisation_id) != (user.id, user.organisation_id):
        return None
    return row


def read(user: User) -> dict:
    """The signed-in user's answers so far; a draft that is not theirs reads as none."""
    row = _row(user)
    if row is None:
        # Gone, or left in this browser by someone else: forget it.
        session.pop(KEY, None)
        return {}
    # A copy: answers change the draft only when stored.
    return deepcopy(row.answers)


def store(user: User, answers: dict) -> None:
    """Keep the answers in the user's draft, starting one when there is none yet.

    A plain UPDATE, so a draft sent or thrown away meanwhile (in another tab) is started
    again with these answers rather than failing.
    """
    now = clock.now()
    row = _row(user)
    if row is not None:
        # An UPDATE gives a CursorResult, though Session.execute is typed as returning any Result.
        changed = cast(
            CursorResult,
            db.session.execute(
                update(DraftReferral)
                .where(DraftReferral.id == row.id)
                .values(answers=deepcopy(answers), updated_at=now)
            ),
        )
        if changed.rowcount:
            return
    if not answers:
        return
    row = DraftReferral(
        user_id=user.id,
        organisation_id=user.organisation_id,
        answers=deepcopy(answers),
        created_at=now,
        updated_at=now,
    )
    db.session.add(row)
    db.session.flush()
    session[KEY] = row.id


def delete_draft(user: User) -> None:
    """Delete the user's draft with the caller's commit (a referral sent with it, say);
    the session still points at it, which reads as no draft, until `forget`."""
    if (row := _row(user)) is not None:
        # A plain DELETE: the same draft sent twice at once deletes nothing the second time.
        db.session.execute(delete(DraftReferral).where(DraftReferral.id == row.id))


def forget() -> None:
    session.pop(KEY, None)


def discard(user: User) -> None:
    """Throw the draft away: the user started again or the referral went no further."""
    delete_draft(user)
    forget()


def start(
    user: User,
    resident: Resident | None = None,
    *,
    service: Service | None = None,
    need: NeedCategory | None = None,
    came_from: str | None = None,
) -> dict:
    """A fresh draft, with the resident already chosen when referring from their record, or
    the service (and the need, if given) when referring from the directory."""
    discard(user)
    answers: dict = {"resident_id": resident.id} if resident is not None else {}
    if service is not None:
        answers.update({"service_id": service.id, SERVICE_FIRST: True})
        if need is not None:
            answers["need_id"] = need.id
    if came_from := local_path(came_from):
        answers[CAME_FROM] = came_from
    store(user, answers)
    return answers


def need_for(service: Service, asked: NeedCategory | None) -> NeedCategory | None:
    """The need to refer to `service` for: the one asked for if the service meets it, else
    its only need; None leaves the question to the person referring."""
    needs = list(service.needs)
    if asked is not None and asked in needs:
        return asked
    return needs[0] if len(needs) == 1 else None


def remove_abandoned(days: int) -> int:
    """Delete drafts nobody has answered for `days` days; how many went."""
    cutoff = clock.now() - timedelta(days=days)
    removed = cast(
        CursorResult,
        db.session.execute(delete(DraftReferral).where(DraftReferral.updated_at < cutoff)),
    )
    return removed.rowcount


# Which step comes next


def new_resident_step(draft: dict) -> str | None:
    """The first new-resident page not yet answered, or None when all are."""
    answers = draft.get("new_resident", {})
    for step, answer in NEW_RESIDENT_STEPS.items():
        if answer not in answers:
            return step
    return None


def first_unanswered(draft: dict) -> str:
    """The first step still to answer: where someone arriving too early is sent."""
    if "resident_id" not in draft:
        if "new_resident" in draft:
            return new_resident_step(draft) or RESIDENT
        return RESIDENT
    for step, answer in REFERRAL_STEPS.items():
        if answer not in draft:
            return step
    return CHECK


def reachable(draft: dict, step: str) -> bool:
    """Whether every step before `step` is answered."""
    if step == RESIDENT:
        return True
    if step in NEW_RESIDENT_STEPS:
        order = list(NEW_RESIDENT_STEPS)
        missing = new_resident_step(draft)
        return missing is None or order.index(step) <= order.index(missing)
    order = [RESIDENT, *REFERRAL_STEPS, CHECK]
    missing = first_unanswered(draft)
    # Part way through adding a new resident, the resident is what is still to answer.
    return order.index(step) <= (order.index(missing) if missing in order else 0)


def is_complete(draft: dict) -> bool:
    return first_unanswered(draft) == CHECK


def step_after(step: str, draft: dict | None = None) -> str:
    """The page that follows `step` when answering in order. With the service chosen first,
    the resident and the need lead on to the first question still unanswered."""
    if draft is not None and draft.get(SERVICE_FIRST) and step in (RESIDENT, "need"):
        return first_unanswered(draft)
    order = [RESIDENT, *REFERRAL_STEPS, CHECK]
    if step in NEW_RESIDENT_STEPS:
        steps = list(NEW_RESIDENT_STEPS)
        position = steps.index(step)
        return steps[position + 1] if position + 1 < len(steps) else "need"
    return order[order.index(step) + 1]


def step_before(step: str) -> str:
    """The page a back link goes to."""
    steps = list(NEW_RESIDENT_STEPS)
    if step == steps[0]:
        return RESIDENT
    if step == "new_resident_address":
        # The same-person page only shows when there are matches: go back past it.
        return "new_resident_nhs_number"
    if step in NEW_RESIDENT_STEPS:
        return steps[steps.index(step) - 1]
    order = [RESIDENT, *REFERRAL_STEPS, CHECK]
    return order[max(order.index(step) - 1, 0)]


# Answering


def choose_resident(draft: dict, resident: Resident) -> None:
    """Refer this resident. Another resident means other services and contact details;
    a service chosen first stays if it suits them."""
    if draft.get("resident_id") != resident.id:
        _forget_resident(draft)
        if not _suits(draft, resident):
            _forget_service(draft)
    draft.pop("new_resident", None)
    draft["resident_id"] = resident.id


def _forget_resident(draft: dict) -> None:
    draft.pop("resident_id", None)
    # A service chosen first waits for the next resident chosen; any other goes.
    if not draft.get(SERVICE_FIRST):
        _forget_service(draft)
    details = draft.pop("details", None)
    # What was typed about the referral itself still stands.
    if details:
        draft["kept"] = {key: details[key] for key in ("urgency", "summary") if key in details}


def answer_new_resident(draft: dict, **answers) -> None:
    """Add answers about a new resident; changing who they are means checking for matches again."""
    if "resident_id" in draft:
        _forget_resident(draft)
    new = dict(draft.get("new_resident", {}))
    if any(key in IDENTITY and new.get(key) != value for key, value in answers.items()):
        new.pop("checked_duplicates", None)
    new.update(answers)
    draft["new_resident"] = new


def new_resident(draft: dict) -> dict:
    """The answers about the new resident so far, with the date of birth as a date."""
    answers = dict(draft.get("new_resident", {}))
    if answers.get("date_of_birth"):
        answers["date_of_birth"] = date.fromisoformat(answers["date_of_birth"])
    return answers


def choose_need(draft: dict, need: NeedCategory) -> None:
    """Another need means other services to suggest, unless the service chosen first meets it."""
    changed = draft.get("need_id") != need.id
    draft["need_id"] = need.id
    if changed and not (draft.get(SERVICE_FIRST) and _meets(draft)):
        _forget_service(draft)


def choose_service(draft: dict, service: Service) -> None:
    draft["service_id"] = service.id


def _forget_service(draft: dict) -> None:
    # SERVICE_FIRST stays: the journey still goes on to the first question unanswered,
    # which is now the service.
    draft.pop("service_id", None)


def _meets(draft: dict) -> bool:
    """Whether the draft's service meets its need."""
    return _service_where(draft, meets_need(draft["need_id"]))


def _suits(draft: dict, resident: Resident) -> bool:
    """Whether the service chosen first suits the resident: it takes people of their age,
    meets the need if one is chosen, and is not closed."""
    conditions = [admits_age(age_on(resident.date_of_birth, clock.today()))]
    if "need_id" in draft:
        conditions.append(meets_need(draft["need_id"]))
    return _service_where(draft, *conditions)


def _service_where(draft: dict, *conditions) -> bool:
    if "service_id" not in draft:
        return False
    query = select(Service.id).where(
        Service.id == draft["service_id"],
        Service.capacity_status != CapacityStatus.CLOSED,
        *conditions,
    )
    return db.session.scalar(query) is not None


def give_consent(
    draft: dict, *, given_by: str, covers: str, representative_name: str | None
) -> None:
    draft["consent"] = {
        "given_by": given_by,
        "covers": covers,
        "representative_name": representative_name,
    }


def give_details(draft: dict, **answers) -> None:
    draft.pop("kept", None)
    draft["details"] = {key: answers[key] for key in DETAILS}


def details_so_far(draft: dict, resident: Resident) -> dict:
    """The details page's answers: those given, else the resident's own record."""
    if "details" in draft:
        return dict(draft["details"])
    answers = {key: getattr(resident, key) for key in RESIDENT_FIELDS}
    answers["preferred_contact"] = resident.preferred_contact.value
    answers["best_times"] = ""
    answers.update(draft.get("kept", {}))
    return answers


def resident_changes(draft: dict, resident: Resident) -> dict:
    """What the details page changes on the resident's record, field by field."""
    details = draft.get("details", {})
    current = {key: getattr(resident, key) for key in RESIDENT_FIELDS}
    current["preferred_contact"] = resident.preferred_contact.value
    return {
        key: details[key]
        for key in RESIDENT_FIELDS
        if key in details and details[key] != current[key]
    }


# Checking what the ids still point at


def validate(draft: dict, user: User) -> dict:
    """Drop answers whose records have gone, or that the user may no longer see.

    The draft holds ids: the resident may have been hidden from this user, and a need,
    service or neighbourhood removed, since the answer was given.
    """
    resident_id = draft.get("resident_id")
    if resident_id is not None and not may_see_resident(
        user, db.session.get(Resident, resident_id)
    ):
        _forget_resident(draft)
    if "need_id" in draft and db.session.get(NeedCategory, draft["need_id"]) is None:
        draft.pop("need_id")
        _forget_service(draft)
    if "service_id" in draft and db.session.get(Service, draft["service_id"]) is None:
        _forget_service(draft)
    neighbourhood_id = draft.get("new_resident", {}).get("neighbourhood_id")
    if neighbourhood_id is not None and not _exists(Neighbourhood, neighbourhood_id):
        draft["new_resident"].pop("neighbourhood_id")
    return draft


def _exists(model, id_: int) -> bool:
    return db.session.scalar(select(model.id).where(model.id == id_)) is not None
