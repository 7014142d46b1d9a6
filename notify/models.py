"""Notification records: one row per message for one person (the in-site inbox and the mail outbox at once),
and each person's choice of delivery per kind."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.auth import User
from core.db import Base, utcnow

DELIVERIES = ("now", "digest", "off")  # by e-mail; in the site a notification always shows
# the mail's way: none (not mailed) -> pending -> claimed (a sender took it) -> sending (marked before the
# SMTP transaction) -> sent; or failed (refused for good, or a sender died while sending: shown to admins)
MAIL_STATES = ("none", "pending", "claimed", "sending", "sent", "failed")


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)  # what the text needs, in no language
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column()
    # a reminder's "kind:subject:due date:recipient": written once per due date, whatever the number of runs
    reminder_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    delivery: Mapped[str] = mapped_column(String(10), default="off")
    mail_state: Mapped[str] = mapped_column(String(10), default="none")
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    message_id: Mapped[str | None] = mapped_column(String(200))  # of the mail (or digest) that carried it
    last_error: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
                      Index("ix_notifications_mail_state_next_attempt_at", "mail_state", "next_attempt_at"))


class Preference(Base):
    """How one person wants one kind mailed; no row means the kind's default."""
    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    delivery: Mapped[str] = mapped_column(String(10))
