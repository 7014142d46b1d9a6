"""Search records: articles waiting for the index, and the log of searches people ran."""
from datetime import datetime

from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, utcnow


class SearchPending(Base):
    """An article whose search index entry is behind the database: written in the same transaction
    as the change, removed only once the index holds it, so a failed or killed indexing catches up.

    A catch-up deletes exactly the rows it read, by id, so an id must never be used twice: SQLite
    would otherwise give a new mark the id of one just deleted, and a slower worker deleting its
    stale ids would drop that mark unindexed (found by killing a gunicorn worker during writes)."""
    __tablename__ = "search_pending"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(index=True)  # no foreign key: a deleted article is pending too
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)


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
