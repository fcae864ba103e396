"""Every label a person reads, in one place, and times and counts in their words.

Statuses, actions, decline reasons, outcomes, timeline events, capacity, sectors and the
rest are keyed by their codes (the enums' values, which are also what event details and
the API carry), so an enum member and a code read back from JSON find the same words, and
this module needs nothing from the models. `tests/test_words.py` checks every code has its
words.
"""

from datetime import datetime

from partnership.clock import LONDON

# Referrals

STATUS = {
    "draft": "Draft",
    "requested": "Waiting for a reply",
    "accepted": "Accepted",
    "in-progress": "In progress",
    "on-hold": "On hold",
    "rejected": "Declined",
    "completed": "Completed",
    "cancelled": "Cancelled",
}
# The GOV.UK tag colour of each status.
STATUS_COLOUR = {
    "draft": "grey",
    "requested": "blue",
    "accepted": "turquoise",
    "in-progress": "light-blue",
    "on-hold": "yellow",
    "rejected": "red",
    "completed": "green",
    "cancelled": "grey",
}
URGENCY = {"routine": "Routine", "urgent": "Urgent"}
DECLINE_REASON = {
    "no-capacity": "No capacity",
    "not-eligible": "Not eligible for the service",
    "unable-to-contact": "Unable to contact the resident",
    "resident-declined": "The resident declined",
    "duplicate": "Duplicate referral",
    "other": "Another reason",
}
OUTCOME = {
    "need-met": "Need met",
    "partly-met": "Need partly met",
    "not-met": "Need not met",
    "disengaged": "Resident disengaged",
}
# What each lifecycle action's button says, and the banner once it is done.
ACTION_BUTTON = {
    "accept": "Accept referral",
    "decline": "Decline referral",
    "start": "Start work",
    "hold": "Put on hold",
    "resume": "Resume work",
    "complete": "Complete referral",
    "cancel": "Cancel referral",
}
ACTION_DONE = {
    "accept": "Referral accepted",
    "decline": "Referral declined",
    "start": "Referral started",
    "hold": "Referral put on hold",
    "resume": "Referral resumed",
    "complete": "Referral completed",
    "cancel": "Referral cancelled",
}
# Timeline events by kind: "Accepted", and in a sentence "REF-2026-000012 was accepted".
EVENT = {
    "sent": "Sent",
    "opened": "Opened",
    "accepted": "Accepted",
    "declined": "Declined",
    "started": "Started",
    "held": "Put on hold",
    "resumed": "Resumed",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "assigned": "Assigned",
    "message": "Message sent",
}
CONSENT_GIVER = {"resident": "The resident", "representative": "Someone acting for them"}
# Whether the receiving organisation has opened a sent referral, in the referrer's outbox.
NOT_OPENED = "Not opened yet"

# Residents

CONTACT_METHOD = {
    "phone": "Phone",
    "email": "Email",
    "letter": "Letter",
    "in-person": "In person",
}

# Services

CAPACITY_STATUS = {
    "open": "Open",
    "limited": "Limited",
    "waitlist": "Waiting list",
    "full": "Full",
    "closed": "Closed",
}
# The GOV.UK tag colour of each capacity status.
CAPACITY_COLOUR = {
    "open": "green",
    "limited": "yellow",
    "waitlist": "orange",
    "full": "red",
    "closed": "grey",
}
# Capacity nobody in the partnership has posted: imported from a directory feed, or the
# state a new service starts in.
CAPACITY_NOT_POSTED = "not posted yet"
WAIT_BAND = {
    "under-1-week": "under 1 week",
    "1-4-weeks": "1 to 4 weeks",
    "1-3-months": "1 to 3 months",
    "over-3-months": "over 3 months",
}

# Dashboards: the headline figures, as the counters, tables and CSV name them.
FIGURE = {
    "made": "Referrals made",
    "accepted": "Accepted",
    "declined": "Declined",
    "completed": "Completed",
    "acceptance_rate": "Acceptance rate",
    "median_days_to_accept": "Median days to accept",
    "median_days_to_complete": "Median days to complete",
    "overdue_now": "Overdue now",
    "unmet_need": "Unmet need",
}

# Organisations and people

SECTOR = {
    "nhs": "NHS",
    "council": "Council",
    "vcse": "Voluntary, community and social enterprise",
    "other": "Other",
}
ROLE = {
    "caseworker": "Caseworker",
    "coordinator": "Coordinator",
    "lead": "Lead",
    "admin": "Admin",
}
ACCESS_ACTION = {"view": "Viewed", "export": "Exported", "change": "Changed"}
TOKEN_SCOPE = {"read": "Read only", "write": "Read and write"}
ACCOUNT_ACTION = {
    "password-changed": "Changed their password",
    "temporary-password": "Temporary password set",
    "two-step-on": "Two-step sign-in turned on",
    "two-step-reset": "Two-step sign-in reset",
    "recovery-codes": "New recovery codes made",
    "token-created": "API token created",
    "token-revoked": "API token revoked",
    "deactivated": "Deactivated",
    "reactivated": "Reactivated",
}


def no_referrals_taken(organisation: str, partnership: str) -> str:
    """Why a service takes no referrals, after its name: nobody at its organisation can
    read its inbox (no active caseworker or coordinator)."""
    return (
        f"takes no referrals through {partnership}: nobody at {organisation} can receive them yet"
    )


def event_words(kind: str) -> str:
    """A timeline event's title; an unknown kind still reads as words."""
    return EVENT.get(kind) or kind.replace("-", " ").replace("_", " ").capitalize()


def event_sentence(kind: str) -> str:
    """ "was accepted", "was put on hold": what a referral's event did, after its reference."""
    return f"was {event_words(kind).lower()}"


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def time_since(moment: datetime, now: datetime) -> str:
    """ "just now", "5 minutes ago", "2 hours ago", "3 days ago"."""
    seconds = int((now - moment).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{plural(seconds // 60, 'minute')} ago"
    if seconds < 86400:
        return f"{plural(seconds // 3600, 'hour')} ago"
    return f"{plural(seconds // 86400, 'day')} ago"


def day_words(moment: datetime) -> str:
    """ "3 March 2026", the UK date of a moment."""
    local = moment.astimezone(LONDON)
    return f"{local.day} {local:%B %Y}"


def clock_time(moment: datetime) -> str:
    """ "2:05pm", the UK time of day of a moment."""
    local = moment.astimezone(LONDON)
    hour = local.hour % 12 or 12
    return f"{hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


def local_time(moment: datetime | None) -> str:
    """ "3 March 2026 at 2:05pm", in the partnership's own time zone."""
    if moment is None:
        return ""
    return f"{day_words(moment)} at {clock_time(moment)}"


def when_words(moment: datetime, now: datetime) -> str:
    """ "at 10:32am" today (in the UK), "on 3 March 2026 at 10:32am" on another day."""
    if day_words(moment) == day_words(now):
        return f"at {clock_time(moment)}"
    return f"on {local_time(moment)}"


def overtaken(kind: str, by: str | None, at: datetime, now: datetime) -> str:
    """An action refused because someone else changed the referral first, saying who did
    what and when: "Declined by Calder Bank Food Bank at 10:32am; nothing was changed"."""
    who = f" by {by}" if by else ""
    return f"{event_words(kind)}{who} {when_words(at, now)}; nothing was changed"
