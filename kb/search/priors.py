"""What readers said of an article, as a small, damped nudge to its rank: helpful answers and reuse move an
article at most a tenth up or down among pages that match the question about as well, never past a page
that matches it clearly better. Read from the database for the first page of results only, and kept for
half a minute per process (the counts change on every vote and view, so they are not in the index)."""
import math

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


def priors_for(article_ids: list[int]) -> dict[int, float]:
    if not article_ids:
        return {}
    votes = dict((row.article_id, (row.yes, row.no)) for row in db.session.execute(
        select(Vote.article_id, func.sum(case((Vote.helpful.is_(True), 1), else_=0)).label("yes"),
               func.sum(case((Vote.helpful.is_(True), 0), else_=1)).label("no"))
        .where(Vote.article_id.in_(article_ids)).group_by(Vote.article_id)))
    uses = dict(db.session.execute(select(Article.id, Article.use_count).where(Article.id.in_(article_ids))).all())
    return {i: prior(*(int(n or 0) for n in votes.get(i, (0, 0))), uses.get(i) or 0) for i in article_ids}
