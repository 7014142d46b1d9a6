"""People, roles and permissions: who may do what is decided here and nowhere else."""
import hmac
import re
import secrets
from datetime import datetime, timedelta
from functools import wraps

from flask import abort, current_app
from flask_login import LoginManager, UserMixin, current_user
from sqlalchemy import ForeignKey, String, bindparam, func, insert, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core import audit
from core.db import Base, db, utcnow
from core.errors import Invalid

ROLES = ("staff", "editor", "publisher", "trainer", "quality_lead", "admin")

# permission -> roles that hold it (admin holds every permission)
PERMISSIONS = {
    "read": set(ROLES),
    "see_unpublished": {"editor", "publisher"},
    "write_articles": {"editor", "publisher"},
    "publish_articles": {"publisher"},
    "manage_categories": {"editor", "publisher"},
    "manage_users": set(),
    "see_search_report": {"editor", "publisher", "quality_lead"},
    "manage_synonyms": {"editor", "publisher"},
    "run_improvements": {"quality_lead"},
    "see_content_health": {"editor", "publisher", "quality_lead"},
    "build_paths": {"trainer"},
}


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(10))
    email: Mapped[str | None] = mapped_column(String(254))  # where notifications are mailed (notify/)
    # part of every session's user id: a new one (new password, deactivation) ends all other sessions
    session_token: Mapped[str] = mapped_column(String(32), default=lambda: secrets.token_hex(16), server_default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    role_rows: Mapped[list["UserRole"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin")

    @property
    def roles(self) -> set[str]:
        return {row.role for row in self.role_rows}

    @property
    def name(self) -> str:
        return self.display_name or self.username

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        """Log this user out everywhere (their sessions and remember-me cookies stop working)."""
        self.session_token = secrets.token_hex(16)

    def set_password(self, password: str) -> None:
        self.end_sessions()
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_METHOD"])

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def can(self, permission: str) -> bool:
        return "admin" in self.roles or bool(self.roles & PERMISSIONS[permission])


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    user: Mapped[User] = relationship(back_populates="role_rows")


class LoginFailure(Base):
    """A failed login, kept a short while to slow down password guessing (shared by all workers)."""
    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Anonymous:
    """The visitor who has not logged in: reads public articles only."""
    is_authenticated = False
    is_active = False
    is_anonymous = True
    roles: set[str] = set()
    id = None
    locale = None

    def can(self, permission: str) -> bool:
        return False

    def get_id(self):
        return None


login_manager = LoginManager()
login_manager.anonymous_user = Anonymous
login_manager.login_view = "auth.login"
login_manager.login_message = None


# every page loads its user: the roles in the same query (their own selectin load was a second one), and the
# statement built once (building it and session.get's options cost about 0.1 ms a page)
_SESSION_USER = select(User).options(joinedload(User.role_rows)).where(User.id == bindparam("id"))


@login_manager.user_loader
def _load_user(session_id: str):
    """The user of a session or remember-me cookie, while that session is still theirs.

    A deactivated user is the anonymous visitor at once (Flask-Login would load them and only call
    them not authenticated, while `can()` still answered by their roles), and a session from before a
    password change is no one's."""
    user_id, _, token = session_id.partition(":")
    if not (user_id.isascii() and user_id.isdigit()) or not token:
        return None
    user = db.session.execute(_SESSION_USER, {"id": int(user_id)}).unique().scalar_one_or_none()
    if user is None or not user.active or not hmac.compare_digest(user.session_token, token):
        return None
    return user


def password_matches(user: "User | None", password: str) -> bool:
    """Checks a hash even for an unknown name, so the answer's timing does not tell which names exist."""
    if user is None or not user.active:
        check_password_hash(_decoy_hash(), password)
        return False
    return user.check_password(password)


def _decoy_hash() -> str:
    method = current_app.config["PASSWORD_METHOD"]
    if method not in _DECOYS:
        _DECOYS[method] = generate_password_hash("decoy", method=method)
    return _DECOYS[method]


_DECOYS: dict[str, str] = {}


# ASCII only: SQLite's lower() folds ASCII letters only, and a name must compare the same on both databases
USERNAME = re.compile(r"[A-Za-z0-9._-]{1,80}")


class UnknownRole(Invalid):
    pass


class UserExists(Invalid):
    pass


def create_user(username: str, roles: list[str], password: str, display_name: str = "", actor=None) -> User:
    """A new active user; `actor` is who made them (None for a command or the demo)."""
    if not USERNAME.fullmatch(username):
        raise Invalid("a user name is 1 to 80 letters, digits, '.', '_' or '-'", field="username")
    if not roles:
        raise UnknownRole(f"give at least one role; choose from {', '.join(ROLES)}", field="roles")
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise UnknownRole(f"unknown role {', '.join(unknown)}; choose from {', '.join(ROLES)}", field="roles")
    if username_taken(username):
        raise UserExists(f"a user named {username!r} exists already", field="username")
    user = User(username=username, display_name=display_name)
    user.set_password(password)
    user.role_rows = [UserRole(role=r) for r in dict.fromkeys(roles)]
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "create", "user", user.id,
                 after={"username": username, "display_name": display_name, "roles": sorted(user.roles)})
    return user


def username_taken(username: str) -> bool:
    """Whether a user has this name in any case: 'Alice' and 'alice' would be one person to everyone."""
    return db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())) is not None


def find_user(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def login_blocked_for(username: str, remote_addr: str = "", now: datetime | None = None) -> int:
    """Minutes until `username` may try again from `remote_addr`, or 0 when not blocked.

    Five failures for a name from one address block that pair; ten times as many from anywhere
    block the name, so guessing from many addresses is slowed too, yet a stranger's five wrong
    passwords from one address do not lock the owner out of their account from theirs.
    """
    now = now or utcnow()
    window = timedelta(minutes=current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"])
    limit = current_app.config["LOGIN_FAILURE_LIMIT"]
    recent = (LoginFailure.username == username.lower(), LoginFailure.at > now - window)
    from_here = select(func.count(), func.min(LoginFailure.at)).where(
        *recent, LoginFailure.remote_addr == (remote_addr or "")[:64])
    from_anywhere = select(func.count(), func.min(LoginFailure.at)).where(*recent)
    for query, allowed in ((from_here, limit), (from_anywhere, limit * 10)):
        count, oldest = db.session.execute(query).one()
        if count >= allowed:
            return max(1, int((oldest + window - now).total_seconds() // 60) + 1)
    return 0


def record_login_failure(username: str, remote_addr: str) -> None:
    """Counted in its own transaction: a refused login must count whatever the request does."""
    with db.engine.begin() as connection:
        connection.execute(insert(LoginFailure).values(
            username=username.lower()[:80], remote_addr=(remote_addr or "")[:64], at=utcnow()))


def forget_login_failures(username: str) -> None:
    db.session.query(LoginFailure).filter(LoginFailure.username == username.lower()).delete()


def require(permission: str):
    """View decorator: a logged-in user holding `permission`, else login page or 403."""
    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.can(permission):
                abort(403)
            return view(*args, **kwargs)
        return guarded
    return decorate
