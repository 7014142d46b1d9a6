"""Counting what is in the database, the same way in every test."""
import contextlib

from sqlalchemy import event, func, select

from core.db import db


def count(model, *where, committed: bool = True) -> int:
    """Rows of `model` (matching `where`); `committed`: as another request would see them (a fresh session),
    else in this session, flushed rows included."""
    if committed:
        db.session.remove()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@contextlib.contextmanager
def counted_queries():
    """`with counted_queries() as queries:` ... `len(queries)` statements were sent to the database."""
    sent = []
    listener = lambda *args: sent.append(args[2])  # noqa: E731  (the statement)
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
