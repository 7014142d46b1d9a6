"""Articles to and from Markdown files with a YAML front matter.

Importing the same folder twice updates articles (matched by slug), never duplicates them.
A folder with any bad file imports nothing, and every problem is reported with its file.
"""
import functools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml
from sqlalchemy import select

from accounts.auth import find_user
from core import audit
from core.db import db
from core.errors import Invalid
from kb import categories, service
from kb.models import ARTICLE_TYPES, AUDIENCES, LANGUAGES, STATES, Article

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
    slugs = Counter(service.slugify(str(i.meta.get("slug") or i.name)) for i in items)
    problems += [f"slug {s!r} is used by more than one file" for s in sorted(s for s, n in slugs.items() if n > 1)]
    if problems:
        raise ImportFailed(problems)
    return items


def _content(item: ArticleFile, actor, known: dict) -> service.ArticleContent:
    """The article a file holds; `known` keeps the categories and owners already looked up by this import."""
    meta = item.meta
    category, owner = ("category", str(meta["category"])), ("owner", str(meta["owner"]))
    if category not in known:
        known[category] = categories.ensure_path(category[1], actor).id
    if owner not in known:
        known[owner] = find_user(owner[1]).id
    return service.ArticleContent(
        title=str(meta["title"]).strip(), body=item.body, type=str(meta["type"]),
        category_id=known[category], owner_id=known[owner], summary=str(meta.get("summary") or "").strip(),
        tags=service.parse_tags(",".join(str(t) for t in meta.get("tags") or [])),
        audience=str(meta.get("audience", "staff")), language=str(meta.get("language", "en")),
        review_by=meta.get("review_by"))


def import_folder(folder: Path, actor, max_body_chars: int, batch_size: int | None = None,
                  progress: Callable[[int], None] | None = None) -> ImportReport:
    """Create or update one article per file (matched by slug). Every file is checked first: a folder with
    any bad file imports nothing. Without `batch_size` this flushes and never commits (the caller commits
    once); with it, it commits every `batch_size` files, so thousands of files never wait in one
    transaction, and an interrupted import run again goes on where it stopped, duplicating nothing.
    `progress(1)` is called after each file. Raises ImportFailed."""
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
    for number, (item, content) in enumerate(checked, 1):
        _import_one(item, content, actor, report)
        if progress:
            progress(1)
        if batch_size and number % batch_size == 0:
            db.session.commit()
    return report


def _import_one(item: ArticleFile, content: service.ArticleContent, actor, report: ImportReport) -> None:
    slug = service.slugify(str(item.meta.get("slug") or item.name))
    state = item.meta.get("state", "draft")
    article = db.session.scalar(select(Article).where(Article.slug == slug))
    if article is None:
        service.create_article(content, actor, "Imported", state=state, slug=slug)
        report.created.append(slug)
        return
    revised = service.revise_article(article, article.version, content, actor, "Imported")
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
