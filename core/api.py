"""The JSON API's front door: personal API tokens, who is calling, and errors as JSON.

A tool (a ticketing system's side panel, a KPI feed) calls with `Authorization: Bearer <token>`;
a page's own script calls with the session cookie, and then a write must carry the CSRF token in
the `X-CSRFToken` header, as a form would. Tokens are stored as SHA-256 digests, never in clear.
"""
import hashlib
import secrets
from datetime import datetime
from functools import wraps

from flask import Blueprint, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.exceptions import HTTPException

from core import audit
from accounts.auth import User
from core.db import Base, db, utcnow

TOKEN_PREFIX = "sb_"


class ApiToken(Base):
    """A personal API token: acts as its user, with that user's roles, until revoked."""
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80), default="")
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column()
    user: Mapped[User] = relationship(lazy="joined")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue_token(user: User, name: str = "") -> str:
    """A new token for `user`; the clear text is returned once and never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, name=name[:80], digest=_digest(token)))
    db.session.flush()
    audit.record(None, "issue_token", "user", user.id, after={"name": name[:80]})
    return token


def revoke_tokens(user: User) -> int:
    tokens = list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)))
    for token in tokens:
        db.session.delete(token)
    return len(tokens)


def user_for_token(token: str) -> User | None:
    """The active user a bearer token belongs to, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.digest == _digest(token)))
    if row is None or not row.user.active:
        return None
    return row.user


def _bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def load_user_from_request(_request) -> User | None:
    """Flask-Login's request loader: a bearer token logs its user in for this request only."""
    token = _bearer_token()
    return user_for_token(token) if token else None


def api_error(status: int, reason: str):
    response = jsonify({"error": {"status": status, "reason": reason}})
    response.status_code = status
    return response


def api_require(permission: str = "read", *, anonymous_ok: bool = False):
    """Decorator for API views: a caller holding `permission` (by token or session), else JSON 401/403.

    A write through the session cookie needs the CSRF token in the X-CSRFToken header; a write with a
    bearer token does not (a browser never adds that header on its own, so it cannot be forged)."""
    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if _bearer_token() and not current_user.is_authenticated:
                return api_error(401, "The API token is not valid (revoked, mistyped or its user is inactive).")
            if not current_user.is_authenticated and not anonymous_ok:
                return api_error(401, "Log in, or send a personal API token as 'Authorization: Bearer <token>'.")
            if current_user.is_authenticated and not current_user.can(permission):
                return api_error(403, "Your roles do not allow this.")
            if request.method not in ("GET", "HEAD", "OPTIONS") and not _bearer_token():
                try:
                    validate_csrf(request.headers.get("X-CSRFToken", ""))
                except Exception:  # flask_wtf raises ValidationError with its own reason
                    return api_error(400, "The CSRF token is missing or expired: send it as the X-CSRFToken header.")
            return view(*args, **kwargs)
        return guarded
    return decorate


def register_json_errors(blueprint: Blueprint) -> None:
    """Every error inside `blueprint` answers JSON with a reason, never an HTML page."""
    @blueprint.errorhandler(HTTPException)
    def json_http_error(error: HTTPException):
        return api_error(error.code or 500, error.description or error.name)

    @blueprint.errorhandler(CSRFError)
    def json_csrf_error(error: CSRFError):
        return api_error(400, error.description)


def json_body():
    """The request's JSON, or None when there is none (or it is not JSON, or is nested deeper than
    Python's parser goes: `[` * 100,000 raised RecursionError, a 500)."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        return None
