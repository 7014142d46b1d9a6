"""The improvement timeline in words: each recorded change as (label, before, after), ready to show.

`describe_change(event)` turns an audit event's before/after dicts into rows a reader understands: user ids
become names, metric ids the metric's name, cause ids the cause's statement (shortened), codes their labels,
booleans Yes/No and 12.0 just 12. It needs no request; ids are looked up through `Names` (the database, by
default). Every value is plain text, left to the template to escape.
"""
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from accounts.auth import User
from core.db import db
from improvement import labels
from improvement.models import Improvement, Metric, RootCause

EMPTY = "—"
SHORT = 60  # characters of a cause's statement shown where the cause is referred to

KEY_LABELS = {
    "title": _l("Title"), "problem": _l("Problem statement"), "source": _l("Source"),
    "dimension": _l("SERVQUAL dimension"), "touchpoint": _l("Touchpoint"), "severity": _l("Severity"),
    "owner_id": _l("Owner"), "metric_id": _l("Primary metric"), "target": _l("Target"),
    "change_date": _l("Change date"), "what_changed": _l("What changed"), "follows_id": _l("Follows"),
    "phase": _l("Phase"), "reason": _l("Reason"), "decision": _l("Decision"), "decision_note": _l("Why"),
    "statement": _l("Root cause"), "category": _l("Category"), "whys": _l("Why-chain"),
    "evidence": _l("Evidence"), "verified": _l("Verified"), "description": _l("Action"), "kind": _l("Kind"),
    "due_on": _l("Due date"), "cause_id": _l("Addresses the cause"), "status": _l("Status"),
    "done_on": _l("Done on"), "drop_reason": _l("Reason for dropping"), "from_date": _l("Limits from"),
}

CODE_LABELS = {
    "source": labels.SOURCE_LABELS, "dimension": labels.DIMENSION_LABELS, "severity": labels.SEVERITY_LABELS,
    "phase": labels.PHASE_LABELS, "decision": labels.DECISION_LABELS, "category": labels.CAUSE_LABELS,
    "kind": labels.KIND_LABELS, "status": labels.STATUS_LABELS,
}

MEASUREMENT_SOURCES = {"form": _l("typed in"), "paste": _l("pasted rows"), "api": "API"}

# The record's own id (shown through other rows) and the readings themselves (counted instead).
NOT_SHOWN = {"cause", "action", "measurements", "article_id"}


class Change(NamedTuple):
    """One row of a timeline entry; `before` is None when the change has no earlier value to show."""
    label: str
    before: str | None
    after: str


def shorten(text: str, limit: int = SHORT) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


class Names:
    """What ids stand for, looked up in the database once each."""

    def __init__(self):
        self._found: dict[tuple[type, int], Any] = {}

    def _get(self, model: type, key):
        try:
            key = int(key)
        except (TypeError, ValueError):
            return None
        if (model, key) not in self._found:
            self._found[(model, key)] = db.session.get(model, key)
        return self._found[(model, key)]

    def user(self, key) -> str | None:
        found = self._get(User, key)
        return found.name if found else None

    def metric(self, key) -> str | None:
        found = self._get(Metric, key)
        return found.name if found else None

    def cause(self, key) -> str | None:
        found = self._get(RootCause, key)
        return found.statement if found else None

    def improvement(self, key) -> str | None:
        found = self._get(Improvement, key)
        return f"#{found.id} {found.title}" if found else None


def _number(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def format_value(key: str, value: Any, names: Names) -> str:
    """One recorded value as a reader would say it."""
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key in CODE_LABELS:
        return str(CODE_LABELS[key].get(value, value))
    if key == "owner_id":
        return names.user(value) or f"#{value}"
    if key == "metric_id":
        return names.metric(value) or f"#{value}"
    if key == "cause_id":
        statement = names.cause(value)
        return shorten(statement) if statement else f"#{value}"
    if key == "follows_id":
        return names.improvement(value) or f"#{value}"
    if isinstance(value, (int, float)):
        return _number(value)
    if isinstance(value, (list, tuple)):
        return " → ".join(str(step) for step in value)
    return str(value)


def key_label(key: str) -> str:
    return str(KEY_LABELS.get(key) or labels.FIELD_LABELS.get(key) or key)


def describe_change(event, names: Names | None = None) -> list[Change]:
    """The rows of one audit event of the improvement's timeline: (label, before, after), all text."""
    names = names or Names()
    before, after = event.before or {}, event.after or {}
    if event.action == "add_measurements":
        source = after.get("source") or ""
        return [Change(str(_l("Measurements")), None, str(len(after.get("measurements") or []))),
                Change(key_label("source"), None, str(MEASUREMENT_SOURCES.get(source, source)) or EMPTY)]
    if event.action == "link_article":
        label = _l("Standardised as") if after.get("kind") == "standard" else _l("Article")
        return [Change(str(label), None, after.get("title") or f"#{after.get('article_id')}")]
    rows = []
    if event.action == "change_cause" and "statement" not in after and after.get("cause") is not None:
        statement = names.cause(after["cause"])
        rows.append(Change(key_label("statement"), None, shorten(statement) if statement else f"#{after['cause']}"))
    keys = list(after) + [k for k in before if k not in after]
    for key in keys:
        if key in NOT_SHOWN:
            continue
        shown_before = format_value(key, before[key], names) if key in before else None
        shown_after = format_value(key, after.get(key), names)
        if shown_before is None and shown_after == EMPTY:
            continue  # a field left empty when the record was made says nothing
        rows.append(Change(key_label(key), shown_before, shown_after))
    return rows


@dataclass
class Entry:
    """One event of the timeline with its rows in words."""
    at: datetime
    actor: Any
    action: str
    changes: list[Change] = field(default_factory=list)

    @property
    def what(self) -> str:
        return str(labels.EVENT_LABELS.get(self.action, self.action))


def entries(events, names: Names | None = None) -> list[Entry]:
    names = names or Names()
    return [Entry(at=e.at, actor=e.actor, action=e.action, changes=describe_change(e, names)) for e in events]
