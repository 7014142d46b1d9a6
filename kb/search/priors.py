"""What readers said of an article, as a small, damped nudge to its rank: helpful answers and reuse move an
article at most a tenth up or down among pages that match the question about as well, never past a page
that matches it clearly better. Read from the database for the first page of results only, and kept for
half a minute per process (the counts change on every vote and view, so they are not in the index)."""
import math
import time

from flask import current_app
from sqlalchemy import case, func, select

from core.db import db
from kb.feedback.models import Vote
from kb.models import Article


def prior(helpful: int, not_helpful: int, uses: int) -> float:
    """1.0 for an article nobody judged or used; between 0.9 and 1.1 at the extremes."""
    share = (helpful + 1) / (helpful + not_helpful + 2)  # Laplace: one vote says little
    confidence = min(1.0, (helpful + not_helpful) / 10)
    used = min(1.0, math.log10(1 + max(uses, 0)) / 3)  # 1,000 uses and more count the same
    return 1 + 0.16 * (share - 0.5) * confidence + 0.02 * used


REMEMBERED_SECONDS = 30.0  # a vote or a reuse nudges the ranking within this long


def priors_for(article_ids: list[int]) -> dict[int, float]:
    """The prior of each article; read from the database for those not read in the last half minute."""
    remembered = current_app.extensions.setdefault("servicebook.priors", {})  # id -> (until, prior)
    now = time.monotonic()
    known = {i: held[1] for i in article_ids if (held := remembered.get(i)) and held[0] > now}
    missing = [i for i in article_ids if i not in known]
    if missing:
        if len(remembered) > 50_000:
            remembered.clear()
        for article_id, value in _read(missing).items():
            remembered[article_id] = (now + REMEMBERED_SECONDS, value)
            known[article_id] = value
    return known


def _read(article_ids: list[int]) -> dict[int, float]:
    rows = db.session.execute(
        select(Article.id, Article.use_count, func.count(Vote.id).label("votes"),
               func.coalesce(func.sum(case((Vote.helpful.is_(True), 1), else_=0)), 0).label("yes"))
        .outerjoin(Vote, Vote.article_id == Article.id).where(Article.id.in_(article_ids))
        .group_by(Article.id, Article.use_count))
    found = {row.id: prior(int(row.yes), int(row.votes) - int(row.yes), row.use_count or 0) for row in rows}
    return {i: found.get(i, 1.0) for i in article_ids}
