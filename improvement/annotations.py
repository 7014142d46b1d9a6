"""What changed and when, for a chart: each improvement's change date, its actions marked done, the revisions
of its linked articles, and the metric's rebases (with their reasons). Numbered in date order, so a printed
chart's numbers match the legend under it."""
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _
from sqlalchemy import select

from core.db import db
from improvement.models import Improvement, Rebase
from kb.models import Revision

KINDS = ("change", "action", "revision", "rebase")


@dataclass(frozen=True)
class Annotation:
    number: int
    when: date
    kind: str          # one of KINDS
    text: str          # plain text: the chart and the template escape it


def _events(improvement: Improvement) -> list[tuple[date, str, str]]:
    found = []
    if improvement.change_date:
        found.append((improvement.change_date, "change",
                      str(_("#%(id)s %(title)s: the change went live", id=improvement.id, title=improvement.title))))
    for action in improvement.actions:
        if action.status == "done" and action.done_on:
            found.append((action.done_on, "action", str(_("Action done: %(what)s", what=action.description))))
    article_ids = [link.article_id for link in improvement.article_links]
    if article_ids:
        for revision in db.session.scalars(select(Revision).where(Revision.article_id.in_(article_ids))):
            found.append((revision.created_at.date(), "revision",
                          str(_("%(title)s: revision %(n)s", title=revision.title, n=revision.number))))
    return found


def rebases_of(metric_id: int) -> list[Rebase]:
    return list(db.session.scalars(select(Rebase).where(Rebase.metric_id == metric_id)
                                   .order_by(Rebase.from_date, Rebase.id)))


def numbered(events, first: date | None = None, last: date | None = None) -> list[Annotation]:
    """(when, kind, text) within [first, last], in date order, numbered from 1."""
    kept = sorted({e for e in events if (first is None or e[0] >= first) and (last is None or e[0] <= last)},
                  key=lambda e: (e[0], KINDS.index(e[1]), e[2]))
    return [Annotation(n, when, kind, text) for n, (when, kind, text) in enumerate(kept, start=1)]


def rebase_events(rebases: list[Rebase]) -> list[tuple[date, str, str]]:
    return [(r.from_date, "rebase", str(_("Limits recalculated from here: %(reason)s", reason=r.reason)))
            for r in rebases]


def for_improvement(improvement: Improvement, first: date | None = None, last: date | None = None) -> list[Annotation]:
    events = _events(improvement)
    if improvement.metric_id:
        events += rebase_events(rebases_of(improvement.metric_id))
    return numbered(events, first, last)


def for_metric(metric_id: int, first: date | None = None, last: date | None = None) -> list[Annotation]:
    """Every improvement measured by the metric (not cancelled) and the metric's rebases."""
    events = rebase_events(rebases_of(metric_id))
    for improvement in db.session.scalars(select(Improvement).where(Improvement.metric_id == metric_id,
                                                                   Improvement.phase != "cancelled")):
        events += _events(improvement)
    return numbered(events, first, last)
