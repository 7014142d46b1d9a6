"""Onboarding records: LearningPath and its ordered PathItems, Assignment of a path to a person,
Acknowledgement of the revision of an article a person read, and per-article knowledge checks."""
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.auth import User
from core.db import Base, utcnow
from kb.models import Article


class LearningPath(Base):
    __tablename__ = "learning_paths"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    role: Mapped[str] = mapped_column(String(20))  # the role it is for (core.auth.ROLES)
    expected_minutes: Mapped[int] = mapped_column(default=60)
    archived: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    items: Mapped[list["PathItem"]] = relationship(
        back_populates="path", order_by="PathItem.position", cascade="all, delete-orphan")
    assignments: Mapped[list["Assignment"]] = relationship(back_populates="path", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}


class PathItem(Base):
    __tablename__ = "path_items"
    __table_args__ = (UniqueConstraint("path_id", "article_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("learning_paths.id", ondelete="CASCADE"), index=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()

    path: Mapped[LearningPath] = relationship(back_populates="items")
    article: Mapped[Article] = relationship(lazy="joined")


class Assignment(Base):
    """A path given to one person, due by a date; progress is worked out from acknowledgements and checks."""
    __tablename__ = "path_assignments"
    __table_args__ = (UniqueConstraint("path_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("learning_paths.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)

    path: Mapped[LearningPath] = relationship(back_populates="assignments", lazy="joined")
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")


class Acknowledgement(Base):
    """'I have read and understood this', for one revision of an article; once per person per revision."""
    __tablename__ = "acknowledgements"
    __table_args__ = (UniqueConstraint("user_id", "article_id", "revision_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    revision_number: Mapped[int] = mapped_column()
    at: Mapped[datetime] = mapped_column(default=utcnow)


class CheckQuestion(Base):
    """One multiple-choice question of an article's knowledge check, written by a trainer."""
    __tablename__ = "check_questions"
    __table_args__ = (UniqueConstraint("article_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    choices: Mapped[list["CheckChoice"]] = relationship(
        back_populates="question", order_by="CheckChoice.position", cascade="all, delete-orphan", lazy="selectin")


class CheckChoice(Base):
    __tablename__ = "check_choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("check_questions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(String(300))
    correct: Mapped[bool] = mapped_column(default=False)

    question: Mapped[CheckQuestion] = relationship(back_populates="choices")


class CheckAttempt(Base):
    """One go at an article's knowledge check: how many answers were right, and whether it passed."""
    __tablename__ = "check_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    correct: Mapped[int] = mapped_column()
    total: Mapped[int] = mapped_column()
    passed: Mapped[bool] = mapped_column()
    at: Mapped[datetime] = mapped_column(default=utcnow)
