"""Articles to and from Markdown files with a YAML front matter.

Importing the same folder twice updates articles (matched by slug), never duplicates them.
A folder with any bad file imports nothing, and every problem is reported with its file.

Speed (thousands of files): new articles are written a window at a time with multi-row inserts, their Markdown
rendered ahead in worker processes. Rows inserted so pass by the session's flush listeners, so a new article whose
creation other packages listen for (ANNOUNCED_STATES) still goes through kb.service, one at a time; and
tests/kb/test_import_speed.py compares every table after an import both ways.
"""
import contextlib
import functools
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path

import yaml
from sqlalchemy import insert, select

from accounts.auth import find_user
from core import audit, workers
from core.audit import AuditEvent
from core.db import db, utcnow
from core.errors import Invalid
from core.markdown import render
from kb import categories, service
from kb.models import ARTICLE_TYPES, AUDIENCES, LANGUAGES, STATES, Article, Revision, Tag, article_tags
from kb.search import changes

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's, where PyYAML was built with it
KEYS = ("title", "slug", "type", "category", "tags", "audience", "state", "owner", "language",
        "review_by", "summary")
REQUIRED = ("title", "type", "category", "owner")


class ImportFailed(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


@dataclass
class ArticleFile:
    name: str
    meta: dict
    body: str


def split_front_matter(text: str) -> tuple[dict, str]:
    """('---\\nkey: value\\n---\\nbody') -> ({'key': 'value'}, 'body'); ValueError says what is wrong."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    if not text.startswith("---\n"):
        raise ValueError("does not start with a '---' front matter line")
    end = text.find("\n---", 3)
    if end == -1:
        raise ValueError("the front matter has no closing '---' line")
    try:
        meta = yaml.load(text[4:end + 1], Loader=SAFE_LOADER)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark else ""
        raise ValueError(f"the front matter is not valid YAML{where}: {getattr(error, 'problem', error)}") from None
    if not isinstance(meta, dict):
        raise ValueError("the front matter is not a list of 'key: value' lines")
    body = text[end + 4:].split("\n", 1)[1] if "\n" in text[end + 4:] else ""
    return meta, body.lstrip("\n")


def _file_problems(item: ArticleFile, max_body_chars: int, find_user=find_user) -> list[str]:
    meta = item.meta
    found = [f"unknown key {k!r}" for k in meta if k not in KEYS]
    found += [f"missing {k!r}" for k in REQUIRED if not meta.get(k)]
    if meta.get("state", "draft") not in STATES:
        found.append(f"unknown state {meta.get('state')!r}; use one of {', '.join(STATES)}")
    for key, allowed in (("type", ARTICLE_TYPES), ("audience", AUDIENCES), ("language", LANGUAGES)):
        if meta.get(key) is not None and meta[key] not in allowed:
            found.append(f"unknown {key} {meta[key]!r}; use one of {', '.join(allowed)}")
    if meta.get("owner") and not find_user(str(meta["owner"])):
        found.append(f"owner {meta['owner']!r} is not a user (create it with 'flask users create')")
    if meta.get("review_by") is not None and not isinstance(meta["review_by"], date):
        found.append("review_by is not a date like 2027-05-31")
    if not isinstance(meta.get("tags", []), list):
        found.append("tags is not a list like [complaints, escalation]")
    if len(item.body) > max_body_chars:
        found.append(f"the body has {len(item.body):,} characters; the limit is {max_body_chars:,}")
    elif not item.body.strip():
        found.append("the body is empty")
    for key in ("title", "summary", "slug"):
        if meta.get(key) is not None and not isinstance(meta[key], (str, int, float)):
            found.append(f"{key} is not text")
    if len(str(meta.get("title", ""))) > 200:
        found.append("the title is longer than 200 characters")
    if not found and len(str(meta.get("summary", ""))) > 300:
        found.append("the summary is longer than 300 characters")
    return found


def read_folder(folder: Path, max_body_chars: int) -> list[ArticleFile]:
    """Every *.md file in `folder`, parsed and checked; ImportFailed lists all problems."""
    if not folder.is_dir():
        raise ImportFailed([f"{folder}: not a folder"])
    items, problems = [], []
    users = functools.cache(find_user)  # one look-up per owner, not per file
    for path in sorted(folder.rglob("*.md")):
        name = path.relative_to(folder).as_posix()
        try:
            if path.stat().st_size > max_body_chars * 4 + 65536:
                raise ValueError(f"the file is {path.stat().st_size:,} bytes, too large for an article")
            text = path.read_text(encoding="utf-8")
            if "\x00" in text:
                raise ValueError("contains a NUL character; it is not a text file")
            meta, body = split_front_matter(text)
        except UnicodeDecodeError:
            problems.append(f"{name}: not UTF-8 text")
            continue
        except ValueError as error:
            problems.append(f"{name}: {error}")
            continue
        item = ArticleFile(path.stem, meta, body)
        problems += [f"{name}: {p}" for p in _file_problems(item, max_body_chars, users)]
        items.append(item)
    slugs = Counter(_slug(i) for i in items)
    problems += [f"slug {s!r} is used by more than one file" for s in sorted(s for s, n in slugs.items() if n > 1)]
    if problems:
        raise ImportFailed(problems)
    return items


def _content(item: ArticleFile, actor, known: dict) -> service.ArticleContent:
    """The article a file holds; `known` keeps the categories (held, they stay in the session, and service.problems
    finds each without a query) and the owners' ids already looked up by this import."""
    meta = item.meta
    category, owner = ("category", str(meta["category"])), ("owner", str(meta["owner"]))
    if category not in known:
        known[category] = categories.ensure_path(category[1], actor)
    if owner not in known:
        known[owner] = find_user(owner[1]).id
    return service.ArticleContent(
        title=str(meta["title"]).strip(), body=item.body, type=str(meta["type"]),
        category_id=known[category].id, owner_id=known[owner], summary=str(meta.get("summary") or "").strip(),
        tags=service.parse_tags(",".join(str(t) for t in meta.get("tags") or [])),
        audience=str(meta.get("audience", "staff")), language=str(meta.get("language", "en")),
        review_by=meta.get("review_by"))


def import_folder(folder: Path, actor, max_body_chars: int, batch_size: int | None = None,
                  progress: Callable[[int], None] | None = None, procs: int | None = None) -> ImportReport:
    """Create or update one article per file (matched by slug). Every file is checked first: a folder with
    any bad file imports nothing. Without `batch_size` this flushes and never commits (the caller commits
    once); with it, it commits every `batch_size` files, so thousands of files never wait in one
    transaction, and an interrupted import run again goes on where it stopped, duplicating nothing.
    `progress(1)` is called after each file. New articles are written a window at a time in multi-row inserts,
    their Markdown rendered ahead in `procs` worker processes (default: one per core; in this process with one
    core); those in ANNOUNCED_STATES go through kb.service one at a time, for its flush listeners. Raises
    ImportFailed."""
    items = read_folder(folder, max_body_chars)
    checked, problems, known = [], [], {}
    for item in items:
        try:
            content = _content(item, actor, known)
        except Invalid as error:  # a category path the tree refuses
            problems.append(f"{item.name}.md: {error}")
            continue
        problems += [f"{item.name}.md: {p}" for p in service.problems(content, max_body_chars)]
        checked.append((item, content))
    if problems:
        raise ImportFailed(problems)
    report = ImportReport()
    windows = [checked[start:start + WINDOW] for start in range(0, len(checked), WINDOW)]
    made: set[str] = set()
    number = 0
    with render_pool(procs) as pool:
        ahead = _Window.prepare(windows[0], actor, made, pool) if windows else None
        for position, files in enumerate(windows):
            window = ahead
            ahead = _Window.prepare(windows[position + 1], actor, made, pool) if position + 1 < len(windows) else None
            for item, content in files:
                number += 1
                _import_one(item, content, actor, report, window)
                if progress:
                    progress(1)
                if batch_size and number % batch_size == 0:
                    window.write()
                    db.session.commit()
            window.write()
    return report


WINDOW = 500  # files looked up in one query and rendered ahead together (one window ahead of the writing)
RENDER_CHUNK = 20  # bodies per task sent to a worker: fewer round trips, still spread over the workers
# New articles in these states are created through kb.service, one at a time, never inserted in bulk: their creation
# is an event that listeners on the session's flush act on (notify tells the publishers an article was "submitted for
# review"; kb must not import notify, so the state is named here). Another package listening for the creation of
# articles in another state adds it here; the equivalence test fails until it does.
ANNOUNCED_STATES = frozenset({"review"})


def _slug(item: ArticleFile) -> str:
    return service.slugify(str(item.meta.get("slug") or item.name))


def _state(item: ArticleFile) -> str:
    return item.meta.get("state", "draft")


def _announced(item: ArticleFile) -> bool:
    """Its creation is an event others listen for: created through kb.service, never in bulk."""
    return _state(item) in ANNOUNCED_STATES


@dataclass
class _Window:
    """Files written one after another: which of their slugs exist (one query), the HTML of the others (rendered
    ahead in the pool while the window before is written), and the new articles waiting to be written together."""
    actor: object
    made: set[str]  # slugs this import created by service.create_article (shared by every window)
    existing: set[str]
    rendering: dict[str, tuple[Future, int]]
    new: list[tuple[str, str, service.ArticleContent, str]] = field(default_factory=list)

    @classmethod
    def prepare(cls, files: list, actor, made: set[str], pool: ProcessPoolExecutor | None) -> "_Window":
        slugs = [_slug(item) for item, _content in files]
        existing = set(db.session.scalars(select(Article.slug).where(Article.slug.in_(slugs))))
        rendering = {}
        if pool is not None:
            fresh = [(slug, content.body) for slug, (item, content) in zip(slugs, files)
                     if slug not in existing and service.slugify(slug) == slug and not _announced(item)]
            with contextlib.suppress(BrokenProcessPool):  # a worker died: `html` renders the rest here
                for start in range(0, len(fresh), RENDER_CHUNK):
                    chunk = fresh[start:start + RENDER_CHUNK]
                    future = pool.submit(render_all, [body for _slug, body in chunk])
                    rendering.update((slug, (future, n)) for n, (slug, _body) in enumerate(chunk))
        return cls(actor, made, existing, rendering)

    def is_new(self, slug: str) -> bool:
        """No article has this slug, so service.create_article would use it as it is (unique_slug keeps a free
        slug that slugify leaves unchanged)."""
        return slug not in self.existing and slug not in self.made and service.slugify(slug) == slug

    def html(self, slug: str, body: str) -> str:
        if slug in self.rendering:
            future, number = self.rendering.pop(slug)
            with contextlib.suppress(BrokenProcessPool):  # a worker killed (out of memory...): rendered here
                return future.result()[number]
        return render(body)

    def write(self) -> None:
        """The new articles waiting, with the rows service.create_article writes for each (the article, its tags,
        revision 1, the audit entry, and the search log at commit), in a few multi-row inserts instead of three
        flushes and four queries per article (SQLite cannot return the ids of a multi-row insert to the ORM, so
        the articles are inserted as rows and their ids read back by slug)."""
        if not self.new:
            return
        names = list(dict.fromkeys(name for _slug, _state, content, _html in self.new for name in content.tags))
        tags = _tag_ids(names)
        # render_nulls: a row without a publication time or review date keeps the columns (as NULL), so every row
        # has the same keys and all go in one statement (the ORM would start a new one at each change of keys)
        rows = [_article_row(*new) for new in self.new]
        db.session.execute(insert(Article).execution_options(render_nulls=True), rows)
        slugs = [slug for slug, _state, _content, _html in self.new]
        ids = dict(db.session.execute(select(Article.slug, Article.id).where(Article.slug.in_(slugs))).all())
        pairs = [{"article_id": ids[slug], "tag_id": tags[name]}
                 for slug, _state, content, _html in self.new for name in content.tags]
        if pairs:
            db.session.execute(insert(article_tags), pairs)
        author_id = getattr(self.actor, "id", None)
        db.session.execute(insert(Revision), [
            {"article_id": ids[slug], "number": 1, "title": content.title, "summary": content.summary,
             "body": content.body, "note": IMPORTED, "author_id": author_id, "major": False}
            for slug, _state, content, _html in self.new])
        db.session.execute(insert(AuditEvent), [
            {"actor_id": author_id, "action": "create", "entity_type": "article", "entity_id": ids[slug],
             "before": None, "after": content.as_record() | {"state": state}}
            for slug, state, content, _html in self.new])
        changes.mark(db.session, ids.values())  # inserted as rows, not by a flush: logged by hand
        self.new.clear()


IMPORTED = "Imported"  # the note of every revision an import makes


def _tag_ids(names: list[str]) -> dict[str, int]:
    """The id of each tag named, the missing ones created (in the order named, as service.tags_named does)."""
    ids = dict(db.session.execute(select(Tag.name, Tag.id).where(Tag.name.in_(names))).all()) if names else {}
    missing = [name for name in names if name not in ids]
    if missing:
        db.session.execute(insert(Tag), [{"name": name} for name in missing])
        ids.update(db.session.execute(select(Tag.name, Tag.id).where(Tag.name.in_(missing))).all())
    return ids


def _article_row(slug: str, state: str, content: service.ArticleContent, html: str) -> dict:
    """The article service.create_article makes of `content` (kb/service.py `_apply`), its HTML given, as a row
    (every row with the same keys: one multi-row insert, in file order)."""
    row = {f.name: getattr(content, f.name) for f in fields(content) if f.name != "tags"}
    row.update(slug=slug, state=state, body_html=html, updated_at=utcnow())
    row["published_at"] = utcnow() if state == "published" else None
    return row


def render_all(bodies: list[str]) -> list[str]:
    """A worker's task: the HTML of each body, as core.markdown.render gives it in any process."""
    return [render(body) for body in bodies]


def render_pool(procs: int | None = None):
    """Worker processes that render Markdown while this one writes to the database (rendering is a fifth of an
    import's time in this process), or None with one core (then each body is rendered here)."""
    return workers.pool(procs)


def _import_one(item: ArticleFile, content: service.ArticleContent, actor, report: ImportReport,
                window: _Window) -> None:
    """One file: a new article waits in `window` to be written with the others; an existing one, or a new one in
    an announced state (ANNOUNCED_STATES), goes through kb.service at once (after the new ones before it, so the
    rows come in file order)."""
    slug = _slug(item)
    state = _state(item)
    if not _announced(item) and window.is_new(slug):
        window.new.append((slug, state, content, window.html(slug, content.body)))
        report.created.append(slug)
        return
    window.write()
    article = db.session.scalar(select(Article).where(Article.slug == slug))
    if article is None:  # new: in an announced state, or a slug slugify would change again (unique_slug decides)
        window.made.add(service.create_article(content, actor, IMPORTED, state=state, slug=slug).slug)
        report.created.append(slug)
        return
    revised = service.revise_article(article, article.version, content, actor, IMPORTED)
    moved = article.state != state
    if moved:
        audit.record(actor, "import", "article", article.id, before={"state": article.state}, after={"state": state})
        article.state = state
        db.session.flush()
    (report.updated if revised or moved else report.unchanged).append(slug)


def to_file_text(article: Article) -> str:
    meta = {
        "title": article.title, "slug": article.slug, "type": article.type,
        "category": article.category.path, "tags": article.tag_names, "audience": article.audience,
        "state": article.state, "owner": article.owner.username, "language": article.language,
        "review_by": article.review_by, "summary": article.summary,
    }
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, default_flow_style=None, width=1000)
    return f"---\n{front}---\n\n{article.body}"


def export_folder(folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    articles = list(db.session.scalars(select(Article).order_by(Article.slug)))
    for article in articles:
        (folder / f"{article.slug}.md").write_text(to_file_text(article), encoding="utf-8")
    return len(articles)
