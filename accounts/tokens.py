"""Personal API tokens: a tool calls with `Authorization: Bearer <token>` and acts as the token's user.
Tokens are stored as SHA-256 digests, never in clear."""
import hashlib
import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.auth import User
from core import audit
from core.api import bearer_token
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


def load_user_from_request(_request) -> User | None:
    """Flask-Login's request loader: a bearer token logs its user in for this request only."""
    token = bearer_token()
    return user_for_token(token) if token else None
