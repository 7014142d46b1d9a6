"""SPC on the knowledge base's own process data, shown on kb's pages through its hooks (kb never imports us):

- content health's funnel plots: each published article's share of "not helpful" answers against limits that
  depend on its number of answers, and its flags per 1,000 views against limits that depend on its views;
- the knowledge-demand chart: the weekly share of searches that found nothing, a p chart per language (a
  search with a Chinese character is a Chinese search), read the Making Data Count way; a special cause of
  concern offers an improvement with the searches that found nothing in the marked weeks as evidence;
- an article's own weekly helpfulness chart, with its revisions marked, for its owner.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import case, func, select

from core.db import db
from improvement import charts, spc
from improvement.annotations import numbered
from improvement.effect import Point
from kb.feedback.evidence import Evidence
from kb.feedback.models import Flag, Vote
from kb.models import Article, Revision
from kb.search.models import SearchLog
from kb.search.text import HAS_CJK

WEEKS = 26
LANGUAGES = ("en", "zh")
SEARCH_SOURCES = ("page", "api")   # search-as-you-type suggestions are not questions asked
MAX_QUERIES = 30                  # zero-result queries quoted in the evidence


def week_of(day: date) -> date:
    """The Monday a day's week starts on."""
    return day - timedelta(days=day.weekday())


# --- content health: funnel plots ---------------------------------------------------------------

@dataclass
class HealthFunnels:
    helpfulness: spc.Funnel
    flags: spc.Funnel
    articles: dict[int, Article]

    def above(self, found: spc.Funnel) -> list[spc.FunnelUnit]:
        return sorted((u for u in found.units if u.outcome == "above"), key=lambda u: -(u.rate - u.upper))


def health_funnels() -> HealthFunnels:
    """Published articles: 'no' answers out of answers, and flags (any status) out of views."""
    published = {a.id: a for a in db.session.scalars(select(Article).where(Article.state == "published"))}
    votes = db.session.execute(select(Vote.article_id, func.sum(case((Vote.helpful.is_(False), 1), else_=0)),
                                      func.count()).group_by(Vote.article_id)).all()
    flags = dict(db.session.execute(select(Flag.article_id, func.count()).group_by(Flag.article_id)).all())
    helpfulness = spc.funnel([(i, int(no), int(n)) for i, no, n in votes if i in published])
    per_view = spc.funnel([(i, flags.get(i, 0), a.view_count) for i, a in published.items()], "rate")
    return HealthFunnels(helpfulness, per_view, published)


def funnel_chart(found: spc.Funnel, articles: dict[int, Article], title: str, scale: float, unit: str,
                 size_label: str) -> Markup | None:
    if not found.units:
        return None
    return Markup(charts.funnel_svg(  # noqa: S704 - charts escapes every user text itself
        found, {key: article.title for key, article in articles.items()}, title=title, scale=scale, unit=unit,
        size_label=size_label))


# --- knowledge demand: searches that find nothing ------------------------------------------------

@dataclass
class DemandChart:
    language: str
    points: list[Point]          # a week: zero-result searches out of searches
    reading: spc.Reading
    queries: dict[date, Counter]  # week -> zero-result query -> times

    @property
    def concern(self) -> bool:
        return self.reading.variation.startswith("concern")

    @property
    def concern_weeks(self) -> list[date]:
        """The weeks some rule marks on the bad side (high: more searches find nothing)."""
        return sorted(self.reading.points[i].when for i, side in self.reading.marked().items() if side != "low")

    @property
    def origin(self) -> str:
        weeks = self.concern_weeks
        return f"demand:{self.language}:{weeks[-1].isoformat()}" if weeks else f"demand:{self.language}"

    def chart(self) -> Markup | None:
        if not self.points:
            return None
        title = _("Share of searches that found nothing (%(language)s)", language=self.language)
        return Markup(charts.spc_chart_svg(self.points, self.reading, title=title,  # noqa: S704 - escaped there
                                           unit="× 100 = %"))


def language_of(query: str) -> str:
    return "zh" if HAS_CJK.search(query) else "en"


def demand(today: date, weeks: int = WEEKS) -> list[DemandChart]:
    """One p chart per language of the last `weeks` full and current weeks."""
    first = week_of(today) - timedelta(weeks=weeks - 1)
    day, nothing = func.date(SearchLog.at), case((SearchLog.hits == 0, 1), else_=0)
    rows = db.session.execute(  # counted by the database per day and query: a busy site logs many searches
        select(day, SearchLog.query, nothing, func.count())
        .where(SearchLog.at >= datetime.combine(first, time.min), SearchLog.source.in_(SEARCH_SOURCES))
        .group_by(day, SearchLog.query, nothing))
    totals: dict[str, Counter] = defaultdict(Counter)
    zero: dict[str, Counter] = defaultdict(Counter)
    queries: dict[str, dict[date, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for on, query, found_nothing, n in rows:
        language, week = language_of(query), week_of(on if isinstance(on, date) else date.fromisoformat(on))
        totals[language][week] += n
        if found_nothing:
            zero[language][week] += n
            queries[language][week][query.lower()] += n
    found = []
    for language in LANGUAGES:
        points = [Point(week, zero[language][week], n) for week, n in sorted(totals[language].items())]
        found.append(DemandChart(language, points, spc.read(points, "p", "lower"), queries[language]))
    return found


def demand_evidence(found: DemandChart) -> Evidence:
    weeks = found.concern_weeks
    lines = [_("Weeks marked by the chart's rules (searches that found nothing out of all searches):")]
    by_week = {p.when: p for p in found.points}
    for week in weeks:
        point = by_week[week]
        lines.append(f"- {week.isoformat()}: {point.value:g} / {point.denominator:g}")
    together = sum((found.queries.get(week, Counter()) for week in weeks), Counter())
    if together:
        lines += ["", _("What was searched for in those weeks and found nothing:")]
        lines += [f"- “{query}” × {n}" for query, n in together.most_common(MAX_QUERIES)]
    return Evidence(title=_("More searches find nothing (%(language)s)", language=found.language),
                    problem=_("The weekly share of %(language)s searches that find nothing shows a special cause of "
                              "concern: staff ask for knowledge the base does not have.", language=found.language),
                    source="search_gap", origin=found.origin, evidence="\n".join(lines))


# --- an article's own helpfulness -----------------------------------------------------------------

def helpfulness_chart(article: Article) -> tuple[Markup | None, list]:
    """Weekly 'yes' answers out of answers, on a p chart, the article's revisions numbered on it (and listed)."""
    rows = db.session.execute(select(Vote.helpful, Vote.at).where(Vote.article_id == article.id)).all()
    if not rows:
        return None, []
    answers, helpful = Counter(), Counter()
    for yes, at in rows:
        answers[week_of(at.date())] += 1
        helpful[week_of(at.date())] += 1 if yes else 0
    points = [Point(week, helpful[week], n) for week, n in sorted(answers.items())]
    reading = spc.read(points, "p", "higher")
    revisions = db.session.execute(select(Revision.number, Revision.created_at)
                                   .where(Revision.article_id == article.id)).all()
    notes = numbered([(at.date(), "revision", _("Revision %(n)s", n=n)) for n, at in revisions], points[0].when)
    return Markup(charts.spc_chart_svg(  # noqa: S704 - charts escapes every user text itself
        points, reading, title=_("Answers that said it helped, by week"), unit="× 100 = %", annotations=notes)), notes
