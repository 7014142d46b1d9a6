"""Improvement-register records: Improvement, RootCause and its why-steps, Action, Metric, Measurement,
the links to articles and the phase history (when each phase was entered and left)."""
from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.auth import User
from core.db import Base, utcnow

SOURCES = ("complaint", "kpi_breach", "audit", "staff_idea", "article_feedback", "customer_feedback", "search_gap")
DIMENSIONS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")
SEVERITIES = ("low", "medium", "high", "critical")
PHASES = ("plan", "do", "check", "act", "closed", "cancelled")
OPEN_PHASES = ("plan", "do", "check", "act")
DECISIONS = ("adopt", "adapt", "abandon")
CAUSE_CATEGORIES = ("people", "process", "policy", "place", "product", "measurement")
ACTION_KINDS = ("containment", "corrective", "preventive", "standardise")
ACTION_STATUSES = ("open", "in_progress", "done", "dropped")
UNFINISHED = ("open", "in_progress")
DIRECTIONS = ("higher", "lower")
CHARTS = ("xmr", "p", "run")
STATISTICS = ("median", "mean")
LINK_KINDS = ("standard", "related")  # "standard": the best practice this improvement was standardised as


class Metric(Base):
    """A service KPI of the catalogue. A proportion is counted: value out of a denominator; it is
    shown as the fraction times `scale` (100 for %, 1000 for 'per 1,000 contacts')."""
    __tablename__ = "metrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    unit: Mapped[str] = mapped_column(String(40), default="")
    direction: Mapped[str] = mapped_column(String(10), default="higher")
    chart: Mapped[str] = mapped_column(String(10), default="xmr")
    statistic: Mapped[str] = mapped_column(String(10), default="median")
    proportion: Mapped[bool] = mapped_column(default=False)
    scale: Mapped[float] = mapped_column(Float, default=1.0)
    description: Mapped[str] = mapped_column(String(300), default="")


class Measurement(Base):
    __tablename__ = "measurements"
    __table_args__ = (UniqueConstraint("metric_id", "taken_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id", ondelete="CASCADE"), index=True)
    taken_on: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    metric: Mapped[Metric] = relationship()


class Improvement(Base):
    __tablename__ = "improvements"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20))
    dimension: Mapped[str] = mapped_column(String(20))
    touchpoint: Mapped[str] = mapped_column(String(200), default="")
    severity: Mapped[str] = mapped_column(String(10), default="medium")
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    phase: Mapped[str] = mapped_column(String(10), default="plan", index=True)
    started_on: Mapped[date] = mapped_column(Date)
    change_date: Mapped[date | None] = mapped_column(Date)
    metric_id: Mapped[int | None] = mapped_column(ForeignKey("metrics.id"), index=True)
    target: Mapped[float | None] = mapped_column(Float)
    what_changed: Mapped[str] = mapped_column(Text, default="")
    decision: Mapped[str | None] = mapped_column(String(10))
    decision_note: Mapped[str] = mapped_column(Text, default="")
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    follows_id: Mapped[int | None] = mapped_column(ForeignKey("improvements.id", ondelete="SET NULL"))
    # what opened it from the knowledge base ("flag:12", "votes:7", "search:<query>") and the evidence then
    origin: Mapped[str | None] = mapped_column(String(220), index=True)
    evidence: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)  # two requests changing the row at once: the second is refused

    owner: Mapped[User] = relationship(lazy="joined")
    metric: Mapped[Metric | None] = relationship(lazy="joined")
    follows: Mapped["Improvement | None"] = relationship(remote_side=[id])
    causes: Mapped[list["RootCause"]] = relationship(
        back_populates="improvement", order_by="RootCause.id", cascade="all, delete-orphan")
    actions: Mapped[list["Action"]] = relationship(
        back_populates="improvement", order_by="Action.due_on", cascade="all, delete-orphan")
    periods: Mapped[list["PhasePeriod"]] = relationship(
        back_populates="improvement", order_by="PhasePeriod.id", cascade="all, delete-orphan")
    article_links: Mapped[list["ArticleLink"]] = relationship(
        back_populates="improvement", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        return self.phase in OPEN_PHASES


class RootCause(Base):
    __tablename__ = "root_causes"

    id: Mapped[int] = mapped_column(primary_key=True)
    improvement_id: Mapped[int] = mapped_column(ForeignKey("improvements.id", ondelete="CASCADE"), index=True)
    statement: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(20))
    evidence: Mapped[str] = mapped_column(Text, default="")
    verified: Mapped[bool] = mapped_column(default=False)

    improvement: Mapped[Improvement] = relationship(back_populates="causes")
    whys: Mapped[list["WhyStep"]] = relationship(
        back_populates="cause", order_by="WhyStep.position", cascade="all, delete-orphan")


class WhyStep(Base):
    """One answer to 'why?' in a cause's chain, in order (the 5 whys)."""
    __tablename__ = "why_steps"
    __table_args__ = (UniqueConstraint("cause_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cause_id: Mapped[int] = mapped_column(ForeignKey("root_causes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(String(300))

    cause: Mapped[RootCause] = relationship(back_populates="whys")


class Action(Base):
    """Something a named owner does by a date; whether it is overdue is worked out, never stored."""
    __tablename__ = "improvement_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    improvement_id: Mapped[int] = mapped_column(ForeignKey("improvements.id", ondelete="CASCADE"), index=True)
    cause_id: Mapped[int | None] = mapped_column(ForeignKey("root_causes.id", ondelete="SET NULL"))
    description: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")
    done_on: Mapped[date | None] = mapped_column(Date)
    drop_reason: Mapped[str] = mapped_column(String(300), default="")

    improvement: Mapped[Improvement] = relationship(back_populates="actions")
    cause: Mapped[RootCause | None] = relationship()
    owner: Mapped[User] = relationship(lazy="joined")

    def overdue(self, today: date) -> bool:
        return self.status in UNFINISHED and self.due_on < today


class PhasePeriod(Base):
    """A stretch of time an improvement spent in one phase; `left_at` is empty for the present one."""
    __tablename__ = "phase_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    improvement_id: Mapped[int] = mapped_column(ForeignKey("improvements.id", ondelete="CASCADE"), index=True)
    phase: Mapped[str] = mapped_column(String(10))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column()

    improvement: Mapped[Improvement] = relationship(back_populates="periods")


class ArticleLink(Base):
    __tablename__ = "improvement_articles"

    improvement_id: Mapped[int] = mapped_column(ForeignKey("improvements.id", ondelete="CASCADE"), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)
    kind: Mapped[str] = mapped_column(String(10), default="related")

    improvement: Mapped[Improvement] = relationship(back_populates="article_links")
    article = relationship("Article", lazy="joined")


class Rebase(Base):
    """A quality lead's decision to calculate a metric's limits afresh from a date, after a sustained change;
    never without a reason, which the charts and the timelines show."""
    __tablename__ = "metric_rebases"

    id: Mapped[int] = mapped_column(primary_key=True)
    metric_id: Mapped[int] = mapped_column(ForeignKey("metrics.id", ondelete="CASCADE"), index=True)
    from_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User | None] = relationship(lazy="joined")
