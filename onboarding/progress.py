"""How far people are along their learning paths: per article, confirmed (the acknowledgement counts), read
again (confirmed before a major revision) or not started, and the article's knowledge check if it has one.
A path is complete when every published article in it is confirmed and every check passed; overdue when
its due date has passed and it is not complete.

Reads only, and a fixed number of queries however many people and articles: never one per cell.
"""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from core.db import db
from kb.models import Article
from onboarding import checks, reading
from onboarding.models import Acknowledgement, Assignment, LearningPath, PathItem

CONFIRMED, READ_AGAIN, NOT_STARTED = "confirmed", "read_again", "not_started"


@dataclass
class ItemProgress:
    article: Article
    state: str  # CONFIRMED, READ_AGAIN or NOT_STARTED
    acknowledgement: Acknowledgement | None  # the newest one, counting or not
    has_check: bool = False
    check_passed: bool = False

    @property
    def complete(self) -> bool:
        return self.state == CONFIRMED and (self.check_passed or not self.has_check)


@dataclass
class PathProgress:
    assignment: Assignment
    items: list[ItemProgress]  # in the path's order
    today: date
    next_item: ItemProgress | None = field(init=False)

    def __post_init__(self):
        self.next_item = next((i for i in self.to_do_first if not i.complete), None)

    @property
    def done(self) -> int:
        return sum(1 for i in self.items if i.complete)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def complete(self) -> bool:
        return bool(self.items) and self.done == self.total

    @property
    def overdue(self) -> bool:
        return self.assignment.due_on < self.today and not self.complete

    @property
    def to_do_first(self) -> list[ItemProgress]:
        """The items as the trainee sees them: those to read again first, then the path's order."""
        return ([i for i in self.items if i.state == READ_AGAIN]
                + [i for i in self.items if i.state != READ_AGAIN])


def published_items(path_ids: list[int]) -> dict[int, list[PathItem]]:
    """path id -> its items whose article is published, in order (one query). An article archived or
    taken back to draft after it was added stays in the path but is not asked for."""
    found: dict[int, list[PathItem]] = {path_id: [] for path_id in path_ids}
    if path_ids:
        query = (select(PathItem).join(Article, PathItem.article_id == Article.id)
                 .where(PathItem.path_id.in_(path_ids), Article.state == "published")
                 .order_by(PathItem.path_id, PathItem.position))
        for item in db.session.scalars(query).unique():
            found[item.path_id].append(item)
    return found


def progress_of(assignments: list[Assignment], today: date) -> list[PathProgress]:
    """The progress of each assignment, in the order given (six queries in all)."""
    items = published_items(list({a.path_id for a in assignments}))
    article_ids = list({i.article_id for path_items in items.values() for i in path_items})
    user_ids = list({a.user_id for a in assignments})
    majors = reading.newest_major(article_ids)
    acks = reading.latest_acknowledgements(user_ids, article_ids)
    with_checks = checks.articles_with_checks(article_ids)
    passed = checks.passed(user_ids, article_ids) if with_checks else set()
    result = []
    for assignment in assignments:
        cells = []
        for item in items[assignment.path_id]:
            ack = acks.get((assignment.user_id, item.article_id))
            state = (CONFIRMED if reading.counts(ack, majors.get(item.article_id))
                     else READ_AGAIN if ack else NOT_STARTED)
            cells.append(ItemProgress(item.article, state, ack, item.article_id in with_checks,
                                      (assignment.user_id, item.article_id) in passed))
        result.append(PathProgress(assignment, cells, today))
    return result


def progress(assignment: Assignment, today: date) -> PathProgress:
    return progress_of([assignment], today)[0]


@dataclass
class Matrix:
    """People (rows: one assignment each, by user name) x the path's published articles (columns)."""
    path: LearningPath
    articles: list[Article]
    rows: list[PathProgress]

    @property
    def complete(self) -> int:
        return sum(1 for r in self.rows if r.complete)

    @property
    def overdue(self) -> int:
        return sum(1 for r in self.rows if r.overdue)


def matrix(path: LearningPath, today: date) -> Matrix:
    assignments = list(db.session.scalars(select(Assignment).where(Assignment.path_id == path.id)).unique())
    assignments.sort(key=lambda a: a.user.username)
    articles = [item.article for item in published_items([path.id])[path.id]]
    return Matrix(path, articles, progress_of(assignments, today))
