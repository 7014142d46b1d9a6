"""Search records: the change log the indexes follow, the hosts following it, and the log of searches people ran."""
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow


class SearchChange(Base):
    """The change log the search indexes follow: one row per article changed, written in the same transaction as
    the change. Each host's index records how far it has applied the log (`kb.search.position`), so any number
    of hosts, each with its own index, follow one database.

    The ids only grow and are never used twice (SQLite's AUTOINCREMENT, PostgreSQL's identity), and they become
    visible in the order they were given: SQLite has one writer at a time, and on PostgreSQL a writing
    transaction takes a transaction-scoped advisory lock just before it writes its rows (at commit time), so
    no transaction can commit a lower id after a reader saw a higher one. "Applied up to N" is then exact.
    Pruned only once every live host has applied a row, or after the retention period (`kb.search.follow`)."""
    __tablename__ = "search_changes"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    article_id: Mapped[int]  # no foreign key: a deleted article is a change too
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class SearchHost(Base):
    """A host that follows the change log with an index of its own: how far it is, for `flask search status`
    and for pruning (a host not seen within the retention period no longer holds the log back)."""
    __tablename__ = "search_hosts"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    index_name: Mapped[str] = mapped_column(String(100), default="")
    caught_up_at: Mapped[datetime | None]  # the last catch-up that applied something (or found nothing to do)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    rebuilds: Mapped[int] = mapped_column(default=0)  # rebuilds it made itself (new index, or pruned past it)


class SearchChangeFloor(Base):
    """One row: the highest change-log id pruned so far (a host whose position is below it missed changes and
    must rebuild its index instead of catching up), and the log's epoch: a new one when the database is restored
    from a backup, whose log goes back in time, so that every host's index, made from the later history, is
    rebuilt rather than trusted."""
    __tablename__ = "search_change_floor"

    id: Mapped[int] = mapped_column(primary_key=True)
    pruned_through: Mapped[int] = mapped_column(BigInteger, default=0)
    pruned_at: Mapped[datetime | None]
    epoch: Mapped[str] = mapped_column(String(32), default=lambda: uuid.uuid4().hex)


class SearchLog(Base):
    """One search someone ran: the source of the top-queries and content-gap reports."""
    __tablename__ = "search_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    # names the search in the links of its results, to count the one opened (made before the row is written)
    token: Mapped[str | None] = mapped_column(String(16), unique=True)
    query: Mapped[str] = mapped_column(String(200), index=True)
    filters: Mapped[str] = mapped_column(String(300), default="")
    hits: Mapped[int] = mapped_column(default=0)
    millis: Mapped[float] = mapped_column(Float, default=0.0)
    source: Mapped[str] = mapped_column(String(10), default="page")  # page, api, suggest
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    clicked_article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Synonym(Base):
    """An editor's synonym entry, applied when a search runs (no index rebuild): a group of equivalent
    terms (`顾客 = 客户 = customer`), or a one-way entry whose first term also finds the others
    (`手机 -> iPhone`), never back. `terms` holds the terms one per line, as typed; `key` is the entry
    normalised, so the same entry cannot be kept twice."""
    __tablename__ = "search_synonyms"

    id: Mapped[int] = mapped_column(primary_key=True)
    one_way: Mapped[bool] = mapped_column(default=False)
    terms: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(String(800), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def term_list(self) -> list[str]:
        return self.terms.split("\n")
