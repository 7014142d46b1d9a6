"""What each user may see, and the lists the pages show. Reads only; changes are in kb.service."""
from datetime import date, timedelta

from sqlalchemy import and_, select, true

from core.db import db
from kb.models import Article, Category, Revision


def visibility(user):
    """The SQL condition for the articles `user` may see; drafts never reach staff."""
    if user.can("see_unpublished"):
        return true()
    if user.is_authenticated:
        return Article.state == "published"
    return and_(Article.state == "published", Article.audience == "public")


def visible_article(article_id: int, user) -> Article | None:
    return db.session.scalar(select(Article).where(Article.id == article_id, visibility(user)))


def recently_updated(user, limit: int = 8) -> list[Article]:
    query = select(Article).where(visibility(user)).order_by(Article.updated_at.desc()).limit(limit)
    return list(db.session.scalars(query))


def most_used(user, limit: int = 8) -> list[Article]:
    query = (select(Article).where(visibility(user), Article.state == "published")
             .order_by(Article.use_count.desc(), Article.id.desc()).limit(limit))
    return list(db.session.scalars(query))


def in_category(category: Category, user) -> list[Article]:
    query = (select(Article).where(visibility(user), Article.category_id == category.id)
             .order_by(Article.title))
    return list(db.session.scalars(query))


def due_for_review(user, today: date, horizon_days: int = 30) -> list[Article]:
    """Articles whose review date has passed or comes within the horizon; owners see their own."""
    query = select(Article).where(Article.review_by.is_not(None),
                                  Article.review_by <= today + timedelta(days=horizon_days),
                                  Article.state.in_(("draft", "review", "published")))
    if not user.can("publish_articles"):
        query = query.where(Article.owner_id == user.id)
    return list(db.session.scalars(query.order_by(Article.review_by)))


def awaiting_review() -> list[Article]:
    return list(db.session.scalars(select(Article).where(Article.state == "review")
                                   .order_by(Article.updated_at)))


def revision(article: Article, number: int) -> Revision | None:
    return db.session.scalar(select(Revision).where(Revision.article_id == article.id,
                                                    Revision.number == number))
