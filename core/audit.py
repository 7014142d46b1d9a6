"""The audit trail: who changed what record, when, from what to what."""
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, db, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    actor = relationship("User")


def record(actor, action: str, entity_type: str, entity_id: int,
           before: dict | None = None, after: dict | None = None) -> AuditEvent:
    event = AuditEvent(actor_id=getattr(actor, "id", None), action=action, entity_type=entity_type,
                       entity_id=entity_id, before=before, after=after)
    db.session.add(event)
    return event


def trail(entity_type: str, entity_id: int) -> list[AuditEvent]:
    query = (select(AuditEvent).where(AuditEvent.entity_type == entity_type,
                                      AuditEvent.entity_id == entity_id)
             .order_by(AuditEvent.at, AuditEvent.id))
    return list(db.session.scalars(query))
