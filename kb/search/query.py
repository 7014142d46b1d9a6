"""What staff type in the search box, turned into a Whoosh query. Never raises on odd input.

Understood: words (all must match; stemmed in English), "quoted phrases" in either language,
`title:` or `tag:` before a word or phrase, `-word` to leave out, and `word*` for a prefix. An
unbalanced quote runs to the end, brackets and control characters are dropped, a long query is
cut, and whatever cannot be understood is searched as plain words.
"""
import re
import unicodedata
from dataclasses import dataclass

from whoosh import query as q

from kb.search.text import HAS_CJK, RUNS, bigrams, cjk_words, english_term, normalise

MAX_QUERY_CHARS = 200
FIELD_BOOSTS = {"title": 4.0, "tags": 2.0, "summary": 1.5, "body": 1.0}
FIELD_NAMES = {"title": ("title",), "标题": ("title",), "tag": ("tags",), "tags": ("tags",), "标签": ("tags",)}
PART = re.compile(r'(?P<neg>-)?(?:(?P<field>[^\s:"：]+)[:：](?=\S))?(?:"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+))')
DROPPED = re.compile(r"[()\[\]{}<>^~\\]+")


@dataclass(frozen=True)
class Part:
    text: str
    phrase: bool = False
    fields: tuple[str, ...] = tuple(FIELD_BOOSTS)
    negate: bool = False
    prefix: bool = False


@dataclass
class Parsed:
    parts: list[Part]
    cut: bool = False  # the query was longer than MAX_QUERY_CHARS

    @property
    def positive(self) -> list[Part]:
        return [p for p in self.parts if not p.negate]

    @property
    def text(self) -> str:
        return " ".join(p.text for p in self.parts)


def clean(text: str) -> tuple[str, bool]:
    """Control characters out, full-width forms in, spaces collapsed; cut to MAX_QUERY_CHARS."""
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text or "")
    text = " ".join(normalise(text).split())
    return text[:MAX_QUERY_CHARS], len(text) > MAX_QUERY_CHARS


def parse(text: str, typing: bool = False) -> Parsed:
    """The parts of a query; `typing` makes the last word a prefix (search as you type)."""
    text, cut = clean(text)
    parts = []
    for match in PART.finditer(text):
        fields = FIELD_NAMES.get((match.group("field") or "").lower())
        raw = match.group("phrase") if match.group("phrase") is not None else match.group("word")
        if match.group("field") and not fields:  # "http://x" or "a:b": not a field, just text
            raw = f"{match.group('field')}:{raw}"
        raw = DROPPED.sub(" ", raw).strip()
        prefix = match.group("word") is not None and raw.endswith("*")
        raw = raw.rstrip("*").strip()
        if not RUNS.search(raw):
            continue
        parts.append(Part(raw, phrase=match.group("phrase") is not None, fields=fields or tuple(FIELD_BOOSTS),
                          negate=bool(match.group("neg")), prefix=prefix))
    if typing and parts and not parts[-1].phrase:
        parts[-1] = Part(parts[-1].text, fields=parts[-1].fields, negate=parts[-1].negate, prefix=True)
    return Parsed(parts, cut)


def _cjk_query(field: str, run: str, prefix: bool) -> q.Query:
    """A Chinese run: its exact bigram phrase (a substring match), or jieba's words anywhere."""
    if len(run) == 1:
        return q.Prefix(field, run) if prefix else q.Or([q.Term(field, run), q.Prefix(field, run)])
    exact = q.Term(field, run) if len(run) == 2 else q.Phrase(field, bigrams(run))
    words = cjk_words(run)
    if len(words) < 2:
        return exact
    return q.Or([exact, q.And([_cjk_query(field, w, False) for w in words])])


def _english_query(field: str, word: str, prefix: bool) -> q.Query:
    term = english_term(word)
    if not prefix:
        return q.Term(field, term)
    lowered = word.lower()
    return q.Or([q.Prefix(field, lowered), q.Prefix(field, term)]) if term != lowered else q.Prefix(field, term)


def _run_queries(field: str, text: str, prefix: bool) -> list[q.Query]:
    runs = list(RUNS.finditer(text))
    queries = []
    for i, run in enumerate(runs):
        last = prefix and i == len(runs) - 1
        if run.lastgroup == "cjk":
            queries.append(_cjk_query(field, run.group(), last))
        else:
            queries.append(_english_query(field, run.group(), last))
    return queries


def _phrase_query(field: str, text: str) -> q.Query:
    """Words in this order: consecutive English words as one phrase, each Chinese run exact."""
    pieces, english = [], []
    for run in RUNS.finditer(text):
        if run.lastgroup == "word":
            english.append(english_term(run.group()))
            continue
        if english:
            pieces.append(english)
            english = []
        pieces.append(run.group())
    if english:
        pieces.append(english)
    queries = []
    for piece in pieces:
        if isinstance(piece, str):
            queries.append(q.Term(field, piece) if len(piece) <= 2 else q.Phrase(field, bigrams(piece)))
        else:
            queries.append(q.Term(field, piece[0]) if len(piece) == 1 else q.Phrase(field, piece))
    return queries[0] if len(queries) == 1 else q.And(queries)


def part_query(part: Part) -> q.Query:
    """One part of the query, across its fields, each field with its boost."""
    per_field = []
    for field in part.fields:
        if part.phrase:
            sub = _phrase_query(field, part.text)
        else:
            runs = _run_queries(field, part.text, part.prefix)
            sub = runs[0] if len(runs) == 1 else q.And(runs)
        per_field.append(sub.with_boost(FIELD_BOOSTS[field]) if FIELD_BOOSTS[field] != 1 else sub)
    return per_field[0] if len(per_field) == 1 else q.Or(per_field)


def build(parsed: Parsed, match_all_words: bool = True) -> q.Query | None:
    """The query for `parsed`, or None when nothing searchable is left."""
    wanted = [part_query(p) for p in parsed.positive]
    if not wanted:
        return None
    combined = wanted[0] if len(wanted) == 1 else (q.And(wanted) if match_all_words else q.Or(wanted))
    unwanted = [part_query(p) for p in parsed.parts if p.negate]
    return q.AndNot(combined, q.Or(unwanted)) if unwanted else combined


def english_words(parsed: Parsed) -> list[str]:
    """The plain English words of the query (candidates for "did you mean")."""
    return [run.group() for p in parsed.positive if not p.phrase and not p.prefix and not HAS_CJK.search(p.text)
            for run in RUNS.finditer(p.text) if run.group().isascii() and run.group().isalpha()]
