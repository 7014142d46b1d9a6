"""Who is told of what happens in the knowledge base, onboarding and the improvement register.

kb, onboarding and improvement know nothing of notifications: after each flush of the session, this module
looks at the records the flush wrote (a new flag, a flag whose status left "open", an article whose state
became "review"...) and writes the notifications in the same transaction. So a notification exists exactly
when its event was committed: a rolled-back request leaves neither."""
from itertools import chain

from flask import current_app, g, has_app_context, has_request_context
from flask_login import current_user
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from accounts.auth import User
from core.db import after_commit, db, utcnow
from improvement.models import Action, Improvement
from kb.feedback.models import Flag
from kb.models import Article, Revision
from notify import outbox
from onboarding.models import Acknowledgement, Assignment, LearningPath

KEY = "servicebook.notify"
WATCHED = (Flag, Article, Revision, Action, Improvement, Assignment)


def init_app(app) -> None:
    app.extensions[KEY] = True
    if not event.contains(db.session, "after_flush", _after_flush):
        event.listen(db.session, "after_flush", _after_flush)


def _changed(obj, attribute: str):
    """(old, new) when the flush changed `attribute` of `obj`, else None."""
    history = inspect(obj).attrs[attribute].history
    if not history.added:
        return None
    return (history.deleted[0] if history.deleted else None), history.added[0]


def _actor_id():
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id
    return None


def _after_flush(session: Session, _context) -> None:
    if not has_app_context() or KEY not in current_app.extensions:
        return
    if not any(isinstance(obj, WATCHED) for obj in chain(session.new, session.dirty)):
        return  # most flushes: nothing to look up
    connection, now = session.connection(), utcnow()
    actor = _actor_id()
    rows = []
    for kind, recipients, params in _events(connection, session, actor):
        rows += outbox.rows_for(connection, [r for r in recipients if r != actor], kind, params, now)
    outbox.write(connection, rows)
    if has_request_context() and any(r["delivery"] == "now" and r["mail_state"] == "pending" for r in rows) \
            and not g.get("notify_sender_asked"):
        from notify import sender
        g.notify_sender_asked = True
        after_commit(sender.send_soon)


def _name(connection, user_id) -> str:
    if user_id is None:
        return "?"
    found = connection.execute(select(User.display_name, User.username).where(User.id == user_id)).first()
    return (found.display_name or found.username) if found else "?"


def _events(connection, session: Session, actor):
    """(kind, recipient ids, params) for every event in this flush."""
    for obj in session.new:
        if isinstance(obj, Flag):
            yield _flag_raised(connection, obj)
        elif isinstance(obj, Article) and obj.state == "review":
            yield _submitted(connection, obj, actor)
        elif isinstance(obj, Revision) and obj.major:
            yield _read_again(connection, obj)
        elif isinstance(obj, Action):
            yield _action_assigned(connection, obj)
        elif isinstance(obj, Assignment):
            title = connection.scalar(select(LearningPath.title).where(LearningPath.id == obj.path_id))
            yield "path_assigned", [obj.user_id], {"title": title, "due": obj.due_on.isoformat()}
    for obj in session.dirty:
        if isinstance(obj, Flag):
            status = _changed(obj, "status")
            if status and status[0] == "open" and status[1] != "open":
                yield "flag_resolved", [obj.flagged_by_id], {"article_id": obj.article_id, "outcome": status[1],
                                                             "title": _title(connection, obj.article_id)}
        elif isinstance(obj, Article):
            state = _changed(obj, "state")
            if state and state[1] == "review" and state[0] != "review":
                yield _submitted(connection, obj, actor)
        elif isinstance(obj, Action) and _changed(obj, "owner_id"):
            yield _action_assigned(connection, obj)
        elif isinstance(obj, Improvement):
            phase, decision = _changed(obj, "phase"), _changed(obj, "decision")
            about = {"improvement_id": obj.id, "title": obj.title}
            if phase and phase[0] != phase[1]:
                yield "improvement_phase", [obj.owner_id], about | {"old": phase[0], "new": phase[1]}
            if decision and decision[1] and decision[0] != decision[1]:
                yield "improvement_decision", [obj.owner_id], about | {"decision": decision[1]}


def _title(connection, article_id: int) -> str:
    return connection.scalar(select(Article.title).where(Article.id == article_id)) or "?"


def _flag_raised(connection, flag: Flag):
    """To the article's owner; when the owner may not log in any more, to the publishers."""
    owner_id, title = connection.execute(select(Article.owner_id, Article.title)
                                         .where(Article.id == flag.article_id)).one()
    owner_active = connection.scalar(select(User.active).where(User.id == owner_id))
    recipients = [owner_id] if owner_active else outbox.holders_of(connection, "publisher")
    return "flag_raised", [r for r in recipients if r != flag.flagged_by_id], {
        "article_id": flag.article_id, "title": title, "reason": flag.reason,
        "by": _name(connection, flag.flagged_by_id)}


def _submitted(connection, article: Article, actor):
    return "article_submitted", outbox.holders_of(connection, "publisher"), {
        "article_id": article.id, "title": article.title, "by": _name(connection, actor or article.owner_id)}


def _read_again(connection, revision: Revision):
    """To everyone who confirmed an earlier revision of the article (onboarding asks them again)."""
    readers = list(connection.scalars(select(Acknowledgement.user_id).where(
        Acknowledgement.article_id == revision.article_id, Acknowledgement.revision_number < revision.number)
        .distinct()))
    return "read_again", [r for r in readers if r != revision.author_id], {
        "article_id": revision.article_id, "title": revision.title}


def _action_assigned(connection, action: Action):
    title = connection.scalar(select(Improvement.title).where(Improvement.id == action.improvement_id))
    return "action_assigned", [action.owner_id], {
        "improvement_id": action.improvement_id, "title": title, "action": action.description,
        "due": action.due_on.isoformat()}
