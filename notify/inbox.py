"""The in-site side: a person's notifications, the unread count, marking read, and delivery preferences."""
from sqlalchemy import bindparam, delete, func, select, update

from core.db import db, utcnow
from core.errors import Invalid, NotFound
from notify.kinds import KINDS
from notify.models import DELIVERIES, Notification, Preference

PAGE = 50


_UNREAD = select(func.count()).select_from(Notification).where(
    Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None))


def unread_count(user) -> int:
    """Every page's header shows it: the statement is built once (building it per page cost as much as running it)."""
    return db.session.scalar(_UNREAD, {"user_id": user.id}) or 0


def latest(user, page: int = 1) -> tuple[list[Notification], bool]:
    """A page of the person's notifications, newest first, and whether there is an older page."""
    rows = list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id.desc()).offset((page - 1) * PAGE).limit(PAGE + 1)))
    return rows[:PAGE], len(rows) > PAGE


def mine(user, notification_id: int) -> Notification:
    found = db.session.get(Notification, notification_id)
    if found is None or found.user_id != user.id:
        raise NotFound()
    return found


def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()


def mark_all_read(user) -> int:
    return db.session.execute(update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)).values(read_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount


def preferences(user) -> dict[str, str]:
    """kind -> delivery for every kind, the person's choice or the kind's default."""
    chosen = dict(db.session.execute(select(Preference.kind, Preference.delivery)
                                     .where(Preference.user_id == user.id)).all())
    return {name: chosen.get(name, kind.default) for name, kind in KINDS.items()}


def save_preferences(user, wanted: dict[str, str]) -> None:
    """Keep a row only where the choice differs from the default, so a better default reaches everyone else."""
    unknown = [k for k in wanted if k not in KINDS]
    bad = [v for v in wanted.values() if v not in DELIVERIES]
    if unknown or bad:
        raise Invalid("unknown kind or delivery")
    db.session.execute(delete(Preference).where(Preference.user_id == user.id))
    for kind, delivery in wanted.items():
        if delivery != KINDS[kind].default:
            db.session.add(Preference(user_id=user.id, kind=kind, delivery=delivery))
    db.session.flush()
