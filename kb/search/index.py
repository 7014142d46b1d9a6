"""The Whoosh index: derived from the database, kept in step after every commit, rebuildable.

Each change to an article writes a `SearchPending` row in the same transaction as the change. After
the commit, whoever gets the index's write lock indexes every pending article from the database and
only then deletes those rows, so an indexing that fails (a full disk, a killed worker, a lock held
too long) leaves them for the next write or `flask search update`; nothing is ever lost, and several
gunicorn workers writing at once never overwrite each other's updates.

The live index is the folder named in `search/CURRENT`; `rebuild` builds a new folder aside and
swaps the name in one rename, and every process notices the new name on its next search.
"""
import contextlib
import hashlib
import html
import os
import re
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session, selectinload
from whoosh import index as whoosh_index
from whoosh.analysis import LowercaseFilter
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.index import LockError
from whoosh.multiproc import MpWriter
from whoosh.scoring import BM25F, BM25FScorer

from core.db import db, utcnow
from kb.models import Article
from kb.search.models import SearchPending
from kb.search.text import MixedTokenizer, WordTokenizer

INDEXED = ("title", "summary", "body", "body_html", "type", "category_id", "audience", "state",
           "language", "owner_id", "updated_at", "slug", "tags")


# How text is analysed (kb.search.text), as part of every document's fingerprint: when it changes, `search
# check` reports the whole index stale, and `search rebuild` brings it in line. 2: Traditional characters
# indexed as Simplified.
ANALYSIS = "analysis-2"


def make_schema() -> Schema:
    mixed = MixedTokenizer()
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=mixed, stored=True, field_boost=4.0, chars=True),
        tags=TEXT(analyzer=mixed, field_boost=2.0),
        summary=TEXT(analyzer=mixed, stored=True, field_boost=1.5, chars=True),
        body=TEXT(analyzer=mixed, stored=True, chars=True),
        words=TEXT(analyzer=WordTokenizer() | LowercaseFilter(), phrase=False),
        tag=KEYWORD(commas=True, lowercase=True),
        type=ID(stored=True, sortable=True),
        category=ID(stored=True, sortable=True),
        audience=ID(stored=True),
        language=ID(stored=True, sortable=True),
        state=ID(stored=True),
        owner=ID,
        slug=STORED,
        updated=DATETIME(stored=True, sortable=True),
        fingerprint=STORED,
    )


TAG_RE = re.compile(r"<[^>]+>")
BLOCK_END_RE = re.compile(r"</(p|h[1-6]|li|tr|td|th|dt|dd|div|pre|blockquote|table)>|<(br|hr)\s*/?>", re.I)


def plain_text(body_html: str) -> str:
    """The words of the rendered (sanitised) article, without markup: what snippets are cut from."""
    text = BLOCK_END_RE.sub("\n", body_html)
    text = html.unescape(TAG_RE.sub("", text))
    return re.sub(r"[ \t]*\n[\s]*", "\n", text).strip()


def document(article: Article) -> dict:
    """The index entry of an article; `fingerprint` changes whenever any indexed value does."""
    doc = {
        "id": str(article.id), "title": article.title, "summary": article.summary or "",
        "body": plain_text(article.body_html), "tags": " ".join(article.tag_names),
        "tag": ",".join(article.tag_names), "type": article.type, "category": str(article.category_id),
        "audience": article.audience, "language": article.language, "state": article.state,
        "owner": str(article.owner_id), "slug": article.slug, "updated": article.updated_at,
    }
    doc["words"] = f"{doc['title']}\n{doc['tags']}\n{doc['summary']}\n{doc['body']}"
    content = ANALYSIS + "\x1f" + "\x1f".join(str(doc[k]) for k in (
        "title", "summary", "body", "tag", "type", "category", "audience", "language", "state", "owner", "slug",
        "updated"))
    doc["fingerprint"] = hashlib.sha1(content.encode("utf-8", "surrogatepass")).hexdigest()
    return doc


# --- where the index lives -------------------------------------------------------------------

@dataclass
class SearchIndex:
    """One per app and process: the live index folder and a reused searcher, refreshed after writes."""
    root: Path
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _name: str | None = None
    _index: object = None
    _searcher: object = None
    tag_cache: dict = field(default_factory=dict)
    merging: bool = False

    @property
    def pointer(self) -> Path:
        return self.root / "CURRENT"

    def current_name(self) -> str | None:
        try:
            return self.pointer.read_text().strip() or None
        except FileNotFoundError:
            return None

    def create(self) -> str:
        """A new empty index folder; returns its name (not yet live)."""
        name = f"index-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
        (self.root / name).mkdir(parents=True)
        whoosh_index.create_in(str(self.root / name), make_schema())
        return name

    def make_live(self, name: str) -> None:
        staged = self.root / f"CURRENT.{uuid.uuid4().hex}"
        staged.write_text(name)
        os.replace(staged, self.pointer)

    def ensure(self) -> str:
        """The live index's folder name; an empty index is made the first time."""
        name = self.current_name()
        if name is None or (name != self._name and not (self.root / name).is_dir()):
            self.root.mkdir(parents=True, exist_ok=True)
            name = self.create()
            self.make_live(name)
        return name

    def open(self):
        """The live index, reopened if a rebuild swapped it (one read of the pointer file per call)."""
        name = self.ensure()
        if name != self._name or self._index is None:
            self._index, self._name = whoosh_index.open_dir(str(self.root / name)), name
            self._searcher = None
        return self._index

    def close(self) -> None:
        """Let go of the open index and searcher (gunicorn's master does, before it forks its workers)."""
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
            self._index = self._searcher = self._name = None

    def searcher(self):
        """The process's searcher, up to date with the last committed index write of any process."""
        with self._lock:
            ix = self.open()
            if self._searcher is None:
                self._searcher = ix.searcher(weighting=LengthsBM25F())
            elif not self._searcher.up_to_date():
                # a new searcher, never Whoosh's refresh(): refresh() reuses the old segment readers with
                # their old deletions, so an edited article was found twice, old text and new
                self._searcher.close()
                self._searcher = ix.searcher(weighting=LengthsBM25F())
            return self._searcher

    def remove_stale_folders(self) -> None:
        live = self.current_name()
        for folder in self.root.glob("index-*"):
            if folder.name != live:
                shutil.rmtree(folder, ignore_errors=True)


def search_index() -> SearchIndex:
    app = current_app._get_current_object()
    holder = app.extensions.get("servicebook_search")
    if holder is None:
        holder = app.extensions["servicebook_search"] = SearchIndex(Path(app.config["SEARCH_INDEX_PATH"]))
    return holder


# --- keeping it in step ------------------------------------------------------------------------

def _mark_changed_articles(session: Session, _context, _instances) -> None:
    """Before each flush: note the articles whose content changes (new ones have no id yet)."""
    changed = [obj for obj in (*session.new, *session.dirty, *session.deleted) if isinstance(obj, Article)
               and (obj in session.new or obj in session.deleted or session.is_modified(obj))]
    if changed:
        session.info.setdefault("search_objects", []).extend(changed)


def _add_pending_rows(session: Session, _context) -> None:
    """After it: their pending rows, in the same transaction as the change itself."""
    ids = {a.id for a in session.info.pop("search_objects", []) if a.id is not None}
    if ids:
        session.info["search_changed"] = True
        session.connection().execute(SearchPending.__table__.insert(),
                                     [{"article_id": i, "marked_at": utcnow()} for i in sorted(ids)])


def _index_after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released (kb.search.synonyms): the outer commit indexes
        return
    if session.info.get("search_bulk"):  # a bulk import indexes once at its end (index_bulk)
        return
    if session.info.pop("search_changed", False):
        catch_up_quietly()


@contextlib.contextmanager
def bulk(session: Session):
    """Commits in this block leave their articles pending instead of indexing each time; `index_bulk` (or any
    later commit, or `flask search update`) indexes them. For imports of thousands of articles."""
    session.info["search_bulk"] = True
    try:
        yield
    finally:
        session.info.pop("search_bulk", None)


def _forget_marks(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint rolled back: the outer transaction keeps its marks
        return
    session.info.pop("search_changed", None)
    session.info.pop("search_objects", None)


def listen(session_factory) -> None:
    """Watch the sessions `session_factory` makes (the app's scoped session); once per process."""
    if event.contains(session_factory, "after_commit", _index_after_commit):
        return
    event.listen(session_factory, "before_flush", _mark_changed_articles)
    event.listen(session_factory, "after_flush", _add_pending_rows)
    event.listen(session_factory, "after_commit", _index_after_commit)
    event.listen(session_factory, "after_rollback", _forget_marks)


def catch_up_quietly() -> None:
    """Index what is pending; a failure is logged and left pending, never raised to the user."""
    try:
        catch_up(wait=current_app.config["SEARCH_LOCK_WAIT_SECONDS"])
    except Exception:  # a full disk, a broken folder, a lock held too long: the rows stay pending
        current_app.logger.exception("search index update failed; the articles stay marked for reindexing")


def _writer(index: SearchIndex, wait: float):
    """The live index's writer, waiting up to `wait` seconds for another process's; None if it is busy."""
    deadline = time.monotonic() + wait
    while True:
        ix = index.open()
        try:
            writer = ix.writer(timeout=max(0.0, deadline - time.monotonic()), delay=0.05)
        except LockError:
            return None
        if index.current_name() == index._name:  # not swapped by a rebuild while we waited
            return writer
        writer.cancel()


def catch_up(wait: float = 5.0, batch: int = 500) -> int:
    """Index every pending article; returns how many were indexed (0 if the index is busy).

    The pending rows, the articles and the deletion are read and written in separate short
    transactions: the articles are read after the lock is held, so they are at least as new as
    the marks, and SQLite never has to turn an old read snapshot into a write."""
    index = search_index()
    done = 0
    with Session(db.engine) as session:
        while True:
            rows = session.execute(select(SearchPending.id, SearchPending.article_id)
                                   .order_by(SearchPending.id).limit(batch)).all()
            session.rollback()
            if not rows:
                return done
            writer = _writer(index, wait)
            if writer is None:
                return done
            article_ids = {r.article_id for r in rows}
            try:
                _write_documents(writer, session, article_ids)
            except BaseException:
                abandon(writer)
                raise
            session.execute(delete(SearchPending).where(SearchPending.id.in_([r.id for r in rows])))
            session.commit()
            done += len(article_ids)
            merge_in_background_if_fragmented(index)


def abandon(writer) -> None:
    """Cancel a failed write. On a full disk the cancel fails too (it closes the half-written segment
    first); the temporary files and the write lock must go all the same, or no later write could ever
    catch up (found by tests/test_full_disk.py on a real full tmpfs)."""
    try:
        writer.cancel()
    except Exception:
        for part in (writer.perdocwriter, writer.fieldwriter):  # close the segment's open files, come what may
            with contextlib.suppress(Exception):
                if not part.is_closed:
                    part.close()
        writer._finish()  # Whoosh's own last step of cancel: remove the temporary files, release the lock


def _write_documents(writer, session: Session, article_ids: set[int]) -> None:
    articles = {a.id: a for a in session.scalars(
        select(Article).where(Article.id.in_(article_ids)).options(selectinload(Article.tags)))}
    documents = [document(articles[i]) for i in article_ids if i in articles]
    session.rollback()
    session.expunge_all()
    for doc in documents:
        writer.update_document(**doc)
    for gone in article_ids - articles.keys():
        writer.delete_by_term("id", str(gone))
    writer.commit()


def pending_count() -> int:
    with Session(db.engine) as session:
        return len(session.execute(select(SearchPending.id)).all())


def all_articles(session: Session, batch: int = 500):
    """Every article, a batch at a time, so a large database is never all in memory."""
    last_id = 0
    while True:
        articles = list(session.scalars(select(Article).where(Article.id > last_id).order_by(Article.id)
                                        .limit(batch).options(selectinload(Article.tags))))
        if not articles:
            return
        yield from articles
        last_id = articles[-1].id
        session.expunge_all()


def rebuild(procs: int = 1, progress=None) -> int:
    """Index every article into a new folder, then make it live; returns the number of articles.

    The live index's write lock is held meanwhile, so no worker indexes into the old folder a
    change the new one might miss; their changes stay pending and are indexed into the new one.
    With `procs` > 1 the analysis runs in that many processes, each writing a segment of its own
    (the commands use every core; a web worker never does). `progress(n)` is called as articles are read."""
    index = search_index()
    index.ensure()
    old_writer = _writer(index, wait=60)
    if old_writer is None:
        raise LockError("the index stayed busy for a minute; try again")
    try:
        name = index.create()
        ix = whoosh_index.open_dir(str(index.root / name))
        writer = MpWriter(ix, procs=procs, batchsize=100, multisegment=True) if procs > 1 else ix.writer(limitmb=256)
        count = 0
        with Session(db.engine) as session:
            covered = session.scalars(select(SearchPending.id)).all()  # committed: their changes are read below
            session.rollback()
            for article in all_articles(session):
                writer.add_document(**document(article))
                count += 1
                if progress and count % 100 == 0:
                    progress(100)
        if progress:
            progress(count % 100)
        writer.commit(optimize=procs <= 1)
        index.make_live(name)
        with Session(db.engine) as session, session.begin():  # marked before the articles were read: done
            for start in range(0, len(covered), 500):
                session.execute(delete(SearchPending).where(SearchPending.id.in_(covered[start:start + 500])))
    finally:
        old_writer.cancel()
    index.remove_stale_folders()
    if procs > 1:  # one segment a process, and a search reads each: merged, so searching is as after optimize
        optimize()
    catch_up()  # what was marked meanwhile
    return count


def index_bulk(procs: int = 1, progress=None) -> int:
    """After a bulk import: index what is pending, by a rebuild aside (then swapped in) when that is most of
    the index, else incrementally. Returns how many articles were indexed."""
    pending = pending_count()
    if pending >= max(BULK_REBUILD_FROM, _indexed_count() // 2):
        return rebuild(procs=procs, progress=progress)
    done = catch_up(wait=60)
    if progress:
        progress(done)
    return done


BULK_REBUILD_FROM = 1000  # pending articles from which a rebuild aside is quicker than updating in place


def _indexed_count() -> int:
    return search_index().searcher().doc_count()


def merge_in_background_if_fragmented(index: SearchIndex) -> threading.Thread | None:
    """Every small update adds a segment, and a search reads every segment: past SEARCH_MERGE_ABOVE_SEGMENTS, one
    thread merges them all (holding the index's write lock; the updates waiting meanwhile stay pending and
    are indexed right after), so the index stays as fast as after `flask search optimize`."""
    app = current_app._get_current_object()
    if index.merging or segment_count() <= app.config["SEARCH_MERGE_ABOVE_SEGMENTS"]:
        return None

    def merge():
        with app.app_context():
            try:
                writer = _writer(index, wait=0)
                if writer is not None:
                    writer.commit(optimize=True)
                    catch_up()
            except Exception:
                app.logger.exception("merging the search index's segments failed; it will be tried again")
            finally:
                index.merging = False

    index.merging = True
    thread = threading.Thread(target=merge, name="search-index-merge", daemon=True)
    thread.start()
    return thread


def rebuilt_message() -> str:
    return f"Search index rebuilt: {rebuild(procs=os.cpu_count() or 1)} articles."


@dataclass
class Drift:
    missing: list[int]
    stale: list[int]
    extra: list[int]
    pending: int

    @property
    def any(self) -> bool:
        return bool(self.missing or self.stale or self.extra)


def check() -> Drift:
    """Compare the index with the database, article by article."""
    searcher = search_index().searcher()
    in_index = {int(fields["id"]): fields["fingerprint"] for fields in searcher.all_stored_fields()}
    missing, stale = [], []
    with Session(db.engine) as session:
        for article in all_articles(session):
            fingerprint = in_index.pop(article.id, None)
            if fingerprint is None:
                missing.append(article.id)
            elif fingerprint != document(article)["fingerprint"]:
                stale.append(article.id)
    return Drift(missing, stale, sorted(in_index), pending_count())


def segment_count() -> int:
    return len(search_index().open()._segments())


def optimize() -> None:
    writer = _writer(search_index(), wait=60)
    if writer is None:
        raise LockError("the index is busy; try again")
    writer.commit(optimize=True)


class LengthsBM25F(BM25F):
    """Whoosh's BM25F, reading each segment's field lengths from a list made once per segment (and field),
    instead of decoding the length column again for every posting it scores: that decoding was half the
    cost of scoring a common word."""

    def scorer(self, searcher, fieldname, text, qf=1):
        scorer = super().scorer(searcher, fieldname, text, qf)
        reader = searcher.reader()
        if isinstance(scorer, BM25FScorer) and reader.is_atomic():
            scorer.dfl = _field_lengths(reader, fieldname).__getitem__
        return scorer


_LENGTHS: dict[tuple[str, str, int], list[int]] = {}
_LENGTHS_LOCK = threading.Lock()


def _field_lengths(reader, fieldname: str) -> list[int]:
    """Every document's length in `fieldname` in this segment, read once: a segment never changes (its
    deletions do, and they do not change lengths)."""
    key = (reader.segment().segment_id(), fieldname, reader.doc_count_all())
    lengths = _LENGTHS.get(key)
    if lengths is None:
        lengths = [reader.doc_field_length(docnum, fieldname, 1) for docnum in range(reader.doc_count_all())]
        with _LENGTHS_LOCK:
            if len(_LENGTHS) > 256:
                _LENGTHS.clear()
            _LENGTHS[key] = lengths
    return lengths
