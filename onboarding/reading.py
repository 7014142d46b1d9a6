"""Reading an article as part of onboarding: 'I have read and understood this' records an Acknowledgement
of the revision read. An acknowledgement counts until the article gets a MAJOR revision after it; then
the person is asked to read it again.

Plain functions over the session; they flush but never commit (the request does).
"""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core import audit
from core.db import db
from core.errors import Invalid
from kb.models import Article, Revision
from onboarding.models import Acknowledgement

CONFIRMED, READ_AGAIN, UNREAD = "confirmed", "read_again", "unread"


def current_revisions(article_ids: list[int]) -> dict[int, int]:
    """article id -> the number of its newest revision (one query)."""
    if not article_ids:
        return {}
    query = (select(Revision.article_id, func.max(Revision.number))
             .where(Revision.article_id.in_(article_ids)).group_by(Revision.article_id))
    return dict(db.session.execute(query).all())


def newest_major(article_ids: list[int]) -> dict[int, int]:
    """article id -> the number of its newest major revision, for the articles that have one (one query)."""
    if not article_ids:
        return {}
    query = (select(Revision.article_id, func.max(Revision.number))
             .where(Revision.article_id.in_(article_ids), Revision.major.is_(True)).group_by(Revision.article_id))
    return dict(db.session.execute(query).all())


def latest_acknowledgements(user_ids: list[int], article_ids: list[int]) -> dict[tuple[int, int], Acknowledgement]:
    """(user id, article id) -> that person's acknowledgement of the newest revision they confirmed (one query)."""
    if not user_ids or not article_ids:
        return {}
    query = (select(Acknowledgement).where(Acknowledgement.user_id.in_(user_ids),
                                           Acknowledgement.article_id.in_(article_ids))
             .order_by(Acknowledgement.revision_number))
    return {(ack.user_id, ack.article_id): ack for ack in db.session.scalars(query)}  # the newest wins


def counts(ack: Acknowledgement | None, major: int | None) -> bool:
    """Whether an acknowledgement still counts: it is of the newest major revision or later."""
    return ack is not None and ack.revision_number >= (major or 0)


@dataclass
class ReadingStatus:
    """What the end of an article says to one person: whether they confirmed it, and which revision."""
    state: str  # CONFIRMED, READ_AGAIN or UNREAD
    revision_number: int  # the article's current revision: the one the button confirms
    acknowledgement: Acknowledgement | None = None

    @property
    def may_acknowledge(self) -> bool:
        return self.state != CONFIRMED


def status(article: Article, user) -> ReadingStatus | None:
    """None when there is nothing to confirm (a visitor, an article that is not published)."""
    if not user.is_authenticated or article.state != "published":
        return None
    current = current_revisions([article.id]).get(article.id, 0)
    ack = latest_acknowledgements([user.id], [article.id]).get((user.id, article.id))
    if ack is None:
        return ReadingStatus(UNREAD, current)
    state = CONFIRMED if counts(ack, newest_major([article.id]).get(article.id)) else READ_AGAIN
    return ReadingStatus(state, current, ack)


def _acknowledged(user, article: Article, revision_number: int) -> Acknowledgement | None:
    return db.session.scalar(select(Acknowledgement).where(
        Acknowledgement.user_id == user.id, Acknowledgement.article_id == article.id,
        Acknowledgement.revision_number == revision_number))


def acknowledge(article: Article, user, revision_number: int) -> Acknowledgement:
    """'I have read and understood this' for the revision the person read, which must be the current one."""
    if article.state != "published":
        raise Invalid(_("Only a published article can be confirmed as read."))
    if revision_number != current_revisions([article.id]).get(article.id):
        raise Invalid(_("The article changed while you were reading; read the new version."))
    earlier = _acknowledged(user, article, revision_number)
    if earlier is not None:
        raise Invalid(_("You confirmed revision %(n)s of this article already, on %(date)s.",
                        n=revision_number, date=earlier.at.strftime("%Y-%m-%d")))
    ack = Acknowledgement(user_id=user.id, article_id=article.id, revision_number=revision_number)
    db.session.add(ack)
    try:
        db.session.flush()
    except IntegrityError:  # the same confirmation sent twice at the same moment (a double click)
        db.session.rollback()
        raise Invalid(_("You confirmed revision %(n)s of this article already.", n=revision_number)) from None
    audit.record(user, "acknowledge", "acknowledgement", ack.id,
                 after={"article_id": article.id, "revision": revision_number})
    return ack
