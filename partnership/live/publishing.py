"""Publishing after commit: the one place that tells other processes that events exist.

Event rows are written in the same transaction as the change they describe. Only after the
transaction commits does a notice go out, so a rolled-back transaction publishes nothing.
"""

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from partnership.models import Event

KEY = "live_event_ids"
MARKS = "live_event_savepoints"


def _collect(session: Session, _flush_context) -> None:
    ids = [obj.id for obj in session.new if isinstance(obj, Event)]
    if ids:
        session.info.setdefault(KEY, []).extend(ids)


def _savepoint_begun(session: Session, transaction) -> None:
    if transaction.nested:
        session.info.setdefault(MARKS, {})[transaction] = len(session.info.get(KEY, []))


def _savepoint_rolled_back(session: Session, previous) -> None:
    """Events written inside a rolled-back savepoint never existed: forget only those."""
    if previous.nested:
        mark = session.info.get(MARKS, {}).pop(previous, None)
        if mark is not None and KEY in session.info:
            del session.info[KEY][mark:]


def _publish(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the transaction has not committed yet
    session.info.pop(MARKS, None)
    ids = session.info.pop(KEY, None)
    if ids and has_app_context() and (broker := current_app.extensions.get("live_broker")):
        broker.publish(str(max(ids)))


def _forget(session: Session) -> None:
    if session.in_nested_transaction():
        return  # only a savepoint: `_savepoint_rolled_back` forgets its own events
    session.info.pop(MARKS, None)
    session.info.pop(KEY, None)


def install() -> None:
    """Listen on every session once per process (idempotent)."""
    if not event.contains(Session, "after_flush", _collect):
        event.listen(Session, "after_flush", _collect)
        event.listen(Session, "after_commit", _publish)
        event.listen(Session, "after_rollback", _forget)
        event.listen(Session, "after_transaction_create", _savepoint_begun)
        event.listen(Session, "after_soft_rollback", _savepoint_rolled_back)
