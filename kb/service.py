"""What can happen to an article: create, revise, move through its lifecycle, restore.

Plain functions over the session; they flush but never commit (the request does).
"""
import re
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta

from flask_babel import lazy_gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from core import audit
from core.db import db, utcnow
from core.errors import Conflict, NotAllowed, NotFound
from core.markdown import render
from kb import queries
from kb.feedback import view_counts
from kb.labels import STATE_LABELS
from kb.models import ARTICLE_TYPES, AUDIENCES, LANGUAGES, Article, Category, Revision, Tag

MAX_TAGS = 20
MAX_TAG_CHARS = 40


class EditConflict(Conflict):
    """The edit was based on an older version than the one now saved."""

    def __init__(self, article_id: int):
        super().__init__(f"article {article_id} was changed by someone else")
        self.article_id = article_id


class SaveCollision(Conflict):
    """Another request created the same address (slug) or tag at the same moment; saving again works."""


class NoSuchTransition(Conflict):
    """The article's state does not allow this step (draft articles cannot be archived...)."""


@dataclass
class ArticleContent:
    """What an author decides about an article (everything but its lifecycle)."""
    title: str
    body: str
    type: str
    category_id: int
    owner_id: int
    summary: str = ""
    tags: list[str] = field(default_factory=list)
    audience: str = "staff"
    language: str = "en"
    review_by: date | None = None

    @classmethod
    def of(cls, article: Article) -> "ArticleContent":
        values = {f.name: getattr(article, f.name) for f in fields(cls) if f.name != "tags"}
        return cls(tags=article.tag_names, **values)

    def as_record(self) -> dict:
        record = {f.name: getattr(self, f.name) for f in fields(self)}
        record["review_by"] = self.review_by.isoformat() if self.review_by else None
        record["body"] = f"{len(self.body)} characters"
        return record


def problems(content: ArticleContent, max_body_chars: int) -> list[str]:
    """Every reason the content cannot be saved, in words an author understands."""
    found = []
    if not content.title.strip():
        found.append("The title is empty.")
    elif len(content.title) > 200:
        found.append("The title is longer than 200 characters.")
    if not content.body.strip():
        found.append("The body is empty.")
    elif len(content.body) > max_body_chars:
        found.append(f"The body has {len(content.body):,} characters; the limit is {max_body_chars:,}.")
    if len(content.summary) > 300:
        found.append("The summary is longer than 300 characters.")
    if content.type not in ARTICLE_TYPES:
        found.append(f"Unknown type {content.type!r}; use one of {', '.join(ARTICLE_TYPES)}.")
    if content.audience not in AUDIENCES:
        found.append(f"Unknown audience {content.audience!r}; use one of {', '.join(AUDIENCES)}.")
    if content.language not in LANGUAGES:
        found.append(f"Unknown language {content.language!r}; use one of {', '.join(LANGUAGES)}.")
    if db.session.get(Category, content.category_id) is None:
        found.append("Unknown category.")
    found.extend(tag_problems(content.tags))
    return found


def tag_problems(tags: list[str]) -> list[str]:
    found = []
    if len(tags) > MAX_TAGS:
        found.append(_("At most %(n)s tags.", n=MAX_TAGS))
    if any(len(t) > MAX_TAG_CHARS for t in tags):
        found.append(_("A tag is longer than %(n)s characters.", n=MAX_TAG_CHARS))
    return found


def parse_tags(text: str) -> list[str]:
    """'Complaints, escalation，投诉' -> ['complaints', 'escalation', '投诉'] (no duplicates)."""
    parts = re.split(r"[,，;；\n]", text or "")
    return list(dict.fromkeys(p.strip().lower() for p in parts if p.strip()))


def slugify(title: str) -> str:
    text = unicodedata.normalize("NFKC", title).lower()
    text = re.sub(r"[^\w]+", "-", text).strip("-_")
    return text[:100] or "article"


def unique_slug(title: str, wanted: str | None = None) -> str:
    base = slugify(wanted or title)
    taken = set(db.session.scalars(select(Article.slug).where(
        or_(Article.slug == base, Article.slug.like(f"{base}-%")))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def tags_named(names: list[str]) -> list[Tag]:
    existing = {t.name: t for t in db.session.scalars(select(Tag).where(Tag.name.in_(names)))}
    for name in names:
        if name not in existing:
            existing[name] = Tag(name=name)
            db.session.add(existing[name])
    return [existing[n] for n in names]


def _apply(article: Article, content: ArticleContent) -> None:
    for f in fields(content):
        if f.name != "tags":
            setattr(article, f.name, getattr(content, f.name))
    article.tags = tags_named(content.tags)
    article.body_html = render(content.body)
    article.updated_at = utcnow()


def _add_revision(article: Article, author, note: str, major: bool = False) -> Revision:
    number = (db.session.scalar(select(func.max(Revision.number))
                                .where(Revision.article_id == article.id)) or 0) + 1
    revision = Revision(article=article, number=number, title=article.title, summary=article.summary,
                        body=article.body, note=note[:200], author_id=getattr(author, "id", None), major=major)
    db.session.add(revision)
    return revision


def create_article(content: ArticleContent, author, note: str = "", state: str = "draft",
                   slug: str | None = None) -> Article:
    article = Article(slug=unique_slug(content.title, slug), state=state)
    with _saving(article):
        _apply(article, content)
        if state == "published":
            article.published_at = utcnow()
        db.session.add(article)
    _add_revision(article, author, note or "Created")
    audit.record(author, "create", "article", article.id, after=content.as_record() | {"state": state})
    return article


@contextmanager
def _saving(article: Article):
    """Change inside, then flush: a concurrent save of the same article since we read it is an
    EditConflict; a slug or tag that another request created at the same moment is a SaveCollision."""
    try:
        yield
        db.session.flush()
    except StaleDataError as stale:
        db.session.rollback()
        raise EditConflict(article.id) from stale
    except IntegrityError as clash:
        db.session.rollback()
        raise SaveCollision() from clash


def revise_article(article: Article, base_version: int, content: ArticleContent, author,
                   note: str = "", major: bool = False) -> Revision | None:
    """Save a new revision; None when nothing changed. Refuses edits based on an old version.

    A `major` revision asks everyone who confirmed reading the article (onboarding) to read it again."""
    if base_version != article.version:
        raise EditConflict(article.id)
    before = ArticleContent.of(article)
    if replace(before, tags=sorted(before.tags)) == replace(content, tags=sorted(content.tags)):
        return None  # tags are a set: their order is not a change
    with _saving(article):
        _apply(article, content)
    revision = _add_revision(article, author, note or "Edited", major=major)
    changed = {k: v for k, v in content.as_record().items() if before.as_record()[k] != v}
    if major:
        changed["major"] = True
    audit.record(author, "revise", "article", article.id,
                 before={k: before.as_record()[k] for k in changed if k != "major"}, after=changed)
    return revision


def restore_revision(article: Article, number: int, base_version: int, author) -> Revision:
    old = queries.revision(article, number)
    if old is None:
        raise NotFound(f"article {article.id} has no revision {number}")
    content = ArticleContent.of(article)
    content.title, content.summary, content.body = old.title, old.summary, old.body
    revision = revise_article(article, base_version, content, author, f"Restored revision {number}")
    if revision is None:
        raise NotAllowed(_("Revision %(n)s is the same as the current text.", n=number))
    return revision


# (from state, action) -> (to state, permission needed)
TRANSITIONS = {
    ("draft", "submit"): ("review", "write_articles"),
    ("draft", "publish"): ("published", "publish_articles"),
    ("review", "publish"): ("published", "publish_articles"),
    ("review", "return"): ("draft", "write_articles"),
    ("published", "archive"): ("archived", "publish_articles"),
    ("published", "unpublish"): ("draft", "publish_articles"),
    ("archived", "reopen"): ("draft", "publish_articles"),
}


ACTIONS = {action for (_state, action) in TRANSITIONS}


def actions_for(article: Article, user) -> list[str]:
    return [action for (state, action), (_, permission) in TRANSITIONS.items()
            if state == article.state and user.can(permission)]


def change_state(article: Article, action: str, base_version: int, user) -> None:
    step = TRANSITIONS.get((article.state, action))
    if step is None:
        raise NoSuchTransition(_("This step is not possible from the article's present state (%(state)s).",
                                 state=STATE_LABELS[article.state]))
    to_state, permission = step
    if not user.can(permission):
        raise NotAllowed(_("Your role does not allow this step."))
    if base_version != article.version:
        raise EditConflict(article.id)
    before = article.state
    with _saving(article):
        article.state = to_state
        if to_state == "published":
            article.published_at = utcnow()
    audit.record(user, action, "article", article.id, before={"state": before}, after={"state": to_state})


REVIEW_INTERVAL = timedelta(days=365)


def may_confirm_review(article: Article, user) -> bool:
    return article.state == "published" and (
        user.can("publish_articles") or (user.can("write_articles") and article.owner_id == user.id))


def confirm_reviewed(article: Article, base_version: int, user, today: date) -> date:
    """The owner checked the article and it is still right: the next review is a year from today."""
    if not may_confirm_review(article, user):
        raise NotAllowed(_("Only the owner or a publisher can confirm the review of a published article."))
    if base_version != article.version:
        raise EditConflict(article.id)
    before = article.review_by
    with _saving(article):
        article.review_by = today + REVIEW_INTERVAL
    audit.record(user, "reviewed", "article", article.id,
                 before={"review_by": before.isoformat() if before else None},
                 after={"review_by": article.review_by.isoformat()})
    return article.review_by


def record_view(article: Article) -> None:
    """Count a view (written in batches, never touching the article's version: a read is not an edit)."""
    view_counts.count(article.id)


def draft_best_practice(title: str, summary: str, body: str, author, category_path: str = "Best practices",
                        tags: list[str] | None = None) -> Article:
    """A draft best-practice article (e.g. from a standardised improvement), in `category_path`, which
    is created where missing; publishers review it like any other draft."""
    from kb import categories
    category = categories.ensure_path(category_path, author)
    content = ArticleContent(title=title[:200], body=body, type="best_practice", category_id=category.id,
                             owner_id=author.id, summary=summary[:300], tags=tags or [])
    return create_article(content, author, note="Standardised from an improvement")


def find_article(reference: str, user) -> Article | None:
    """The article `reference` names for `user` (its number, its slug, or a link to it), if they may see it."""
    from kb import queries
    reference = reference.strip()
    number = re.search(r"/kb/articles/(\d+)", reference)
    if number or (reference.isascii() and reference.isdigit()):
        article_id = int(number.group(1) if number else reference)
        return queries.visible_article(article_id, user) if article_id <= 2**31 - 1 else None
    found = db.session.scalar(select(Article.id).where(Article.slug == reference[:120]))
    return queries.visible_article(found, user) if found else None
