"""Every article rendered again with today's Markdown rules (`flask kb rerender`), once after the rules change.

Readers only ever see an article's newest revision rendered (`Article.body_html`); older revisions are kept
and compared as Markdown, never rendered, so re-rendering each article's newest text re-renders everything
anyone reads. The articles whose shown text changes (words an older renderer swallowed, markup it showed
as text) are listed for editors to look at and marked for the search index, whose text is the shown text.
"""
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import select

from core.db import db
from core.markdown import render
from kb.models import Article
from kb.search import changes
from kb.search.index import plain_text

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
WORD = re.compile(rf"[{HAN}]|(?:(?![{HAN}])[^\W_])+")  # a Chinese character counts as a word


@dataclass(frozen=True)
class TextChange:
    article_id: int
    title: str
    gained: int  # words readers see now and did not before
    lost: int    # words readers saw before and no longer do


def text_change(article_id: int, title: str, before_text: str, after_text: str) -> TextChange | None:
    """How the words readers see differ between two shown texts; None when they are the same words."""
    before, after = WORD.findall(before_text), WORD.findall(after_text)
    if before == after:
        return None
    gained, lost = Counter(after) - Counter(before), Counter(before) - Counter(after)
    return TextChange(article_id, title, sum(gained.values()), sum(lost.values()))


@dataclass
class Batch:
    rendered: int = 0       # articles rendered again
    html_changed: int = 0   # of which the stored HTML changed (markup or text)
    text_changed: int = 0   # of which the shown text changed (words or only spacing): marked for the index
    changes: list[TextChange] = field(default_factory=list)  # of which the words changed

    def add(self, other: "Batch") -> None:
        self.rendered, self.html_changed = self.rendered + other.rendered, self.html_changed + other.html_changed
        self.text_changed += other.text_changed
        self.changes += other.changes


def rerender(write: bool = True, size: int = 200) -> Iterator[Batch]:
    """Render every article again, `size` at a time, in id order; yields each batch once it is written.

    With `write`, an article whose HTML changed gets it (neither its version nor its update time moves:
    nobody edited it, and an editor who has it open can still save), and one whose shown text changed
    (if only in spacing) is marked for the search index. The caller commits after each batch."""
    last_id = 0
    while True:
        rows = db.session.execute(select(Article.id, Article.title, Article.body, Article.body_html)
                                  .where(Article.id > last_id).order_by(Article.id).limit(size)).all()
        if not rows:
            return
        batch = Batch(rendered=len(rows))
        for row in rows:
            html = render(row.body)
            if html == row.body_html:
                continue
            batch.html_changed += 1
            before, after = plain_text(row.body_html), plain_text(html)
            if write:
                db.session.execute(Article.__table__.update().where(Article.__table__.c.id == row.id)
                                   .values(body_html=html))
                if before != after:
                    mark_for_reindexing([row.id])
            batch.text_changed += before != after
            if change := text_change(row.id, row.title, before, after):
                batch.changes.append(change)
        db.session.flush()
        last_id = rows[-1].id
        yield batch


def mark_for_reindexing(article_ids: list[int]) -> None:
    """Log them as changed (the HTML is written past the ORM, so the session cannot see it): reindexed after
    the commit."""
    changes.mark(db.session(), article_ids)
