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

from kb.search.matchers import Adjacent
from kb.search.question_words import is_question_word
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
    exact = q.Term(field, run) if len(run) == 2 else Adjacent(field, bigrams(run))
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
            queries.append(q.Term(field, piece) if len(piece) <= 2 else Adjacent(field, bigrams(piece)))
        else:
            queries.append(q.Term(field, piece[0]) if len(piece) == 1 else Adjacent(field, piece))
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


# ---- a question, as concepts: what it is about, each with the other words that mean the same -------------

@dataclass
class Concept:
    """One thing the query is about: the words typed for it (`texts[0]`) and the terms that also find it
    (editors' synonyms, a spelling correction). `optional`: a question or function word, which need not
    match but counts where it does."""
    texts: tuple[str, ...]
    fields: tuple[str, ...] = tuple(FIELD_BOOSTS)
    phrase: bool = False
    prefix: bool = False
    optional: bool = False

    @property
    def word(self) -> str | None:
        """The plain English word typed, when the concept is one (a candidate for a spelling correction)."""
        text = self.texts[0]
        return text if not self.phrase and not self.prefix and text.isascii() and text.isalpha() else None


@dataclass
class Plan:
    concepts: list[Concept]
    unwanted: list[q.Query]

    @property
    def required(self) -> list[Concept]:
        return [c for c in self.concepts if not c.optional]


def _text_query(field: str, text: str, prefix: bool = False) -> q.Query:
    """One way of saying a concept: a word, a few words in this order, or Chinese characters in a row."""
    runs = list(RUNS.finditer(normalise(text)))
    if len(runs) == 1:
        run = runs[0]
        if run.lastgroup == "cjk":
            piece = run.group()
            if prefix and len(piece) == 1:
                return q.Prefix(field, piece)
            return q.Term(field, piece) if len(piece) <= 2 else Adjacent(field, bigrams(piece))
        return _english_query(field, run.group(), prefix)
    return _phrase_query(field, text)


def concept_query(concept: Concept) -> q.Query:
    per_field = []
    for field in concept.fields:
        if concept.phrase:
            ways = [_phrase_query(field, text) for text in concept.texts]
        else:
            ways = [_text_query(field, text, concept.prefix and n == 0) for n, text in enumerate(concept.texts)]
        sub = ways[0] if len(ways) == 1 else q.Or(ways)
        per_field.append(sub.with_boost(FIELD_BOOSTS[field]) if FIELD_BOOSTS[field] != 1 else sub)
    return per_field[0] if len(per_field) == 1 else q.Or(per_field)


def _words_of(text: str) -> list[tuple[int, int, str]]:
    """(start, end, word) in `text`: English words, and jieba's words of each Chinese run."""
    found = []
    for run in RUNS.finditer(text):
        if run.lastgroup == "word":
            found.append((run.start(), run.end(), run.group()))
            continue
        position = run.start()
        for word in cjk_words(run.group()):
            found.append((position, position + len(word), word))
            position += len(word)
    return found


def _part_concepts(part: Part, table) -> list[Concept]:
    """A typed part (not a phrase): the synonym entries found in it, then its other words one by one."""
    text = normalise(part.text).lower()
    concepts: list[tuple[int, Concept]] = []
    matches = table.matches(text) if table is not None else []
    for match in matches:
        typed = text[match.start:match.end]
        concepts.append((match.start, Concept((typed, *[t for t in match.alternatives if t.lower() != typed]),
                                              part.fields)))
    covered = [False] * len(text)
    for match in matches:
        for i in range(match.start, match.end):
            covered[i] = True
    words = _words_of(text)
    last = max((n for n, (start, end, _w) in enumerate(words) if not any(covered[start:end])), default=-1)
    for n, (start, end, word) in enumerate(words):
        if any(covered[start:end]):
            continue
        is_last_prefix = part.prefix and n == last
        optional = not is_last_prefix and (is_question_word(word) or bool(HAS_CJK.search(word) and len(word) == 1))
        concepts.append((start, Concept((word,), part.fields, prefix=is_last_prefix, optional=optional)))
    concepts.sort(key=lambda pair: pair[0])
    return [concept for _start, concept in concepts]


def _runs_of_plain_parts(parts: list[Part]) -> list[Part]:
    """Neighbouring plain parts (words typed one after the other, same fields) as one part, so that an entry
    of several words ("gift card", "first contact resolution") is found across them."""
    joined: list[Part] = []
    for part in parts:
        previous = joined[-1] if joined else None
        if (previous is not None and not part.phrase and not previous.phrase and not previous.prefix
                and part.fields == previous.fields):
            joined[-1] = Part(f"{previous.text} {part.text}", fields=part.fields, prefix=part.prefix)
        else:
            joined.append(part)
    return joined


def plan(parsed: Parsed, table=None) -> Plan:
    """The concepts of a query. A quoted phrase is one concept, matched as typed (question words and all);
    when every word is a question word, they are what is searched for."""
    concepts = []
    for part in _runs_of_plain_parts(parsed.positive):
        if part.phrase:
            concepts.append(Concept((part.text,), part.fields, phrase=True))
        else:
            concepts.extend(_part_concepts(part, table))
    if concepts and all(c.optional for c in concepts):
        concepts = [Concept(c.texts, c.fields, c.phrase, c.prefix, optional=False) for c in concepts]
    unwanted = [part_query(p) for p in parsed.parts if p.negate]
    return Plan(concepts, unwanted)
