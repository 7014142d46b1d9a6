"""Content health: what in the knowledge base needs an editor's or a quality lead's attention.

Reads only. Articles past their review date, open flags, the least helpful articles, published articles
nobody has viewed or reused for 90 days, and the searches that found nothing (from kb.search_log).
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Float, case, cast, func, or_, select

from core.db import db
from kb.feedback.models import Flag, Vote
from kb.models import Article
from kb.search import log as search_log

MIN_VOTES = 3
UNUSED_DAYS = 90
SEARCH_DAYS = 30


@dataclass
class Helpfulness:
    article: Article
    helpful: int
    votes: int

    @property
    def not_helpful(self) -> int:
        return self.votes - self.helpful

    @property
    def share(self) -> float:
        return self.helpful / self.votes if self.votes else 0.0


@dataclass
class Unused:
    article: Article
    last_activity: datetime  # the latest of its last view, last reuse and publication


def past_review(today: date, limit: int = 50) -> list[Article]:
    """Published articles whose review date has passed, the longest overdue first."""
    return list(db.session.scalars(select(Article).where(Article.state == "published", Article.review_by < today)
                                   .order_by(Article.review_by, Article.id).limit(limit)))


def open_flags(limit: int = 50) -> list[Flag]:
    """Flags waiting for an owner, the oldest first."""
    return list(db.session.scalars(select(Flag).where(Flag.status == "open")
                                   .order_by(Flag.flagged_at, Flag.id).limit(limit)))


def least_helpful(min_votes: int = MIN_VOTES, limit: int = 10) -> list[Helpfulness]:
    """Published articles with at least `min_votes` answers and at least one 'no', lowest share of 'yes' first."""
    helpful = func.sum(case((Vote.helpful.is_(True), 1), else_=0))
    totals = (select(Vote.article_id, helpful.label("helpful"), func.count().label("votes"))
              .group_by(Vote.article_id).having(func.count() >= min_votes, helpful < func.count()).subquery())
    share = cast(totals.c.helpful, Float) / totals.c.votes
    rows = db.session.execute(select(Article, totals.c.helpful, totals.c.votes)
                              .join(totals, totals.c.article_id == Article.id)
                              .where(Article.state == "published")
                              .order_by(share, totals.c.votes.desc(), Article.id).limit(limit))
    return [Helpfulness(article, int(yes), int(votes)) for article, yes, votes in rows]


def unused(now: datetime, days: int = UNUSED_DAYS, limit: int = 50) -> list[Unused]:
    """Published articles with no view and no reuse in `days` days (and published before that), the
    longest quiet first."""
    cutoff = now - timedelta(days=days)
    quiet = db.session.scalars(select(Article).where(
        Article.state == "published",
        or_(Article.last_viewed_at.is_(None), Article.last_viewed_at < cutoff),
        or_(Article.last_reused_at.is_(None), Article.last_reused_at < cutoff),
        func.coalesce(Article.published_at, Article.created_at) < cutoff))
    rows = [Unused(a, max(t for t in (a.last_viewed_at, a.last_reused_at, a.published_at or a.created_at) if t))
            for a in quiet]
    return sorted(rows, key=lambda row: (row.last_activity, row.article.id))[:limit]


def zero_result_searches(days: int = SEARCH_DAYS, limit: int = 10) -> list[search_log.QueryRow]:
    return search_log.report(days=days, limit=limit).zero


def zero_result_count(query: str, days: int = SEARCH_DAYS) -> int:
    """How often `query` (any letter case) found nothing in the last `days` days; 0 when it never did."""
    key = " ".join(query.split()).lower()
    rows = search_log.report(days=days, limit=1000).zero
    return next((row.searches for row in rows if row.query.lower() == key), 0)


def overview(today: date, now: datetime) -> dict:
    return {"past_review": past_review(today), "open_flags": open_flags(), "least_helpful": least_helpful(),
            "unused": unused(now), "zero_searches": zero_result_searches(),
            "unused_days": UNUSED_DAYS, "search_days": SEARCH_DAYS, "min_votes": MIN_VOTES}
