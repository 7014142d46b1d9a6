"""Looking after people: the user list, adding a user, changing roles, state and passwords.

Every change is audited with the user's display name, roles and active state before and after;
a password never reaches the audit trail, only the fact that it was set.
"""
import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from accounts import auth
from accounts.auth import User, UserRole
from core import audit
from core.db import db
from core.errors import Invalid

MIN_PASSWORD_LENGTH = 10
# where notifications go (notify/): an address as people type it (no quoting, no comments), checked, not verified
EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
MAX_EMAIL = 254


def all_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(func.lower(User.username), User.id)))


def check_new_password(password: str, username: str, current: str | None = None,
                       field: str = "new_password") -> None:
    """Refuse a password that is short, is the user name (in any case) or is the current one again."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(_l("A password has at least %(n)s characters.", n=MIN_PASSWORD_LENGTH), field=field)
    if password.casefold() == username.casefold():
        raise Invalid(_l("The password must not be the user name."), field=field)
    if current is not None and password == current:
        raise Invalid(_l("The new password must differ from the current one."), field=field)


def clean_email(value: str | None) -> str | None:
    """An e-mail address as kept (trimmed), None for none; Invalid when it cannot be one."""
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > MAX_EMAIL or not EMAIL.fullmatch(value):
        raise Invalid(_l("Enter an e-mail address such as name@example.com."), field="email")
    return value


def set_email(user: User, email: str | None, actor: User | None) -> None:
    """`actor` (the person themselves, an admin, or a command: None) sets `user`'s e-mail address."""
    email = clean_email(email)
    if email != user.email:
        before = user.email
        user.email = email
        audit.record(actor, "update", "user", user.id, before={"email": before}, after={"email": email})
        db.session.flush()


def change_own_password(user: User, current: str, new: str) -> None:
    """`user` sets `new` after proving `current` (which the caller has checked against the hash)."""
    check_new_password(new, user.username, current)
    user.set_password(new)
    audit.record(user, "change_password", "user", user.id)
    db.session.flush()


def set_password(user: User, new: str, actor: User | None) -> None:
    """An admin (or a command, `actor` None) gives `user` a new password."""
    check_new_password(new, user.username)
    user.set_password(new)
    audit.record(actor, "set_password", "user", user.id)
    db.session.flush()


def add_user(actor: User, username: str, display_name: str, roles: list[str], password: str,
             email: str | None = None) -> User:
    email = clean_email(email)
    if not roles:
        raise Invalid(_l("Choose at least one role."), field="roles")
    if auth.username_taken(username):
        raise Invalid(_l("A user named %(name)s exists already.", name=username), field="username")
    check_new_password(password, username, field="password")
    user = auth.create_user(username, roles, password, display_name, actor=actor)
    set_email(user, email, actor)
    return user


def _state(user: User) -> dict:
    return {"display_name": user.display_name, "roles": sorted(user.roles), "active": user.active}


KEEP = "keep the present address"


def update_user(user: User, actor: User, display_name: str, roles: list[str], active: bool,
                email: str | None = KEEP) -> None:
    """Change what an admin may change; nobody removes their own admin role or deactivates themselves,
    so the site always keeps the admin who is looking after it."""
    wanted = list(dict.fromkeys(roles))
    if not wanted:
        raise Invalid(_l("Choose at least one role."), field="roles")
    unknown = [r for r in wanted if r not in auth.ROLES]
    if unknown:
        raise auth.UnknownRole(f"unknown role {', '.join(unknown)}")
    if user.id == actor.id and "admin" in user.roles and "admin" not in wanted:
        raise Invalid(_l("You cannot remove your own admin role."), field="roles")
    if user.id == actor.id and not active:
        raise Invalid(_l("You cannot deactivate yourself."), field="active")
    email = user.email if email is KEEP else clean_email(email)
    before = _state(user)
    user.display_name = display_name
    user.active = active
    user.role_rows = [row for row in user.role_rows if row.role in wanted] + [
        UserRole(role=role) for role in wanted if role not in user.roles]
    db.session.flush()
    after = _state(user)
    if after != before:
        audit.record(actor, "update", "user", user.id, before=before, after=after)
    set_email(user, email, actor)
