"""What can happen to an improvement: open it, change it, standardise it as a best practice, and read
its timeline. Phases are in improvement.phases, causes and actions in improvement.causes_and_actions.

Plain functions over the session; they flush but never commit (the request does). This module is
the register's face to the knowledge base: kb calls it, and it calls kb.service.
"""
import math
from dataclasses import dataclass, fields
from datetime import date

from flask_babel import lazy_gettext as _
from sqlalchemy import select

from accounts.auth import User
from core import audit, clock
from core.db import db, utcnow
from core.errors import Conflict, Invalid, refuse_if
from improvement import labels, metrics, phases, results
from improvement import timeline as improvement_timeline
from improvement.models import DIMENSIONS, OPEN_PHASES, SEVERITIES, SOURCES, ArticleLink, Improvement, Metric
from kb import service as kb_service

CAUSE_LABELS_EN = {"people": "People", "process": "Process", "policy": "Policy", "place": "Place",
                   "product": "Product", "measurement": "Measurement"}


class ChangedMeanwhile(Conflict):
    """The edit was based on an older version than the one now saved (the article editor's conflict, for an
    improvement): the page shows both and keeps what was typed."""


@dataclass
class ImprovementDetails:
    """What a quality lead decides about an improvement (everything but its phase and decision)."""
    title: str
    source: str
    dimension: str
    owner_id: int
    problem: str = ""
    touchpoint: str = ""
    severity: str = "medium"
    metric_id: int | None = None
    target: float | None = None
    change_date: date | None = None
    what_changed: str = ""
    follows_id: int | None = None

    @classmethod
    def of(cls, improvement: Improvement) -> "ImprovementDetails":
        return cls(**{f.name: getattr(improvement, f.name) for f in fields(cls)})

    def as_record(self) -> dict:
        record = {f.name: getattr(self, f.name) for f in fields(self)}
        record["change_date"] = self.change_date.isoformat() if self.change_date else None
        return record


def details_problems(details: ImprovementDetails, improvement: Improvement | None = None,
                     started_on: date | None = None) -> list:
    found = []
    if not details.title.strip() or len(details.title) > 200:
        found.append(_("The title is 1 to 200 characters."))
    if details.source not in SOURCES or details.dimension not in DIMENSIONS or details.severity not in SEVERITIES:
        found.append(_("Choose the source, the SERVQUAL dimension and the severity from the lists."))
    if len(details.touchpoint) > 200:
        found.append(_("The touchpoint is longer than 200 characters."))
    if db.session.get(User, details.owner_id) is None:
        found.append(_("Choose the owner from the list."))
    if details.metric_id is not None and db.session.get(Metric, details.metric_id) is None:
        found.append(_("Choose the metric from the catalogue."))
    if details.target is not None and details.metric_id is None:
        found.append(_("A target is a value of the primary metric: choose the metric too."))
    if details.target is not None and not math.isfinite(details.target):
        found.append(_("The target must be a finite number."))
    elif details.target is not None and abs(details.target) > metrics.LARGEST:
        found.append(_("The target is out of range: at most 10^15 either way."))
    started = improvement.started_on if improvement else (started_on or clock.today())
    if details.change_date is not None and details.change_date < started:
        found.append(_("The change date %(day)s is before the improvement started (%(start)s).",
                       day=details.change_date.isoformat(), start=started.isoformat()))
    if details.follows_id is not None:
        earlier = db.session.get(Improvement, details.follows_id)
        if earlier is None or (improvement is not None and earlier.id == improvement.id):
            found.append(_("Choose the earlier improvement this one follows from the list."))
    return found


def create_improvement(details: ImprovementDetails, actor, started_on: date | None = None) -> Improvement:
    started_on = started_on or clock.today()
    if started_on > clock.today():
        refuse_if([_("The start date %(day)s is in the future.", day=started_on.isoformat())])
    refuse_if(details_problems(details, started_on=started_on))
    improvement = Improvement(started_on=started_on, phase="plan")
    _apply(improvement, details)
    phases.enter(improvement, "plan")
    db.session.add(improvement)
    db.session.flush()
    audit.record(actor, "create", "improvement", improvement.id, after=details.as_record() | {"phase": "plan"})
    return improvement


def update_improvement(improvement: Improvement, details: ImprovementDetails, actor,
                       base_version: int | None = None) -> bool:
    """Save the details; False when nothing changed. `base_version`, the version the editor's form was
    opened at, refuses a save over someone else's newer one (the form keeps the text typed)."""
    phases.open_or_refuse(improvement)
    before = ImprovementDetails.of(improvement).as_record()
    after = details.as_record()
    if base_version is not None and base_version != improvement.version:
        differing = ", ".join(str(labels.FIELD_LABELS[k]) for k in before if before[k] != after[k])
        raise ChangedMeanwhile(_("Someone else saved this improvement after you opened it. Your text is still in the "
                                 "form; saving again replaces theirs where the two differ: %(fields)s.",
                                 fields=differing or "—"))
    refuse_if(details_problems(details, improvement))
    changed = {k: v for k, v in after.items() if before[k] != v}
    if not changed:
        return False
    _apply(improvement, details)
    improvement.updated_at = utcnow()
    audit.record(actor, "revise", "improvement", improvement.id,
                 before={k: before[k] for k in changed}, after=changed)
    return True


def _apply(improvement: Improvement, details: ImprovementDetails) -> None:
    for f in fields(details):
        value = getattr(details, f.name)
        setattr(improvement, f.name, value.strip() if isinstance(value, str) else value)


def improvements(phase: str | None = None) -> list[Improvement]:
    query = select(Improvement).order_by(Improvement.updated_at.desc())
    if phase:
        query = query.where(Improvement.phase == phase)
    return list(db.session.scalars(query))


def follow_ups(improvement: Improvement) -> list[Improvement]:
    """The later cycles that follow this one."""
    return list(db.session.scalars(select(Improvement).where(Improvement.follows_id == improvement.id)
                                   .order_by(Improvement.id)))


def standard_article(improvement: Improvement):
    """The best-practice article this improvement was standardised as, or None."""
    return next((link.article for link in improvement.article_links if link.kind == "standard"), None)


def link_article(improvement: Improvement, article, actor, kind: str = "related") -> None:
    if any(link.article_id == article.id for link in improvement.article_links):
        return
    improvement.article_links.append(ArticleLink(article_id=article.id, kind=kind))
    improvement.updated_at = utcnow()  # a row change, so two standardisings at once cannot both pass
    db.session.flush()
    audit.record(actor, "link_article", "improvement", improvement.id,
                 after={"article_id": article.id, "title": article.title, "kind": kind})


def improvements_for_article(article_id: int) -> list[Improvement]:
    """The improvements linked to an article (the one it was standardised from first), for the article's page."""
    query = (select(Improvement).join(ArticleLink).where(ArticleLink.article_id == article_id)
             .order_by((ArticleLink.kind != "standard"), Improvement.id))
    return list(db.session.scalars(query))


def standardise(improvement: Improvement, actor):
    """A draft best-practice article pre-filled from the improvement, linked both ways (the link row is
    read from either side). Only at Act, and once."""
    if improvement.phase != "act":
        raise Invalid(_("An improvement is standardised at Act, once its effect is measured."))
    existing = standard_article(improvement)
    if existing is not None:
        raise Invalid(_("This improvement is standardised already as %(title)s.", title=existing.title))
    article = kb_service.draft_best_practice(
        title=f"Best practice: {improvement.title}", summary=improvement.problem.strip().split("\n")[0],
        body=best_practice_body(improvement), author=actor, tags=["improvement", improvement.dimension])
    link_article(improvement, article, actor, kind="standard")
    return article


def best_practice_body(improvement: Improvement) -> str:
    """The draft's Markdown: the problem, its causes, what changed and the measured effect."""
    lines = ["## Problem", "", improvement.problem.strip() or "-", "", "## Root causes", ""]
    for cause in improvement.causes:
        lines.append(f"- **{CAUSE_LABELS_EN[cause.category]}**: {cause.statement}")
        lines.extend(f"  {n}. Why? {step.text}" for n, step in enumerate(cause.whys, start=1))
    lines += ["", "## What changed", ""]
    if improvement.what_changed.strip():
        lines += [improvement.what_changed.strip(), ""]
    lines += [f"- {a.description}" for a in improvement.actions if a.status == "done"]
    lines += ["", "## Measured effect", ""]
    effect = results.effect_of(improvement)
    if effect is None or improvement.metric is None:
        lines.append("Not measured.")
    else:
        lines.append(f"**{labels.VERDICT_LABELS[effect.verdict]}** on {improvement.metric.name}, "
                     f"change on {improvement.change_date.isoformat()}.")
        lines += [""] + [f"- {sentence}" for sentence in results.explain(effect, improvement.metric)]
    lines += ["", f"*Standardised from improvement #{improvement.id}.*", ""]
    return "\n".join(lines)


def timeline(improvement: Improvement) -> list[improvement_timeline.Entry]:
    """Every recorded change to the improvement, its causes and actions, and its metric's measurements,
    oldest first, each in words (improvement.timeline)."""
    events = audit.trail("improvement", improvement.id)
    if improvement.metric_id:
        events += [e for e in audit.trail("metric", improvement.metric_id) if e.action in ("add_measurements", "rebase")]
    return improvement_timeline.entries(sorted(events, key=lambda e: (e.at, e.id)))


def find(improvement_id: int) -> Improvement | None:
    return db.session.get(Improvement, improvement_id)


def open_for_origins(origins) -> dict[str, Improvement]:
    """The open improvement (Plan to Act) opened from each of `origins` ("flag:12", "votes:7", "search:...")."""
    origins = [o for o in set(origins) if o]
    if not origins:
        return {}
    query = (select(Improvement).where(Improvement.origin.in_(origins), Improvement.phase.in_(OPEN_PHASES))
             .order_by(Improvement.id))
    found: dict[str, Improvement] = {}
    for improvement in db.session.scalars(query):
        found.setdefault(improvement.origin, improvement)
    return found


def open_from_evidence(title: str, problem: str, source: str, origin: str, evidence: str, owner,
                       article_ids=()) -> Improvement:
    """An improvement in Plan opened in one step from knowledge-base evidence (a flag, unhelpful votes, a
    search that found nothing), the articles linked as related. While one opened from the same `origin` is
    still open, that one is returned instead of a second."""
    origin = origin[:220]
    existing = open_for_origins([origin]).get(origin)
    if existing is not None:
        return existing
    improvement = create_improvement(ImprovementDetails(title=title[:200], source=source, dimension="reliability",
                                                        owner_id=owner.id, problem=problem), owner)
    improvement.origin, improvement.evidence = origin, evidence
    for article_id in article_ids:
        article = kb_service.find_article(str(article_id), owner)
        if article is not None:
            link_article(improvement, article, owner)
    db.session.flush()
    return improvement
