"""The Whoosh index of one host: derived from the database, following its change log, rebuildable.

Every change to an article writes a row to the change log (`kb.search.changes`) in the same transaction.
The index records in its folder how far it has applied the log (its position), and catches up, in one
worker of the host at a time (the index's write lock), after this host's own commits, when another host
writes (`kb.search.follow`: PostgreSQL's LISTEN, or a look every few seconds) and by `flask search update`.
An indexing that fails (a full disk, a killed worker, a lock held too long) leaves the position where it was,
so the next catch-up applies the same rows again: nothing is lost, and applying a row twice is harmless.

The live index is the folder named in `search/CURRENT`; `rebuild` builds a new folder aside and swaps the
name in one rename, and every process notices the new name on its next search. A new, empty index replays
the log from its start; one whose position the log was pruned past (a host away for longer than the
retention period) is rebuilt instead.
"""
import contextlib
import fcntl
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

import numpy as np
from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session, selectinload
from whoosh import index as whoosh_index
from whoosh.analysis import LowercaseFilter
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, Schema
from whoosh.index import LockError
from whoosh.scoring import BM25F, BM25FScorer

from core.db import db
from kb.models import Article
from kb.search import changes
from kb.search.analysed import Terms, Text, documents_analysed, for_schema
from kb.search.text import MixedTokenizer, WordTokenizer

INDEXED = ("title", "summary", "body", "body_html", "type", "category_id", "audience", "state",
           "language", "owner_id", "updated_at", "slug", "tags")


# How text is analysed (kb.search.text), as part of every document's fingerprint: when it changes, `search
# check` reports the whole index stale, and `search rebuild` brings it in line. 2: Traditional characters
# indexed as Simplified. 3: the body's terms also without positions (body_terms, what a search scores from;
# an index made before answers the same, reading the body's positional postings, only slower).
ANALYSIS = "analysis-3"


def make_schema() -> Schema:
    mixed = MixedTokenizer()
    return Schema(
        id=ID(stored=True, unique=True),
        title=Text(analyzer=mixed, stored=True, field_boost=4.0, chars=True),
        tags=Text(analyzer=mixed, field_boost=2.0),
        summary=Text(analyzer=mixed, stored=True, field_boost=1.5, chars=True),
        body=Text(analyzer=mixed, stored=True, chars=True),
        body_terms=Terms("body", mixed),
        words=Text(analyzer=WordTokenizer() | LowercaseFilter(), phrase=False),
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
    doc["body_terms"] = doc["body"]  # made from the body's analysis by analysed.for_schema
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
    merging: bool = False
    known_head: int = 0
    head_read_at: float = -1e9

    def position(self) -> int:
        """How far the live index has applied the change log: 0 when new."""
        return self.applied()[0]

    def epoch(self) -> str:
        """The change log's epoch the live index was made under ('' when new)."""
        return self.applied()[1]

    def applied(self, name: str | None = None) -> tuple[int, str]:
        """The position and epoch of the index (the live one, or folder `name`), from one read of its file."""
        folder = self.root / (name or self.current_name() or "")
        try:
            position, _, epoch = (folder / "POSITION").read_text().partition(" ")
            return int(position), epoch.strip()
        except (FileNotFoundError, NotADirectoryError, ValueError):
            return 0, ""

    def set_position(self, position: int, epoch: str, name: str | None = None) -> None:
        """Written after the index commit it describes: if the process dies between the two, the rows are
        applied again, which is harmless; never the other way round."""
        folder = self.root / (name or self._name)
        staged = folder / f"POSITION.{uuid.uuid4().hex}"
        staged.write_text(f"{position} {epoch}")
        os.replace(staged, folder / "POSITION")

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

def _index_after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released (kb.search.synonyms): the outer commit indexes
        return
    if not changes.logged(session):
        return
    if session.info.get("search_bulk"):  # a bulk import indexes once at its end (index_bulk)
        return
    catch_up_quietly()


@contextlib.contextmanager
def bulk(session: Session):
    """Commits in this block log their articles without indexing each time; `index_bulk` (or any later commit,
    the follower, or `flask search update`) indexes them. For imports of thousands of articles."""
    session.info["search_bulk"] = True
    try:
        yield
    finally:
        session.info.pop("search_bulk", None)


def listen(session_factory) -> None:
    """Watch the sessions `session_factory` makes (the app's scoped session); once per process."""
    if event.contains(session_factory, "after_commit", _index_after_commit):
        return
    changes.listen(session_factory, _index_after_commit)


AFTER_COMMIT_LIMIT = 1000  # log rows a request applies after its commit; the follower applies any more


def catch_up_quietly() -> None:
    """After a commit: apply the log (a bounded amount, never a rebuild: a request must not wait for that);
    a failure is logged and the position stays, never raised to the user."""
    try:
        catch_up(wait=current_app.config["SEARCH_LOCK_WAIT_SECONDS"], limit=AFTER_COMMIT_LIMIT, rebuild_if_behind=False)
    except Exception:  # a full disk, a broken folder, a lock held too long: the next catch-up applies the rows
        current_app.logger.exception("search index update failed; the next catch-up applies the changes")


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


def catch_up(wait: float = 5.0, batch: int = 500, limit: int | None = None, rebuild_if_behind: bool = True) -> int:
    """Apply the change log past the index's position; returns how many articles were (re)indexed (0 if the
    index is busy). At most `limit` rows when given. When the log was pruned past the position (or the index
    is new and the log no longer starts at the beginning), rebuild the index aside if `rebuild_if_behind`,
    else leave it (searches say it is stale).

    The rows, the articles and the position are read in separate short transactions; the rows and the
    position are read under the index's write lock, so two workers never apply the same stretch at once."""
    index = search_index()
    done = applied = 0
    with Session(db.engine) as session:
        while limit is None or applied < limit:
            index.ensure()
            position, made_under = index.applied()
            in_step = changes.head(session) == position and _same_history(made_under, changes.epoch(session))
            session.rollback()
            if in_step:
                break
            writer = _writer(index, wait)
            if writer is None:
                break
            try:
                position, made_under = index.applied()  # again, under the lock: another worker may have applied rows
                rows = changes.after(session, position, batch if limit is None else min(batch, limit - applied))
                pruned_past = changes.floor(session) > position  # read after the rows (see changes.floor)
                epoch, head = changes.epoch(session), changes.head(session)
                session.rollback()
                # the database was restored from a backup: a new epoch (flask restore), or a log behind the index
                other_history = not _same_history(made_under, epoch) or position > head
                if pruned_past or other_history or not rows:
                    writer.cancel()
                    if (pruned_past or other_history) and rebuild_if_behind:
                        done += rebuild(automatic=True)
                    break
                article_ids = {r.article_id for r in rows}
                _write_documents(writer, session, article_ids)
            except BaseException:
                abandon(writer)
                raise
            index.set_position(rows[-1].id, epoch)
            done += len(article_ids)
            applied += len(rows)
            merge_in_background_if_fragmented(index)
    if done:
        report_position(caught_up=True)
    return done


def _same_history(index_epoch: str, log_epoch: str) -> bool:
    """A new index (no epoch yet) or a log without one (tests empty the tables) goes with any history."""
    return not index_epoch or not log_epoch or index_epoch == log_epoch


def report_position(caught_up: bool = False, rebuilt: bool = False) -> None:
    """Tell the database where this host's index is (for `flask search status` and pruning)."""
    index = search_index()
    changes.report(current_app.config["HOST_ID"], index.position(), index.current_name() or "", caught_up, rebuilt)


def behind() -> int:
    """How many log rows the live index is known to be behind (for the X-Search-Stale header): the head is
    read at most once a second per process, so this costs a search no database query most of the time."""
    index = search_index()
    now = time.monotonic()
    if now - index.head_read_at > 1.0:
        with Session(db.engine) as session:
            index.known_head = changes.head(session)
        index.head_read_at = now
    return max(0, index.known_head - index.position())


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
        writer.update_document(**for_schema(doc, writer.schema))
    for gone in article_ids - articles.keys():
        writer.delete_by_term("id", str(gone))
    writer.commit()


def pending_count() -> int:
    """Log rows this host's index has not applied yet."""
    with Session(db.engine) as session:
        return changes.count_after(session, search_index().position())


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


def rebuild(progress=None, automatic: bool = False) -> int:
    """Index every article into a new folder, then make it live; returns the number of articles.

    Its position is the log's head read before the articles are: every change up to it is in what is read,
    and the live index's catch-up applies the rest after the swap. Searches and updates of the old folder go
    on meanwhile (what they write there is simply left behind). One rebuild at a time per host (a file lock).
    One writer makes one segment, while the articles are analysed ahead on every core (`kb.search.analysed`):
    Whoosh's writer on several processes leaves a segment a process, and merging them (in one process) cost
    more than it saved: 36 s against 22 s for the 1x corpus on 2 cores. `progress(n)` is called as articles
    are read."""
    index = search_index()
    index.ensure()
    with _rebuild_lock(index):
        name = index.create()
        memory = current_app.config["SEARCH_REBUILD_MEMORY_MB"]  # in memory up to this, not in runs on disk
        writer = whoosh_index.open_dir(str(index.root / name)).writer(limitmb=memory)
        count = 0
        try:
            with Session(db.engine) as session:
                position, epoch = changes.head(session), changes.epoch(session)
                session.rollback()
                for doc in documents_analysed((document(a) for a in all_articles(session)), writer.schema):
                    writer.add_document(**for_schema(doc, writer.schema))
                    count += 1
                    if progress and count % 100 == 0:
                        progress(100)
            if progress:
                progress(count % 100)
            writer.commit(optimize=True)
        except BaseException:
            abandon(writer)
            shutil.rmtree(index.root / name, ignore_errors=True)
            raise
        index.set_position(position, epoch, name)
        index.make_live(name)
        index.remove_stale_folders()
    report_position(caught_up=True, rebuilt=automatic)
    catch_up(rebuild_if_behind=False)  # what was logged meanwhile
    return count


@contextlib.contextmanager
def _rebuild_lock(index: SearchIndex):
    """One rebuild at a time on this host (a command and the follower may both start one)."""
    index.root.mkdir(parents=True, exist_ok=True)
    with open(index.root / "REBUILD.lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def index_bulk(progress=None, wait: float = 60, automatic: bool = False) -> int:
    """After a bulk import (here, or on another host: the follower), index what is pending, by a rebuild aside
    (then swapped in) when that is most of the index, else incrementally. Returns how many articles were
    indexed."""
    pending = pending_count()
    if pending >= max(BULK_REBUILD_FROM, _indexed_count() // 2):
        return rebuild(progress=progress, automatic=automatic)
    done = catch_up(wait=wait)
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
    """After `flask restore`: the log went back in time; a new epoch makes every other host rebuild too."""
    changes.new_epoch()
    return (f"Search index rebuilt: {rebuild()} articles. "
            "The other hosts rebuild theirs by themselves.")


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
    """Whoosh's BM25F, reading each segment's field lengths from an array made once per segment (and field),
    instead of decoding the length column again for every posting it scores: that decoding was half the
    cost of scoring a common word."""

    def scorer(self, searcher, fieldname, text, qf=1):
        scorer = super().scorer(searcher, fieldname, text, qf)
        reader = searcher.reader()
        if isinstance(scorer, BM25FScorer) and reader.is_atomic():
            scorer.dfl = field_lengths(reader, fieldname).item  # a Python float, as Whoosh's own
        return scorer


_LENGTHS: dict[tuple[str, str, int], np.ndarray] = {}
_LENGTHS_LOCK = threading.Lock()


def field_lengths(reader, fieldname: str) -> np.ndarray:
    """Every document's length in `fieldname` in this segment (floats), read once: a segment never changes (its
    deletions do, and they do not change lengths). LengthsBM25F and kb.search.arrays both score from it."""
    key = (reader.segment().segment_id(), fieldname, reader.doc_count_all())
    lengths = _LENGTHS.get(key)
    if lengths is None:
        lengths = np.array([reader.doc_field_length(docnum, fieldname, 1) for docnum in range(reader.doc_count_all())],
                           dtype=np.float64)
        with _LENGTHS_LOCK:
            if len(_LENGTHS) > 256:
                _LENGTHS.clear()
            _LENGTHS[key] = lengths
    return lengths
