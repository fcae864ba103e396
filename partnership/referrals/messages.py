"""Messages between the two organisations on a referral.

The web page and the API both post through `post_message`: a Message row, its timeline
event (ids only, never the text) and an access-log row, in the caller's transaction.
Messages do not change the referral, so its version is not bumped.
"""

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from partnership.access import log_access, log_view_since
from partnership.extensions import db
from partnership.models import AccessAction, Message, Referral, User
from partnership.referrals.lifecycle import Incomplete, NotAllowed, event_for, sides

MAX_MESSAGE = 2000


def post_message(referral: Referral, user: User, body: str) -> Message:
    """Add `body` to the referral's messages, or raise NotAllowed / Incomplete saying why."""
    if not sides(user, referral):
        raise NotAllowed("Only the two organisations on the referral can message each other")
    body = (body or "").strip()
    if not body:
        raise Incomplete("Enter a message")
    if len(body) > MAX_MESSAGE:
        raise Incomplete(f"The message must be {MAX_MESSAGE:,} characters or fewer")
    message = Message(
        referral_id=referral.id,
        author_id=user.id,
        organisation_id=user.organisation_id,
        body=body,
    )
    db.session.add(message)
    db.session.flush()
    event_for(referral, "message", user, detail={"message_id": message.id})
    log_access(
        user, referral.resident_id, AccessAction.CHANGE, "sent a message", referral_id=referral.id
    )
    return message


def messages_for(referral: Referral) -> list[Message]:
    """The conversation, oldest first, as it is read."""
    return list(
        db.session.scalars(
            select(Message)
            .options(selectinload(Message.author), selectinload(Message.organisation))
            .where(Message.referral_id == referral.id)
            .order_by(Message.created_at, Message.id)
        )
    )


def log_messages_seen(referral: Referral, user: User, shown: list[Message]) -> None:
    """One access-log row per view of personal data: the messages an open referral page
    fetches again on each of the referral's events are logged only when they include a
    message newer than the user's last logged view of this referral."""
    if shown:
        newest = max(message.created_at for message in shown)
        log_view_since(user, referral, newest, "referral messages")
