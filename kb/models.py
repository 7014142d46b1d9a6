"""Knowledge-base records: Article, Revision, Category, Tag."""
from datetime import date, datetime

from sqlalchemy import Column, Date, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.auth import User
from core.db import Base, utcnow

ARTICLE_TYPES = ("knowledge_article", "best_practice", "service_standard", "procedure", "faq")
STATES = ("draft", "review", "published", "archived")
AUDIENCES = ("staff", "trainees", "public")
LANGUAGES = ("en", "zh")

article_tags = Table(
    "article_tags", Base.metadata,
    Column("article_id", ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Category(Base):
    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("parent_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    parent: Mapped["Category | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Category"]] = relationship(back_populates="parent", order_by="Category.name")

    @property
    def path(self) -> str:
        return f"{self.parent.path}/{self.name}" if self.parent else self.name

    @property
    def lineage(self) -> list["Category"]:
        return (self.parent.lineage if self.parent else []) + [self]


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    audience: Mapped[str] = mapped_column(String(10), default="staff")
    state: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    language: Mapped[str] = mapped_column(String(5), default="en")
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    review_by: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    view_count: Mapped[int] = mapped_column(default=0)
    reuse_count: Mapped[int] = mapped_column(default=0)
    use_count: Mapped[int] = mapped_column(default=0, server_default="0")  # views + reuses: "most used"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    published_at: Mapped[datetime | None] = mapped_column()
    last_viewed_at: Mapped[datetime | None] = mapped_column()  # set with view_count, in the same UPDATE
    last_reused_at: Mapped[datetime | None] = mapped_column()

    category: Mapped[Category] = relationship(lazy="joined")
    owner: Mapped[User] = relationship(lazy="joined")
    tags: Mapped[list[Tag]] = relationship(secondary=article_tags, order_by=Tag.name, lazy="selectin")
    revisions: Mapped[list["Revision"]] = relationship(
        back_populates="article", order_by="Revision.number", cascade="all, delete-orphan")

    # "recently updated" (the home page): without it SQLite sorts every article, bodies included
    # "most used" reads (state, use_count) in order and stops after a few rows instead of sorting them all
    __table_args__ = (Index("ix_articles_state_updated_at", "state", "updated_at"),
                      Index("ix_articles_state_use_count", "state", "use_count"))
    __mapper_args__ = {"version_id_col": version}

    @property
    def tag_names(self) -> list[str]:
        return [t.name for t in self.tags]


class Revision(Base):
    """One saved version of an article's content, kept forever."""
    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("article_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(200), default="")
    # a major change asks everyone who acknowledged the article (onboarding) to read it again
    major: Mapped[bool] = mapped_column(default=False, server_default=false())
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    article: Mapped[Article] = relationship(back_populates="revisions")
    author: Mapped[User | None] = relationship(lazy="joined")
