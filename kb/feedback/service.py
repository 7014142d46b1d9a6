"""Feedback on articles: 'Did this help?' votes, flags and their outcome, and reuse ('this solved it').

Plain functions over the session; they flush but never commit (the request does). Whoever may edit an
article fixes it in place; everyone else flags it, the flag waits in the owner's queue until the owner
resolves it (fixed in revision N, or dismissed with a reason), and the flagger sees the outcome.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import lazy_gettext as _
from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from core import audit
from core.db import db, utcnow
from core.errors import Conflict, Invalid, NotAllowed
from kb.feedback.models import FLAG_REASONS, REUSE_SOURCES, Flag, Reuse, Vote
from kb.models import Article, Revision

MAX_VOTE_COMMENT = 500
MAX_FLAG_COMMENT = 2000
MAX_NOTE = 2000
MAX_REFERENCE = 200
REPEAT_WINDOW = timedelta(minutes=10)  # 'this solved it' pressed twice by one person counts once


class AlreadyResolved(Conflict):
    """Someone resolved the flag first (or at the same moment)."""


@dataclass
class Counts:
    helpful: int = 0
    not_helpful: int = 0

    @property
    def total(self) -> int:
        return self.helpful + self.not_helpful


@dataclass
class Panel:
    """What the article page shows of feedback to one logged-in person."""
    article: Article
    my_vote: Vote | None
    counts: Counts
    my_open_flags: list[Flag]
    resolved: list[Flag] = field(default_factory=list)  # their flags resolved since they last looked
    may_edit: bool = False


def current_revision(article: Article) -> int:
    return db.session.scalar(select(func.max(Revision.number)).where(Revision.article_id == article.id)) or 0


def _published_or_refuse(article: Article) -> None:
    if article.state != "published":
        raise Invalid(_("Only a published article takes feedback."))


# ---- 'Did this help?' ---------------------------------------------------------------------------

def vote(article: Article, user, helpful: bool, comment: str = "") -> Vote:
    """Record `user`'s answer; answering again replaces the earlier answer."""
    _published_or_refuse(article)
    comment = (comment or "").strip()
    if len(comment) > MAX_VOTE_COMMENT:
        raise Invalid(_("The comment is longer than %(n)s characters.", n=MAX_VOTE_COMMENT))
    values = {"helpful": bool(helpful), "comment": comment, "revision_number": current_revision(article),
              "at": utcnow()}
    found = _my_vote(article, user)
    before = None if found is None else {"helpful": found.helpful, "comment": found.comment}
    if found is None:
        found = Vote(article_id=article.id, user_id=user.id)
        db.session.add(found)
    for key, value in values.items():
        setattr(found, key, value)
    try:
        db.session.flush()
    except IntegrityError:  # two first answers by one person at the same moment: the unique key keeps one
        db.session.rollback()
        raise Invalid(_("Your answer was recorded already (from another window); reload the page.")) from None
    audit.record(user, "vote", "article_vote", found.id, before=before,
                 after={"article_id": article.id, "helpful": found.helpful, "revision": found.revision_number})
    return found


def _my_vote(article: Article, user) -> Vote | None:
    return db.session.scalar(select(Vote).where(Vote.article_id == article.id, Vote.user_id == user.id))


def counts(article: Article) -> Counts:
    rows = db.session.execute(select(Vote.helpful, func.count()).where(Vote.article_id == article.id)
                              .group_by(Vote.helpful)).all()
    found = {bool(helpful): n for helpful, n in rows}
    return Counts(found.get(True, 0), found.get(False, 0))


def unhelpful_votes(article: Article) -> list[Vote]:
    return list(db.session.scalars(select(Vote).where(Vote.article_id == article.id, Vote.helpful.is_(False))
                                   .order_by(Vote.at.desc(), Vote.id.desc())))


# ---- flags --------------------------------------------------------------------------------------

def flag(article: Article, user, reason: str, comment: str = "") -> Flag:
    _published_or_refuse(article)
    if reason not in FLAG_REASONS:
        raise Invalid(_("Choose the reason from the list."))
    comment = (comment or "").strip()
    if len(comment) > MAX_FLAG_COMMENT:
        raise Invalid(_("The comment is longer than %(n)s characters.", n=MAX_FLAG_COMMENT))
    found = Flag(article_id=article.id, reason=reason, comment=comment, revision_number=current_revision(article),
                 flagged_by_id=user.id, status="open")
    db.session.add(found)
    db.session.flush()
    audit.record(user, "flag", "article_flag", found.id,
                 after={"article_id": article.id, "reason": reason, "revision": found.revision_number})
    return found


def may_resolve(found: Flag, user) -> bool:
    return user.can("publish_articles") or (user.can("write_articles") and found.article.owner_id == user.id)


def queue(user) -> list[Flag]:
    """Open flags waiting for `user`: on the articles they own; publishers see every open flag."""
    query = select(Flag).join(Flag.article).where(Flag.status == "open")
    if not user.can("publish_articles"):
        query = query.where(Article.owner_id == user.id)
    return list(db.session.scalars(query.order_by(Flag.flagged_at, Flag.id)))


def find_flag(flag_id: int) -> Flag | None:
    return db.session.get(Flag, flag_id)


def newer_revisions(found: Flag) -> list[Revision]:
    """The revisions a flag may be fixed in: those saved after the text that was flagged, newest first."""
    return list(db.session.scalars(select(Revision).where(Revision.article_id == found.article_id,
                                                          Revision.number > found.revision_number)
                                   .order_by(Revision.number.desc())))


def resolve_flag(found: Flag, user, outcome: str, revision: int | None = None, note: str = "",
                 seen_version: int | None = None) -> Flag:
    """'fixed' in `revision` (a revision newer than the flagged text) or 'dismissed' with a `note` saying why.

    `seen_version` is the flag's version the resolving page showed: a flag resolved meanwhile is refused."""
    if not may_resolve(found, user):
        raise NotAllowed(_("Only the article's owner or a publisher can resolve this flag."))
    if found.status != "open" or (seen_version is not None and seen_version != found.version):
        raise AlreadyResolved(resolved_message(found))
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise Invalid(_("The note is longer than %(n)s characters.", n=MAX_NOTE))
    if outcome == "fixed":
        if revision is None or revision not in {r.number for r in newer_revisions(found)}:
            raise Invalid(_("Choose the revision that fixed it: one saved after revision %(n)s, which was flagged.",
                            n=found.revision_number))
    elif outcome == "dismissed":
        if not note:
            raise Invalid(_("Say why the flag is dismissed; the person who flagged it will read it."))
        revision = None
    else:
        raise Invalid(_("Unknown outcome."))
    found.status, found.fixed_in_revision, found.resolution_note = outcome, revision, note
    found.resolved_by_id, found.resolved_at, found.outcome_seen = user.id, utcnow(), False
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise AlreadyResolved(_("Someone resolved this flag at the same moment.")) from None
    audit.record(user, "resolve", "article_flag", found.id, before={"status": "open"},
                 after={"status": outcome, "fixed_in_revision": revision, "note": note})
    return found


def resolved_message(found: Flag) -> str:
    if found.status == "fixed":
        return str(_("This flag was resolved already: fixed in revision %(n)s by %(who)s.",
                     n=found.fixed_in_revision, who=found.resolved_by.name if found.resolved_by else "?"))
    if found.status == "dismissed":
        return str(_("This flag was resolved already: dismissed by %(who)s.",
                     who=found.resolved_by.name if found.resolved_by else "?"))
    return str(_("This flag changed while you were looking at it; check it and try again."))


@dataclass
class MyFlag:
    flag: Flag
    new: bool  # resolved since they last looked


def my_flags(user) -> list[MyFlag]:
    """Everything `user` flagged, newest first, with outcomes; resolved outcomes count as seen from now on."""
    flags = list(db.session.scalars(select(Flag).where(Flag.flagged_by_id == user.id)
                                    .order_by(Flag.flagged_at.desc(), Flag.id.desc())))
    shown = [MyFlag(f, f.status != "open" and not f.outcome_seen) for f in flags]
    _mark_seen([f.flag.id for f in shown if f.new])
    return shown


def _mark_seen(flag_ids: list[int]) -> None:
    """Without touching the flag's version (reading an outcome is not resolving it)."""
    if flag_ids:
        db.session.execute(update(Flag).where(Flag.id.in_(flag_ids), Flag.status != "open")
                           .values(outcome_seen=True).execution_options(synchronize_session=False))


def _unseen_outcomes(article: Article, user) -> list[Flag]:
    return list(db.session.scalars(select(Flag).where(
        Flag.article_id == article.id, Flag.flagged_by_id == user.id, Flag.status != "open",
        Flag.outcome_seen.is_(False)).order_by(Flag.resolved_at)))


# ---- reuse --------------------------------------------------------------------------------------

def mark_solved(article: Article, user) -> bool:
    return record_reuse(article, user, "solved")


def record_reuse(article: Article, user, source: str, reference: str = "") -> bool:
    """Count one reuse of the article; False when it was counted already (the same person pressing twice
    within minutes, or the same ticket reference again). The article's version is not touched."""
    _published_or_refuse(article)
    if source not in REUSE_SOURCES:
        raise Invalid(_("Unknown source of reuse."))
    if not isinstance(reference, str) or len(reference.strip()) > MAX_REFERENCE:
        raise Invalid(_("The reference is text of at most %(n)s characters.", n=MAX_REFERENCE))
    reference = reference.strip()
    mine = and_(Reuse.article_id == article.id, Reuse.user_id == user.id)
    repeat = (Reuse.reference == reference) if reference else and_(Reuse.at >= utcnow() - REPEAT_WINDOW,
                                                                   Reuse.reference == "")
    if db.session.scalar(select(Reuse.id).where(mine, repeat).limit(1)) is not None:
        return False
    now = utcnow()
    db.session.add(Reuse(article_id=article.id, user_id=user.id, source=source, reference=reference, at=now))
    db.session.execute(update(Article).where(Article.id == article.id)
                       .values(reuse_count=Article.reuse_count + 1, use_count=Article.use_count + 1,
                               last_reused_at=now)
                       .execution_options(synchronize_session=False))
    db.session.flush()
    return True


def reuse_count(article: Article) -> int:
    return db.session.scalar(select(Article.reuse_count).where(Article.id == article.id)) or 0


# ---- the article page ---------------------------------------------------------------------------

def panel(article: Article, user) -> Panel | None:
    """What the article page shows of feedback for `user`: None for visitors and unpublished articles.
    Outcomes of the person's flags on this article shown here count as seen."""
    if not user.is_authenticated or article.state != "published":
        return None
    resolved = _unseen_outcomes(article, user)
    _mark_seen([f.id for f in resolved])
    mine = list(db.session.scalars(select(Flag).where(Flag.article_id == article.id, Flag.flagged_by_id == user.id,
                                                      Flag.status == "open").order_by(Flag.flagged_at)))
    return Panel(article=article, my_vote=_my_vote(article, user), counts=counts(article), my_open_flags=mine,
                 resolved=resolved, may_edit=user.can("write_articles"))
