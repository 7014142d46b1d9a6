"""Reminders that come from the calendar, not from an event: computed by `flask notify send`, each written
once per due date and person (a unique key), however often the command runs. A new due date (an article
confirmed and due again next year, an action moved) is a new reminder."""
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import clock
from core.db import db, utcnow
from improvement.models import OPEN_PHASES, UNFINISHED, Action, Improvement
from kb.models import Article
from notify import outbox
from notify.models import Notification
from onboarding.models import Assignment
from onboarding.progress import progress_of

REVIEW_AHEAD = timedelta(days=14)
ACTION_AHEAD = timedelta(days=3)
PATH_AHEAD = timedelta(days=7)


def _due(kind_soon: str, kind_late: str, due: date, today: date) -> str:
    return kind_late if due < today else kind_soon


def candidates(today: date) -> list[tuple[str, int, dict, str]]:
    """(kind, recipient, params, subject) of every reminder due today."""
    found = []
    for article in db.session.scalars(select(Article).where(
            Article.state == "published", Article.review_by.is_not(None), Article.review_by <= today + REVIEW_AHEAD)):
        kind = _due("review_due", "review_overdue", article.review_by, today)
        found.append((kind, article.owner_id, {"article_id": article.id, "title": article.title,
                                               "due": article.review_by.isoformat()}, f"a{article.id}"))
    for action, title in db.session.execute(select(Action, Improvement.title).join(Action.improvement).where(
            Action.status.in_(UNFINISHED), Improvement.phase.in_(OPEN_PHASES), Action.due_on <= today + ACTION_AHEAD)):
        kind = _due("action_due", "action_overdue", action.due_on, today)
        found.append((kind, action.owner_id, {"improvement_id": action.improvement_id, "title": title,
                                              "action": action.description, "due": action.due_on.isoformat()},
                      f"x{action.id}"))
    assignments = list(db.session.scalars(select(Assignment).where(Assignment.due_on <= today + PATH_AHEAD)))
    for progress in progress_of(assignments, today):
        if progress.complete:
            continue
        a = progress.assignment
        about = {"title": a.path.title, "due": a.due_on.isoformat(), "path_id": a.path_id}
        found.append((_due("path_due", "path_overdue", a.due_on, today), a.user_id, about, f"p{a.id}"))
        if progress.overdue and a.assigned_by_id and a.assigned_by_id != a.user_id:
            found.append(("trainee_overdue", a.assigned_by_id, about | {"who": a.user.name}, f"p{a.id}"))
    return found


def write_due(today: date | None = None) -> int:
    """Write the reminders due `today` that were not written before; returns how many were written.
    Commits. Two runs at once may both try: the unique key keeps one, and the loser looks again."""
    today = today or clock.today()  # the app's date (pinned in tests), as the due dates were set with
    for _attempt in range(3):
        rows = _new_rows(today)
        try:
            outbox.write(db.session.connection(), rows)
            db.session.commit()
            return len(rows)
        except IntegrityError:
            db.session.rollback()
    return 0


def _new_rows(today: date) -> list[dict]:
    now = utcnow()
    wanted = {}
    for kind, user_id, params, subject in candidates(today):
        wanted[f"{kind}:{subject}:{params['due']}:{user_id}"] = (kind, user_id, params)
    keys = list(wanted)
    known = set()
    for start in range(0, len(keys), 500):
        known |= set(db.session.scalars(select(Notification.reminder_key).where(
            Notification.reminder_key.in_(keys[start:start + 500]))))
    connection = db.session.connection()
    rows = []
    for key, (kind, user_id, params) in wanted.items():
        if key not in known:
            rows += outbox.rows_for(connection, [user_id], kind, params, now, reminder_key=lambda _u, k=key: k)
    return rows
