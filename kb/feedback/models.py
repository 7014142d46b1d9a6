"""What readers say of an article: votes, flags and reuses."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.auth import User
from core.db import Base, utcnow
from kb.models import Article

FLAG_REASONS = ("outdated", "wrong", "unclear", "missing_step")
FLAG_STATUSES = ("open", "fixed", "dismissed")
REUSE_SOURCES = ("solved", "api")


class Vote(Base):
    """'Did this help?': one answer per person per article (answering again replaces it)."""
    __tablename__ = "article_votes"
    __table_args__ = (UniqueConstraint("article_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    helpful: Mapped[bool] = mapped_column()
    comment: Mapped[str] = mapped_column(String(500), default="")
    revision_number: Mapped[int] = mapped_column()  # the text the person judged
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    user: Mapped[User] = relationship(lazy="joined")


class Flag(Base):
    """'This article needs fixing', raised by someone who may not edit it; it waits in the owner's queue
    until the owner resolves it (fixed in a revision, or dismissed with a reason) and the flagger sees it."""
    __tablename__ = "article_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    revision_number: Mapped[int] = mapped_column()  # the text that was flagged
    flagged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    flagged_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column()
    fixed_in_revision: Mapped[int | None] = mapped_column()
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    outcome_seen: Mapped[bool] = mapped_column(default=False)  # the flagger has seen the resolution
    version: Mapped[int] = mapped_column(default=1)  # two owners resolving at once: the second is refused

    article: Mapped[Article] = relationship(lazy="joined")
    flagged_by: Mapped[User | None] = relationship(foreign_keys=[flagged_by_id], lazy="joined")
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id], lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class Reuse(Base):
    """An article used to solve a case: staff pressed 'this solved it', or a tool linked it through the API."""
    __tablename__ = "article_reuses"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(10))
    reference: Mapped[str] = mapped_column(String(200), default="")  # a ticket or case number, from the API
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
