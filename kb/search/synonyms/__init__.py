"""Synonyms that editors keep, applied when a search runs (no index rebuild needed): the entries and how a
query finds them here; the pages in .views; candidates from the search log in .suggestions.

One entry per line, in the page's text box and in the import/export file:

    顾客 = 客户 = customer                 a group: each term finds the others
    NPS = 净推荐值 = net promoter score
    手机 -> iPhone, Android phone           one-way: the left term also finds the right ones, not back
    # a comment

A term is a word or a few words, in either language; Traditional characters match Simplified ones.
Matching is by the searched words, not by letters: "refunds" finds the entry "refund", and a Chinese
term is found inside a longer run of Chinese characters ("退钱" in "怎么退钱").
"""
import re
import threading
import time
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from core import audit
from core.db import db, utcnow
from core.errors import Conflict, Invalid, NotFound
from kb.search.models import Synonym
from kb.search.text import HAS_CJK, RUNS, english_term, normalise

MAX_TERMS = 20
MAX_TERM_CHARS = 60
MAX_ENTRIES = 5000
ONE_WAY = re.compile(r"\s*(?:->|→|=>)\s*")
EQUALS = re.compile(r"\s*[=＝]\s*")


@dataclass(frozen=True)
class Entry:
    terms: tuple[str, ...]
    one_way: bool = False

    @property
    def line(self) -> str:
        if self.one_way:
            return f"{self.terms[0]} -> {', '.join(self.terms[1:])}"
        return " = ".join(self.terms)

    @property
    def key(self) -> str:
        """The entry normalised: the same entry typed differently has the same key."""
        units = [" ".join(signature(t)) for t in self.terms]
        if self.one_way:
            return f"{units[0]}->{'|'.join(sorted(set(units[1:])))}"[:800]
        return "=".join(sorted(set(units)))[:800]


def signature(term: str) -> tuple[str, ...]:
    """What a term is made of as a search sees it: English words stemmed, Chinese runs in Simplified."""
    units = []
    for run in RUNS.finditer(normalise(term)):
        units.append(english_term(run.group()) if run.lastgroup == "word" else run.group())
    return tuple(units)


def parse_line(line: str) -> Entry | None:
    """An entry, None for a blank or comment line; Invalid says what is wrong."""
    line = " ".join(line.replace("\u3000", " ").split())
    if not line or line.startswith("#"):
        return None
    one_way = bool(ONE_WAY.search(line))
    if one_way:
        left, right = ONE_WAY.split(line, maxsplit=1)
        if ONE_WAY.search(right) or EQUALS.search(line):
            raise Invalid(_("Use either '=' for a group or one '->' for a one-way entry, not both."))
        terms = [left] + [t for t in re.split(r"\s*[,，、]\s*", right)]
    else:
        terms = EQUALS.split(line)
    terms = [t.strip() for t in terms]
    if any(not t for t in terms):
        raise Invalid(_("A term is empty: check for a doubled or trailing '=', '->' or ','."))
    too_long = [t for t in terms if len(t) > MAX_TERM_CHARS]
    if too_long:
        raise Invalid(_("A term has at most %(n)s characters: %(term)s", n=MAX_TERM_CHARS, term=too_long[0][:80]))
    unsearchable = [t for t in terms if not signature(t)]
    if unsearchable:
        raise Invalid(_("%(term)s has no letters or characters to search for.", term=unsearchable[0]))
    if len(terms) > MAX_TERMS:
        raise Invalid(_("An entry has at most %(n)s terms.", n=MAX_TERMS))
    distinct = list(dict.fromkeys(terms))
    if len({signature(t) for t in distinct}) < 2:
        raise Invalid(_("An entry needs at least two different terms, like 顾客 = 客户 or 手机 -> iPhone."))
    if one_way and signature(terms[0]) in {signature(t) for t in terms[1:]}:
        raise Invalid(_("A one-way entry's left term must not stand on its right too."))
    return Entry(tuple(distinct), one_way)


def parse_text(text: str) -> list[Entry]:
    """Every entry of a text; Invalid lists every bad line with its number, and then nothing is taken."""
    entries, problems = [], []
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        try:
            entry = parse_line(line)
        except Invalid as refusal:
            problems.append(_("Line %(n)s: %(problem)s", n=number, problem=refusal.message))
            continue
        if entry is not None:
            entries.append(entry)
    if problems:
        raise Invalid(*problems)
    return entries


# ---- the entries in the database ------------------------------------------------------------------------

def all_entries() -> list[Synonym]:
    return list(db.session.scalars(select(Synonym).order_by(Synonym.one_way, func.lower(Synonym.terms), Synonym.id)))


def find(entry_id: int) -> Synonym:
    found = db.session.get(Synonym, entry_id)
    if found is None:
        raise NotFound(_("There is no such synonym entry."))
    return found


def _same_key(key: str, but: int | None = None) -> Synonym | None:
    query = select(Synonym).where(Synonym.key == key)
    if but is not None:
        query = query.where(Synonym.id != but)
    return db.session.scalar(query)


def _as_record(entry: Entry) -> dict:
    return {"line": entry.line}


def add(entry: Entry, actor) -> Synonym:
    if _same_key(entry.key):
        raise Conflict(_("This entry is kept already: %(line)s", line=entry.line))
    if db.session.scalar(select(func.count()).select_from(Synonym)) >= MAX_ENTRIES:
        raise Invalid(_("The synonym list is full (%(n)s entries).", n=MAX_ENTRIES))
    row = Synonym(one_way=entry.one_way, terms="\n".join(entry.terms), key=entry.key,
                  created_by_id=getattr(actor, "id", None))
    db.session.add(row)
    _flush_or_conflict(entry)
    audit.record(actor, "add_synonym", "synonym", row.id, after=_as_record(entry))
    _changed()
    return row


def update(row: Synonym, entry: Entry, seen_version: int, actor) -> bool:
    """Change an entry an editor saw at `seen_version`; False when nothing changed."""
    if row.version != seen_version:
        raise Conflict(_("Someone changed this entry meanwhile; nothing of yours was saved. Check it and try again."))
    before = Entry(tuple(row.term_list), row.one_way)
    if before == entry:
        return False
    if _same_key(entry.key, but=row.id):
        raise Conflict(_("This entry is kept already: %(line)s", line=entry.line))
    row.one_way, row.terms, row.key, row.updated_at = entry.one_way, "\n".join(entry.terms), entry.key, utcnow()
    _flush_or_conflict(entry)
    audit.record(actor, "change_synonym", "synonym", row.id, before=_as_record(before), after=_as_record(entry))
    _changed()
    return True


def delete(row: Synonym, seen_version: int, actor) -> None:
    if row.version != seen_version:
        raise Conflict(_("Someone changed this entry meanwhile; nothing was deleted. Check it and try again."))
    audit.record(actor, "delete_synonym", "synonym", row.id, before=_as_record(Entry(tuple(row.term_list), row.one_way)))
    db.session.delete(row)
    _flush_or_conflict(None)
    _changed()


def _flush_or_conflict(entry: Entry | None) -> None:
    """Write now: the same entry saved at the same moment, or the row changed or deleted by another request
    since it was read, is a Conflict (409), not an error."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(_("This entry is kept already: %(line)s", line=entry.line if entry else "")) from None
    except StaleDataError:
        raise Conflict(_("Someone changed this entry meanwhile; nothing of yours was saved. Check it and try "
                         "again.")) from None


def import_text(text: str, actor) -> list[Synonym]:
    """Add every entry of the text that is not kept yet (all or nothing on a bad line); the added rows."""
    added, seen = [], set()
    for entry in parse_text(text):
        if entry.key in seen or _same_key(entry.key):
            continue
        seen.add(entry.key)
        added.append(add(entry, actor))
    return added


def export_text() -> str:
    lines = ["# Servicebook synonyms: 'a = b = c' is a group, 'a -> b, c' is one-way. Import this file to restore."]
    lines += [Entry(tuple(row.term_list), row.one_way).line for row in all_entries()]
    return "\n".join(lines) + "\n"


# ---- applying them to a query -------------------------------------------------------------------------

@dataclass
class Match:
    start: int  # character offsets in the normalised query text
    end: int
    alternatives: tuple[str, ...]  # the term as typed first, then the terms it also finds


@dataclass
class Table:
    """Every entry, ready to find in a query: English-led terms by their first stem, Chinese terms longest
    first."""
    english: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = field(default_factory=dict)
    chinese: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    @classmethod
    def of(cls, entries: list[Entry]) -> "Table":
        finds: dict[tuple[str, ...], dict[str, None]] = {}
        for entry in entries:
            sources = entry.terms[:1] if entry.one_way else entry.terms
            for source in sources:
                wanted = finds.setdefault(signature(source), {})
                for term in entry.terms:
                    wanted[term] = None
        table = cls()
        for sig, terms in finds.items():
            also = tuple(terms)
            if len(sig) == 1 and HAS_CJK.search(sig[0]):
                table.chinese.append((sig[0], also))
            else:
                table.english.setdefault(sig[0], []).append((sig, also))
        table.chinese.sort(key=lambda pair: -len(pair[0]))
        for candidates in table.english.values():
            candidates.sort(key=lambda pair: -len(pair[0]))
        return table

    def matches(self, text: str) -> list[Match]:
        """Where entries stand in `text` (a query part, normalised), longest first, never overlapping."""
        found: list[Match] = []
        taken = [False] * len(text)

        def free(start, end):
            return not any(taken[start:end])

        def claim(start, end, alternatives):
            for i in range(start, end):
                taken[i] = True
            found.append(Match(start, end, alternatives))

        runs = list(RUNS.finditer(text))
        words = [(run.start(), run.end(), english_term(run.group())) for run in runs if run.lastgroup == "word"]
        for i, (start, _end, stem) in enumerate(words):
            for sig, alternatives in self.english.get(stem, ()):
                if tuple(w[2] for w in words[i:i + len(sig)]) == sig and free(start, words[i + len(sig) - 1][1]):
                    # the words must follow each other in the text, with nothing but spaces or hyphens between
                    gap = text[start:words[i + len(sig) - 1][1]]
                    if not HAS_CJK.search(gap):
                        claim(start, words[i + len(sig) - 1][1], alternatives)
                        break
        for run in runs:
            if run.lastgroup != "cjk":
                continue
            for term, alternatives in self.chinese:
                begin = run.group().find(term)
                while begin != -1:
                    start = run.start() + begin
                    if free(start, start + len(term)):
                        claim(start, start + len(term), alternatives)
                    begin = run.group().find(term, begin + 1)
        return sorted(found, key=lambda m: m.start)


_table_lock = threading.Lock()
RECHECK_SECONDS = 2.0  # another process's or host's change applies within this long; this process's at once
_local_changes = [0]  # bumped by every change made in this process


def table() -> Table:
    """The entries as a Table, made again only when an entry was added, changed or deleted. A change made
    here counts at once; one made by another process or host is seen by a small query (a count and the
    newest change) at most every RECHECK_SECONDS."""
    held = current_app.extensions.setdefault("servicebook.synonyms",
                                             {"stamp": None, "table": Table(), "checked": 0.0, "local": -1})
    now = time.monotonic()
    if held["local"] == _local_changes[0] and now - held["checked"] < RECHECK_SECONDS:
        return held["table"]
    stamp = tuple(db.session.execute(select(func.count(), func.max(Synonym.updated_at), func.max(Synonym.id))).one())
    with _table_lock:
        if held["stamp"] != stamp:
            rows = db.session.scalars(select(Synonym)).all()
            held["table"] = Table.of([Entry(tuple(r.term_list), r.one_way) for r in rows])
            held["stamp"] = stamp
        held["checked"], held["local"] = now, _local_changes[0]
    return held["table"]


def _changed() -> None:
    """This process's next search reads the entries again (a change rolled back costs one extra read)."""
    _local_changes[0] += 1
