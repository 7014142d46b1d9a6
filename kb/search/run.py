"""Search articles: ranked hits with highlighted snippets, facet counts, paging, "did you mean".

One searcher per process (kb.search_index), only what the user may see (a filter inside the
query), snippets cut around the matched terms' stored character offsets (pinpoint highlighting).
"""
import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup, escape
from whoosh import highlight
from whoosh import query as q
from whoosh.sorting import FieldFacet

from kb.search import query as search_query
from kb.search.index import search_index

FACETS = ("type", "category", "language", "tag")
SORTS = ("relevance", "date")
SNIPPET_CHARS = 220
LINE_BREAKS = re.compile(r"\s*\n\s*")


@dataclass(frozen=True)
class Filters:
    type: str = ""
    category: int | None = None
    tag: str = ""
    lang: str = ""

    def as_args(self) -> dict:
        return {k: v for k, v in (("type", self.type), ("category", self.category), ("tag", self.tag),
                                  ("lang", self.lang)) if v not in ("", None)}

    def describe(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.as_args().items())[:300]


@dataclass
class Hit:
    id: int
    slug: str
    title: str
    snippet: Markup
    score: float
    type: str
    language: str
    state: str
    category: int
    updated: datetime


@dataclass
class Results:
    text: str
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    page: int = 1
    pages: int = 0
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    did_you_mean: str = ""
    any_word: bool = False      # no page had every word: these have some of them
    cut: bool = False           # the query was too long and was cut
    millis: float = 0.0


def visible_to(user) -> q.Query | None:
    """The index-side twin of kb.queries.visibility: drafts never reach staff or visitors."""
    if user.can("see_unpublished"):
        return None
    published = q.Term("state", "published")
    return published if user.is_authenticated else q.And([published, q.Term("audience", "public")])


def _filter(user, filters: Filters, category_ids: list[int] | None) -> q.Query | None:
    terms = [t for t in (visible_to(user),) if t is not None]
    if filters.type:
        terms.append(q.Term("type", filters.type))
    if filters.lang:
        terms.append(q.Term("language", filters.lang))
    if filters.tag:
        terms.append(q.Term("tag", filters.tag.lower()))
    if category_ids:
        terms.append(q.Or([q.Term("category", str(c)) for c in category_ids]))
    return q.And(terms) if len(terms) > 1 else (terms[0] if terms else None)


class PageHighlighter(highlight.Highlighter):
    """Whoosh's pinpoint highlighter, reading the stored character offsets of the shown page's hits only
    (Whoosh reads them for every match, thousands of them for a common word)."""

    @staticmethod
    def _load_chars(results, fieldname, texts, to_bytes):
        results._char_cache[fieldname] = cache = {}
        docnums = sorted(getattr(results, "page_docnums", None) or (d for _, d in results.top_n))
        for docnum in docnums:
            cache[docnum] = {}
        text_of = {to_bytes(text): text for text in texts}
        wanted: dict[bytes, list[int]] = {}
        for docnum in docnums:
            for name, btext in results.docterms.get(docnum, ()):
                if name == fieldname and btext in text_of:
                    wanted.setdefault(btext, []).append(docnum)
        for btext, docs in wanted.items():
            postings = results.searcher.postings(fieldname, btext)
            for docnum in sorted(docs):
                postings.skip_to(docnum)
                cache[docnum][text_of[btext]] = postings.value_as("characters")


_highlighter = PageHighlighter(
    fragmenter=highlight.PinpointFragmenter(maxchars=SNIPPET_CHARS, surround=60),
    formatter=highlight.HtmlFormatter(tagname="mark", between=" … "),
    scorer=highlight.BasicFragmentScorer())


def _highlight(hit, fieldname: str, top: int = 2) -> str:
    text = hit.get(fieldname) or ""
    if not text:
        return ""
    marked = _highlighter.highlight_hit(hit, fieldname, text=text, top=top)
    return marked.replace("</mark><mark>", "")  # neighbouring Chinese bigrams show as one mark


def _snippet(hit) -> Markup:
    """Around the matched words of the body (or summary); else the summary or the body's start."""
    marked = _highlight(hit, "body") or _highlight(hit, "summary", top=1)
    if marked:
        return Markup(LINE_BREAKS.sub(" · ", marked))  # a heading and its paragraph do not run together
    fallback = hit.get("summary") or hit.get("body", "")[:SNIPPET_CHARS]
    return escape(LINE_BREAKS.sub(" · ", fallback))


def _memo(searcher) -> dict:
    """A scratch dict that lives as long as `searcher` (facet maps, filter sets): rebuilt after a write."""
    cache = search_index().tag_cache
    if cache.get("searcher") is not searcher:
        cache.clear()
        cache["searcher"] = searcher
    return cache


def _values_by_doc(searcher, field: str) -> dict[int, list[str]]:
    """docnum -> the field's values, read once per searcher from the postings."""
    memo = _memo(searcher)
    if field not in memo:
        values: dict[int, list[str]] = {}
        reader = searcher.reader()
        if field in reader.indexed_field_names():
            for term in reader.field_terms(field):
                for docnum in reader.postings(field, term).all_ids():
                    values.setdefault(docnum, []).append(term)
        memo[field] = values
    return memo[field]


def _filter_docs(searcher, only):
    """The documents a filter allows, as a set made once per searcher (visibility is the same for many)."""
    if only is None:
        return None
    sets = _memo(searcher).setdefault("filters", {})
    key = repr(only)
    if key not in sets:
        if len(sets) > 256:
            sets.clear()
        reader = searcher.reader()  # the postings still list replaced documents until a merge
        sets[key] = {docnum for docnum in searcher.docs_for_query(only) if not reader.is_deleted(docnum)}
    return sets[key]


def _facets(docnums: list[int], searcher) -> dict[str, list[tuple[str, int]]]:
    facets = {}
    for name in FACETS:
        values = _values_by_doc(searcher, name)
        counts = Counter(value for docnum in docnums for value in values.get(docnum, ()))
        facets[name] = sorted(((k, n) for k, n in counts.items() if k), key=lambda kv: (-kv[1], kv[0]))[:20]
    return facets


def _did_you_mean(searcher, parsed: search_query.Parsed) -> str:
    """The query with each unknown English word replaced by the closest known one, or ''."""
    corrections = {}
    corrector = None
    for word in search_query.english_words(parsed):
        lowered = word.lower()
        if searcher.doc_frequency("words", lowered):
            continue
        corrector = corrector or searcher.corrector("words")
        suggestions = corrector.suggest(lowered, limit=1, maxdist=2)
        if suggestions:
            corrections[word] = suggestions[0]
    if not corrections:
        return ""
    return " ".join(corrections.get(w, w) for w in parsed.text.split())


def search(text: str, user, filters: Filters = Filters(), page: int = 1, sort: str = "relevance",
           page_size: int = 10, category_ids: list[int] | None = None) -> Results:
    """Ranked, filtered, highlighted results; `category_ids` is the chosen category and its subtree."""
    started = time.perf_counter()
    parsed = search_query.parse(text)
    results = Results(text=search_query.clean(text)[0], page=max(1, page), cut=parsed.cut)
    query = search_query.build(parsed)
    if query is None:
        results.millis = (time.perf_counter() - started) * 1000
        return results
    searcher = search_index().searcher()
    only = _filter(user, filters, category_ids)
    found = _run(searcher, query, only, results.page, sort, page_size)
    if found.total == 0 and len(parsed.positive) > 1:
        found = _run(searcher, search_query.build(parsed, match_all_words=False), only, results.page, sort, page_size)
        results.any_word = found.total > 0
    page_hits = found.page_hits
    results.total = found.total
    results.pages = math.ceil(found.total / page_size)
    results.facets = _facets(found.docnums, searcher)
    results.hits = [Hit(id=int(h["id"]), slug=h["slug"], title=h["title"],
                        snippet=_snippet(h), score=round(h.score or 0.0, 3), type=h["type"],
                        language=h["language"], state=h["state"], category=int(h["category"]),
                        updated=h["updated"]) for h in page_hits]
    if results.total < 3:
        results.did_you_mean = _did_you_mean(searcher, parsed)
    results.millis = (time.perf_counter() - started) * 1000
    return results


@dataclass
class _Found:
    docnums: list[int]
    page_hits: list
    total: int


def _run(searcher, query, only, page: int, sort: str, page_size: int) -> _Found:
    """Every match is ranked (the facets count them all); only the page's hits are highlighted."""
    sortedby = FieldFacet("updated", reverse=True) if sort == "date" else None
    allowed = _filter_docs(searcher, only)
    if allowed is not None and not allowed:  # Whoosh would read an empty filter as no filter at all
        return _Found([], [], 0)
    found = searcher.search(query, filter=allowed, limit=None, terms=True, sortedby=sortedby)
    start = (page - 1) * page_size
    page_hits = list(found[start:start + page_size])
    found.page_docnums = {hit.docnum for hit in page_hits}
    return _Found([docnum for _, docnum in found.top_n], page_hits, len(found))


def suggest_titles(text: str, user, limit: int = 8) -> list[dict]:
    """Titles for the search box while the user types: the last word counts as a prefix."""
    parsed = search_query.parse(text, typing=True)
    titles_only = search_query.Parsed([search_query.Part(p.text, p.phrase, ("title",), p.negate, p.prefix)
                                       for p in parsed.parts])
    query = search_query.build(titles_only)
    if query is None:
        return []
    searcher = search_index().searcher()
    allowed = _filter_docs(searcher, visible_to(user))
    if allowed is not None and not allowed:
        return []
    hits = searcher.search(query, filter=allowed, limit=limit)
    return [{"id": int(h["id"]), "title": h["title"], "slug": h["slug"]} for h in hits]


def matching_ids(text: str, user, filters: Filters = Filters()) -> set[int]:
    """Every article id the query finds for `user`, unranked (for checks and benchmarks)."""
    query = search_query.build(search_query.parse(text))
    if query is None:
        return set()
    searcher = search_index().searcher()
    allowed = _filter_docs(searcher, _filter(user, filters, None))
    if allowed is not None and not allowed:
        return set()
    hits = searcher.search(query, filter=allowed, limit=None)
    return {int(hit["id"]) for hit in hits}
