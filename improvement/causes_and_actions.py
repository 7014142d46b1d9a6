"""Root causes (with their why-chains) and the actions named owners take; 'My actions'.

Every change is recorded on the improvement's audit trail, so it shows on its timeline.
Overdue is worked out from the due date and today, never stored.
"""
from dataclasses import asdict, dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _
from sqlalchemy import case, select

from accounts.auth import User
from core import audit
from core.db import db
from core.errors import refuse_if
from improvement.models import (
    ACTION_KINDS,
    ACTION_STATUSES,
    CAUSE_CATEGORIES,
    OPEN_PHASES,
    UNFINISHED,
    Action,
    Improvement,
    RootCause,
    WhyStep,
)
from improvement.phases import open_or_refuse

MAX_WHYS = 10


@dataclass
class CauseDetails:
    statement: str
    category: str
    whys: list[str] = field(default_factory=list)
    evidence: str = ""
    verified: bool = False

    @classmethod
    def of(cls, cause: RootCause) -> "CauseDetails":
        return cls(cause.statement, cause.category, [w.text for w in cause.whys], cause.evidence, cause.verified)


def parse_whys(text: str) -> list[str]:
    """One 'why?' answer per line, in order; empty lines and list markers are dropped."""
    steps = [line.strip().lstrip("-*0123456789.) ").strip() for line in (text or "").splitlines()]
    return [s for s in steps if s]


def _cause_problems(details: CauseDetails) -> list:
    found = []
    if not details.statement.strip() or len(details.statement) > 300:
        found.append(_("The cause's statement is 1 to 300 characters."))
    if details.category not in CAUSE_CATEGORIES:
        found.append(_("Choose the cause's category from the list."))
    if len(details.whys) > MAX_WHYS or any(len(w) > 300 for w in details.whys):
        found.append(_("At most %(n)s why-steps of 300 characters each.", n=MAX_WHYS))
    return found


def _set_cause(cause: RootCause, details: CauseDetails) -> None:
    cause.statement, cause.category = details.statement.strip(), details.category
    cause.evidence, cause.verified = details.evidence.strip(), details.verified
    cause.whys.clear()
    db.session.flush()  # the old steps go before new ones take their positions
    cause.whys.extend(WhyStep(position=n, text=text) for n, text in enumerate(details.whys, start=1))


def add_cause(improvement: Improvement, details: CauseDetails, actor) -> RootCause:
    open_or_refuse(improvement)
    refuse_if(_cause_problems(details))
    cause = RootCause(improvement=improvement)
    db.session.add(cause)
    _set_cause(cause, details)
    db.session.flush()
    audit.record(actor, "add_cause", "improvement", improvement.id, after={"cause": cause.id, **asdict(details)})
    return cause


def update_cause(cause: RootCause, details: CauseDetails, actor) -> None:
    open_or_refuse(cause.improvement)
    refuse_if(_cause_problems(details))
    before = asdict(CauseDetails.of(cause))
    _set_cause(cause, details)
    after = asdict(details)
    changed = [k for k in after if after[k] != before[k]]
    audit.record(actor, "change_cause", "improvement", cause.improvement_id,
                 before={"cause": cause.id, **{k: before[k] for k in changed}},
                 after={"cause": cause.id, **{k: after[k] for k in changed}})


@dataclass
class ActionDetails:
    description: str
    kind: str
    owner_id: int
    due_on: date | None
    cause_id: int | None = None


def _action_problems(improvement: Improvement, details: ActionDetails) -> list:
    found = []
    if not details.description.strip() or len(details.description) > 300:
        found.append(_("The action's description is 1 to 300 characters."))
    if details.kind not in ACTION_KINDS:
        found.append(_("Choose the kind of action from the list."))
    owner = db.session.get(User, details.owner_id) if details.owner_id else None
    if owner is None or not owner.active:
        found.append(_("Choose the action's owner from the list."))
    if details.due_on is None:
        found.append(_("Give the due date."))
    elif details.due_on < improvement.started_on:
        found.append(_("The due date %(due)s is before the improvement started (%(start)s).",
                       due=details.due_on.isoformat(), start=improvement.started_on.isoformat()))
    if details.cause_id is not None and details.cause_id not in {c.id for c in improvement.causes}:
        found.append(_("Choose a cause of this improvement."))
    return found


def add_action(improvement: Improvement, details: ActionDetails, actor) -> Action:
    open_or_refuse(improvement)
    refuse_if(_action_problems(improvement, details))
    action = Action(improvement=improvement, description=details.description.strip(), kind=details.kind,
                    owner_id=details.owner_id, due_on=details.due_on, cause_id=details.cause_id, status="open")
    db.session.add(action)
    db.session.flush()
    audit.record(actor, "add_action", "improvement", improvement.id,
                 after={"action": action.id, **asdict(details), "due_on": details.due_on.isoformat()})
    return action


def may_update(action: Action, user) -> bool:
    """Quality leads (and admins) run the improvement; an action's owner updates their own action."""
    return user.is_authenticated and (user.can("run_improvements") or action.owner_id == user.id)


def set_status(action: Action, status: str, actor, today: date, done_on: date | None = None,
               drop_reason: str = "") -> None:
    """open / in progress / done (on a date, today by default) / dropped (with a reason)."""
    open_or_refuse(action.improvement)
    if not may_update(action, actor):
        raise PermissionError("not the action's owner")
    problems = []
    if status not in ACTION_STATUSES:
        problems.append(_("Choose the status from the list."))
    if status == "done":
        done_on = done_on or today
        if done_on > today:
            problems.append(_("The done date %(day)s is in the future.", day=done_on.isoformat()))
        elif done_on < action.improvement.started_on:
            problems.append(_("The done date %(day)s is before the improvement started (%(start)s).",
                              day=done_on.isoformat(), start=action.improvement.started_on.isoformat()))
    if status == "dropped" and not drop_reason.strip():
        problems.append(_("Give the reason for dropping the action."))
    refuse_if(problems)
    before = _status_record(action)
    action.status = status
    action.done_on = done_on if status == "done" else None
    action.drop_reason = drop_reason.strip()[:300] if status == "dropped" else ""
    after = _status_record(action)
    changed = [k for k in after if after[k] != before[k]]
    audit.record(actor, "change_action", "improvement", action.improvement_id,
                 before={"action": action.id, **{k: before[k] for k in changed}},
                 after={"action": action.id, "description": action.description, **{k: after[k] for k in changed}})


def _status_record(action: Action) -> dict:
    return {"status": action.status, "done_on": action.done_on.isoformat() if action.done_on else None,
            "drop_reason": action.drop_reason}


def overdue_first(today: date):
    """An ORDER BY: unfinished actions past their due date first, then by due date."""
    late = case((Action.status.in_(UNFINISHED) & (Action.due_on < today), 0), else_=1)
    return late, Action.due_on, Action.id


def my_actions(user, today: date) -> list[Action]:
    """The user's actions on improvements still running: overdue first, then by due date; finished last."""
    finished = case((Action.status.in_(UNFINISHED), 0), else_=1)
    query = (select(Action).join(Action.improvement).where(Action.owner_id == user.id,
                                                           Improvement.phase.in_(OPEN_PHASES))
             .order_by(finished, *overdue_first(today)))
    return list(db.session.scalars(query))


def overdue_actions(today: date) -> list[Action]:
    query = (select(Action).join(Action.improvement)
             .where(Action.status.in_(UNFINISHED), Action.due_on < today,
                    Improvement.phase.in_(OPEN_PHASES))
             .order_by(Action.due_on, Action.id))
    return list(db.session.scalars(query))


def cause_of(improvement: Improvement, cause_id: int) -> RootCause | None:
    return next((c for c in improvement.causes if c.id == cause_id), None)


def action_of(action_id: int) -> Action | None:
    return db.session.get(Action, action_id)

