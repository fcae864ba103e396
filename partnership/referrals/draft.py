"""The referral being made: the answers so far, kept in the signed session cookie.

Only ids and the typed answers are kept, under one key, and they are cleared once the
referral is sent. The steps come in a fixed order; a step counts as answered when its
answers are in the draft, and a later step is only reached once every earlier one is.
Changing an earlier answer drops the later answers that depended on it.
"""

from copy import deepcopy
from datetime import date

from flask import current_app, session
from sqlalchemy import select

from partnership.access import may_see_resident
from partnership.extensions import db
from partnership.models import NeedCategory, Neighbourhood, Resident, Service, User

KEY = "referral_draft"
# Browsers drop a cookie over 4,096 bytes, and the sign-in travels in the same one.
LARGEST_SESSION = 3800

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

# What a new resident's answers mean for possible duplicates: change one, check again.
IDENTITY = ("given_name", "family_name", "date_of_birth", "nhs_number")
# The details page's answers: about the referral, then about contacting the resident.
DETAILS = (
    "urgency",
    "summary",
    "preferred_contact",
    "best_times",
    "interpreter_needed",
    "language",
    "accessibility_needs",
)
# What the details page may change on the resident's own record when the referral is sent.
RESIDENT_FIELDS = ("preferred_contact", "interpreter_needed", "language", "accessibility_needs")


def read(user: User) -> dict:
    """The signed-in user's draft; a draft left by someone else in this browser is dropped."""
    draft = session.get(KEY)
    if not isinstance(draft, dict) or draft.get("user_id") != user.id:
        return {"user_id": user.id}
    # A copy: answers change the session only when stored.
    return deepcopy(draft)


def store(draft: dict) -> None:
    session[KEY] = draft


def fits(draft: dict) -> bool:
    """Whether the session cookie can still carry the draft.

    Long answers in a script that compresses badly could otherwise push the cookie past
    what browsers keep, losing the answers and the sign-in with them.
    """
    serializer = current_app.session_interface.get_signing_serializer(current_app)
    if serializer is None:
        return True
    return len(serializer.dumps({**session, KEY: draft})) <= LARGEST_SESSION


def discard() -> None:
    session.pop(KEY, None)


def start(user: User, resident: Resident | None = None) -> dict:
    """A fresh draft, with the resident already chosen when referring from their record."""
    draft = {"user_id": user.id}
    if resident is not None:
        draft["resident_id"] = resident.id
    store(draft)
    return draft


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


def step_after(step: str) -> str:
    """The page that follows `step` when answering in order."""
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
    """Refer this resident. Another resident means other services and contact details."""
    if draft.get("resident_id") != resident.id:
        _forget_resident(draft)
    draft.pop("new_resident", None)
    draft["resident_id"] = resident.id


def _forget_resident(draft: dict) -> None:
    draft.pop("resident_id", None)
    draft.pop("service_id", None)
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
    """Another need means other services to suggest."""
    if draft.get("need_id") != need.id:
        draft.pop("service_id", None)
    draft["need_id"] = need.id


def choose_service(draft: dict, service: Service) -> None:
    draft["service_id"] = service.id


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

    The session only holds ids: the resident may have been hidden from this user, and
    a need, service or neighbourhood removed, since the answer was given.
    """
    resident_id = draft.get("resident_id")
    if resident_id is not None and not may_see_resident(
        user, db.session.get(Resident, resident_id)
    ):
        _forget_resident(draft)
    if "need_id" in draft and db.session.get(NeedCategory, draft["need_id"]) is None:
        draft.pop("need_id")
        draft.pop("service_id", None)
    if "service_id" in draft and db.session.get(Service, draft["service_id"]) is None:
        draft.pop("service_id")
    neighbourhood_id = draft.get("new_resident", {}).get("neighbourhood_id")
    if neighbourhood_id is not None and not _exists(Neighbourhood, neighbourhood_id):
        draft["new_resident"].pop("neighbourhood_id")
    return draft


def _exists(model, id_: int) -> bool:
    return db.session.scalar(select(model.id).where(model.id == id_)) is not None
