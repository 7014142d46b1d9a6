"""Writing notifications: one row per recipient in the transaction of the event that caused it (an outbox),
with how it will be mailed decided from the person's preference, e-mail address and state."""
from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from accounts.auth import User, UserRole
from notify.kinds import default_delivery
from notify.models import Notification, Preference


def next_digest_at(now: datetime, hour: int) -> datetime:
    """The next daily digest time (UTC) after `now`."""
    today = datetime.combine(now.date(), time(hour))
    return today if now < today else today + timedelta(days=1)


def holders_of(connection: Connection, role: str) -> list[int]:
    return list(connection.scalars(select(UserRole.user_id).join(User, User.id == UserRole.user_id)
                                   .where(UserRole.role == role, User.active.is_(True))))


def rows_for(connection: Connection, user_ids, kind: str, params: dict, now: datetime,
             reminder_key=None) -> list[dict]:
    """The rows to insert for `kind` to the active ones among `user_ids` (each once)."""
    wanted = list(dict.fromkeys(u for u in user_ids if u is not None))
    if not wanted:
        return []
    people = connection.execute(select(User.id, User.email).where(User.id.in_(wanted), User.active.is_(True))).all()
    chosen = dict(connection.execute(select(Preference.user_id, Preference.delivery).where(
        Preference.user_id.in_(wanted), Preference.kind == kind)).all())
    digest_at = next_digest_at(now, current_app.config["NOTIFY_DIGEST_HOUR"])
    rows = []
    for user_id, email in people:
        delivery = chosen.get(user_id, default_delivery(kind))
        mailed = bool(email) and delivery in ("now", "digest")
        rows.append({"user_id": user_id, "kind": kind, "params": params, "created_at": now, "delivery": delivery,
                     "mail_state": "pending" if mailed else "none", "attempts": 0, "last_error": "",
                     "next_attempt_at": (now if delivery == "now" else digest_at) if mailed else None,
                     "reminder_key": reminder_key(user_id) if reminder_key else None})
    return rows


def write(connection: Connection, rows: list[dict]) -> None:
    if rows:
        connection.execute(insert(Notification), rows)
