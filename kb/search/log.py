"""Every search, logged: what was asked, what it found, how fast, and what was opened from it.

The reports show editors and quality leads what staff look for and do not find (content gaps). The rows
are written in batches (core.batch, SEARCH_LOG_FLUSH_SECONDS), outside the search's request: a search is
a read, and must not wait for the database's writer. Each search gets a token at once for the links of
its results; a click that arrives before its search row is written waits in the batch for it.
"""
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import case, func, insert, select, update
from sqlalchemy.orm import Session

from core.batch import Batch
from core.db import db, utcnow
from kb.search.models import SearchLog

CLICK_WAIT_SECONDS = 120  # a click whose search row is not written by then (its worker died) is dropped
TOKEN = r"[A-Za-z0-9_-]{16}"


def init_app(app) -> None:
    app.extensions["servicebook_search_log"] = Batch(app, "search log", app.config["SEARCH_LOG_FLUSH_SECONDS"],
                                                     _write)


def record(text: str, filters: str, hits: int, millis: float, user, source: str = "page") -> str | None:
    """Log one search (not an empty one); returns its token, so that a click on a result can be counted."""
    text = " ".join(text.split())[:200]
    if not text:
        return None
    token = secrets.token_urlsafe(12)
    current_app.extensions["servicebook_search_log"].add(("search", {
        "token": token, "query": text, "filters": filters[:300], "hits": hits, "millis": round(millis, 2),
        "source": source, "user_id": user.id if user.is_authenticated else None, "at": utcnow(),
        "clicked_article_id": None}))
    return token


def record_click(token: str, article_id: int, user) -> None:
    """The first result opened from a search (by the person who searched)."""
    current_app.extensions["servicebook_search_log"].add(
        ("click", token, article_id, user.id if user.is_authenticated else None, time.monotonic()))


def _write(items: list) -> list:
    """The searches in one INSERT, then the clicks; a click whose search is not written yet is kept."""
    searches = [row for kind, row, *_ in items if kind == "search"]
    clicks = [item for item in items if item[0] == "click"]
    waiting = []
    with Session(db.engine) as session, session.begin():
        if searches:
            session.execute(insert(SearchLog), searches)
        for click in clicks:
            _, token, article_id, user_id, clicked_at = click
            owner = SearchLog.user_id == user_id if user_id is not None else SearchLog.user_id.is_(None)
            found = session.execute(select(SearchLog.id, SearchLog.clicked_article_id)
                                    .where(SearchLog.token == token, owner)).first()
            if found is None:
                if time.monotonic() - clicked_at < CLICK_WAIT_SECONDS:
                    waiting.append(click)
            elif found.clicked_article_id is None:
                session.execute(update(SearchLog).where(SearchLog.id == found.id).values(clicked_article_id=article_id))
    return waiting


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
