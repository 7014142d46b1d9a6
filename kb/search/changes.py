"""The change log the search indexes follow: every article change writes a row in the same transaction, each
host's index applies the rows past its position (`kb.search.index.catch_up`), and the log is pruned once no
live host needs a row (or after the retention period: a host away longer rebuilds its index instead).

Why rows become visible in id order: SQLite has one writer at a time; on PostgreSQL the rows are written at
commit time, after a transaction-scoped advisory lock, so a transaction that got a lower id has committed
before another can take a higher one. A reader that saw id N therefore never later finds a new row below N,
and "this index holds every change up to N" is exact."""
import uuid
from datetime import timedelta

from sqlalchemy import delete, event, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db import db, utcnow
from kb.models import Article
from kb.search.models import SearchChange, SearchChangeFloor, SearchHost

ADVISORY_LOCK = 0x5EA_C4A6E  # any constant of ours: orders the writers of the log on PostgreSQL
CHANNEL = "search_changes"  # PostgreSQL NOTIFY channel: a host listening catches up at once


# --- writing: with every article change ----------------------------------------------------------------------

def _note_changed_articles(session: Session, _context, _instances) -> None:
    """Before each flush: the articles whose content changes (new ones have no id yet)."""
    changed = [obj for obj in (*session.new, *session.dirty, *session.deleted) if isinstance(obj, Article)
               and (obj in session.new or obj in session.deleted or session.is_modified(obj))]
    if changed:
        session.info.setdefault("search_objects", []).extend(changed)


def _collect_ids(session: Session, _context) -> None:
    """After it: their ids, written to the log at commit (or at once, by a flush the commit itself makes after
    the log rows were written)."""
    ids = {a.id for a in session.info.pop("search_objects", []) if a.id is not None}
    if ids and session.info.get("search_logged"):
        write(session, ids)
    elif ids:
        mark(session, ids)


def mark(session: Session, article_ids) -> None:
    """These articles changed in this transaction: logged when it commits (`kb.rerender` calls it directly)."""
    session.info.setdefault("search_ids", set()).update(article_ids)


def _write_at_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint: the outer commit writes the log
        return
    session.flush()  # the commit would flush after this event; now, so that its articles are in the log
    ids = session.info.pop("search_ids", None)
    if ids:
        write(session, ids)
        session.info["search_logged"] = True


def write(session: Session, article_ids) -> None:
    connection = session.connection()
    postgresql = connection.dialect.name == "postgresql"
    if postgresql:
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
    now = utcnow()
    connection.execute(SearchChange.__table__.insert(),
                       [{"article_id": i, "changed_at": now} for i in sorted(article_ids)])
    if postgresql:  # delivered when the transaction commits, to every host listening
        connection.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


def logged(session: Session) -> bool:
    """After a commit: did it log article changes? (Clears the note.)"""
    return bool(session.info.pop("search_logged", False))


def forget(session: Session) -> None:
    """After a rollback: nothing of it was logged."""
    if session.in_nested_transaction():  # a savepoint rolled back: the outer transaction keeps its marks
        return
    for key in ("search_objects", "search_ids", "search_logged"):
        session.info.pop(key, None)


def listen(session_factory, after_commit) -> None:
    """Log the article changes of the sessions `session_factory` makes; `after_commit(session)` runs after
    each commit (the index catches up there)."""
    event.listen(session_factory, "before_flush", _note_changed_articles)
    event.listen(session_factory, "after_flush", _collect_ids)
    event.listen(session_factory, "before_commit", _write_at_commit)
    event.listen(session_factory, "after_commit", after_commit)
    event.listen(session_factory, "after_rollback", forget)


# --- reading ---------------------------------------------------------------------------------------------------

def head(session: Session) -> int:
    """The newest id in the log (the highest pruned one when it was pruned empty; 0 when there never was any)."""
    return max(session.scalar(select(func.coalesce(func.max(SearchChange.id), 0))), floor(session))


def after(session: Session, position: int, limit: int) -> list:
    """The next rows past `position`, oldest first (id, article_id, changed_at)."""
    return session.execute(select(SearchChange.id, SearchChange.article_id, SearchChange.changed_at)
                           .where(SearchChange.id > position).order_by(SearchChange.id).limit(limit)).all()


def count_after(session: Session, position: int) -> int:
    return session.scalar(select(func.count()).select_from(SearchChange).where(SearchChange.id > position))


def oldest_after(session: Session, position: int):
    """When the oldest change past `position` was made (None if there is none): how far behind in time."""
    return session.scalar(select(func.min(SearchChange.changed_at)).where(SearchChange.id > position))


def epoch(session: Session) -> str:
    """The log's epoch ('' when unknown): an index made under another epoch is from another history."""
    return session.scalar(select(SearchChangeFloor.epoch).where(SearchChangeFloor.id == 1)) or ""


def new_epoch() -> str:
    """After a restore from a backup: the log went back in time, so every host's index must be rebuilt."""
    value = uuid.uuid4().hex
    with Session(db.engine) as session, session.begin():
        if not session.execute(update(SearchChangeFloor).where(SearchChangeFloor.id == 1)
                               .values(epoch=value)).rowcount:
            session.add(SearchChangeFloor(id=1, pruned_through=0, epoch=value))
    return value


def floor(session: Session) -> int:
    """The highest id pruned so far: an index below it has missed changes for good. Read it after the rows,
    never before: a prune between the two reads would otherwise hide rows without raising the floor seen."""
    return session.scalar(select(SearchChangeFloor.pruned_through).where(SearchChangeFloor.id == 1)) or 0


# --- hosts and pruning ---------------------------------------------------------------------------------------

def report(host: str, position: int, index_name: str, caught_up: bool = False, rebuilt: bool = False) -> None:
    """Record where `host`'s index is (a heartbeat too), in its own short transactions."""
    values = {"position": position, "index_name": index_name, "seen_at": utcnow()}
    if caught_up:
        values["caught_up_at"] = values["seen_at"]
    updated = dict(values)
    if rebuilt:
        updated["rebuilds"] = SearchHost.rebuilds + 1
    with Session(db.engine) as session, session.begin():
        if session.execute(update(SearchHost).where(SearchHost.name == host).values(updated)).rowcount:
            return
    try:
        with Session(db.engine) as session, session.begin():
            session.add(SearchHost(name=host, rebuilds=int(rebuilt), **values))
    except IntegrityError:  # another worker of the host wrote its row first: its report stands
        pass


def hosts(session: Session) -> list[SearchHost]:
    return list(session.scalars(select(SearchHost).order_by(SearchHost.name)))


def prune(retention_seconds: float) -> int:
    """Delete the rows every live host has applied, and any older than the retention period; returns how many.
    A host is live if it reported within the retention period."""
    now = utcnow()
    since = now - timedelta(seconds=retention_seconds)
    with Session(db.engine) as session, session.begin():
        needed = session.scalar(select(func.min(SearchHost.position)).where(SearchHost.seen_at >= since))
        prunable = SearchChange.changed_at < since
        if needed is not None:
            prunable = or_(SearchChange.id <= needed, prunable)
        through = session.scalar(select(func.max(SearchChange.id)).where(prunable))
        if through is None:
            return 0
        deleted = session.execute(delete(SearchChange).where(SearchChange.id <= through)).rowcount
        raised = session.execute(update(SearchChangeFloor).where(SearchChangeFloor.id == 1)
                                 .where(SearchChangeFloor.pruned_through < through)
                                 .values(pruned_through=through, pruned_at=now)).rowcount
        if not raised and session.get(SearchChangeFloor, 1) is None:
            session.add(SearchChangeFloor(id=1, pruned_through=through, pruned_at=now))
    return deleted
