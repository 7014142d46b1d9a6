"""Every search, logged: what was asked, what it found, how fast, and what was opened from it.

The reports show editors and quality leads what staff look for and do not find (content gaps).
"""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case, func, insert, select, update

from core.db import db, utcnow
from kb.search.models import SearchLog


def record(text: str, filters: str, hits: int, millis: float, user, source: str = "page") -> int | None:
    """Log one search (not an empty one) and return the row's id, so a click on a result can be counted.

    Committed at once in its own short transaction: a search is a read, and it must not hold SQLite's
    write lock while its page renders (the other workers would queue behind it)."""
    text = " ".join(text.split())[:200]
    if not text:
        return None
    row = {"query": text, "filters": filters[:300], "hits": hits, "millis": round(millis, 2), "source": source,
           "user_id": user.id if user.is_authenticated else None, "at": utcnow(), "clicked_article_id": None}
    with db.engine.begin() as connection:
        return connection.execute(insert(SearchLog).values(**row)).inserted_primary_key[0]


def record_click(log_id: int, article_id: int, user) -> None:
    """The first result opened from a search (by the person who searched)."""
    owner = SearchLog.user_id == user.id if user.is_authenticated else SearchLog.user_id.is_(None)
    db.session.execute(update(SearchLog).where(SearchLog.id == log_id, owner, SearchLog.clicked_article_id.is_(None))
                       .values(clicked_article_id=article_id).execution_options(synchronize_session=False))


@dataclass
class QueryRow:
    query: str
    searches: int
    hits: float = 0
    clicks: int = 0
    millis: float = 0.0

    @property
    def click_rate(self) -> float:
        return self.clicks / self.searches if self.searches else 0.0


@dataclass
class Report:
    days: int
    searches: int
    zero_result_searches: int
    clicked: int
    top: list[QueryRow]
    zero: list[QueryRow]
    slowest: list[QueryRow]

    @property
    def click_rate(self) -> float:
        return self.clicked / self.searches if self.searches else 0.0


def report(days: int = 30, limit: int = 20) -> Report:
    """Top queries, queries with no results, click-through and the slowest searches of the last `days`."""
    recent = (SearchLog.at >= utcnow() - timedelta(days=days), SearchLog.source != "suggest")
    key = func.lower(SearchLog.query)
    clicked = func.sum(case((SearchLog.clicked_article_id.is_not(None), 1), else_=0))
    totals = db.session.execute(select(func.count(), func.sum(case((SearchLog.hits == 0, 1), else_=0)), clicked)
                                .where(*recent)).one()
    top = db.session.execute(select(func.min(SearchLog.query), func.count(), func.avg(SearchLog.hits), clicked)
                             .where(*recent).group_by(key).order_by(func.count().desc(), key).limit(limit))
    zero = db.session.execute(select(func.min(SearchLog.query), func.count())
                              .where(*recent, SearchLog.hits == 0).group_by(key)
                              .order_by(func.count().desc(), key).limit(limit))
    slowest = db.session.execute(select(func.min(SearchLog.query), func.count(), func.max(SearchLog.millis))
                                 .where(*recent).group_by(key).order_by(func.max(SearchLog.millis).desc()).limit(limit))
    return Report(
        days=days, searches=totals[0] or 0, zero_result_searches=totals[1] or 0, clicked=totals[2] or 0,
        top=[QueryRow(q, n, round(float(h or 0), 1), int(c or 0)) for q, n, h, c in top],
        zero=[QueryRow(q, n) for q, n in zero],
        slowest=[QueryRow(q, n, millis=round(float(m or 0), 1)) for q, n, m in slowest])
