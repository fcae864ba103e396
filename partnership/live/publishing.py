"""After commit: the one place that tells other processes that something changed.

Event rows are written in the same transaction as the change they describe. Only after the
transaction commits does a notice go out, so a rolled-back transaction publishes nothing.
The same hook tells the shared cache which tables the transaction wrote, so figures counted
from them are forgotten by every worker at once (partnership/cache.py), before the notice
that makes pages ask for them again.

Writes are seen two ways: objects in a flush, and statements run through the session
(the lifecycle's conditional UPDATEs, the daily summary's upserts, raw SQL). Savepoints are
not commits: releasing one publishes nothing yet, and rolling one back forgets only the
events written inside it.
"""

from itertools import chain

from flask import current_app, has_app_context
from sqlalchemy import Delete, Insert, TableClause, TextClause, Update, event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from partnership import cache
from partnership.models import Event

KEY = "live_event_ids"
MARKS = "live_event_savepoints"
WRITTEN = "tables_written"


def _written(session: Session, tables: set[str]) -> None:
    if tables:
        session.info.setdefault(WRITTEN, set()).update(tables)


def _collect(session: Session, _flush_context) -> None:
    ids = [obj.id for obj in session.new if isinstance(obj, Event)]
    if ids:
        session.info.setdefault(KEY, []).extend(ids)
    changed = chain(session.new, session.dirty, session.deleted)
    _written(session, {table.name for obj in changed for table in inspect(obj).mapper.tables})


def _tables_of(statement) -> set[str]:
    """The tables a statement writes, or ANY_TABLE when SQL text could write anything."""
    if isinstance(statement, Insert | Update | Delete):
        table = statement.table
        return {table.name} if isinstance(table, TableClause) else {cache.ANY_TABLE}
    if isinstance(statement, TextClause):
        words = statement.text.lstrip().split(maxsplit=1)
        return set() if words and words[0].upper() == "SELECT" else {cache.ANY_TABLE}
    return {cache.ANY_TABLE}


def _collect_statement(state: ORMExecuteState) -> None:
    if not state.is_select:
        _written(state.session, _tables_of(state.statement))


def _savepoint_begun(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        session.info.setdefault(MARKS, {})[transaction] = len(session.info.get(KEY, []))


def _savepoint_rolled_back(session: Session, previous: SessionTransaction) -> None:
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
    written = session.info.pop(WRITTEN, None)
    if not has_app_context():
        return
    if written:
        cache.forget_figures_if_changed(written)
    if ids and (broker := current_app.extensions.get("live_broker")):
        broker.publish(str(max(ids)))


def _forget(session: Session) -> None:
    """Nothing to announce; the tables written are kept until the next commit, as a write
    forgotten could leave stale figures where an extra one only costs a recount."""
    if session.in_nested_transaction():
        return  # only a savepoint: `_savepoint_rolled_back` forgets its own events
    session.info.pop(MARKS, None)
    session.info.pop(KEY, None)


def install() -> None:
    """Listen on every session once per process (idempotent)."""
    if not event.contains(Session, "after_flush", _collect):
        event.listen(Session, "after_flush", _collect)
        event.listen(Session, "do_orm_execute", _collect_statement)
        event.listen(Session, "after_commit", _publish)
        event.listen(Session, "after_rollback", _forget)
        event.listen(Session, "after_transaction_create", _savepoint_begun)
        event.listen(Session, "after_soft_rollback", _savepoint_rolled_back)
