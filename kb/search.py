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
from whoosh import highlight, query as q
from whoosh.sorting import Count, FieldFacet

from kb import search_query
from kb.search_index import search_index

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


_highlighter = highlight.Highlighter(
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


def _tag_counts(searcher, docnums) -> Counter:
    """Tags of the matching documents, from a docnum -> tags map made once per searcher."""
    cache = search_index().tag_cache
    if cache.get("searcher") is not searcher:
        tags_of: dict[int, list[str]] = {}
        reader = searcher.reader()
        for tag in reader.field_terms("tag") if "tag" in reader.indexed_field_names() else ():
            for docnum in reader.postings("tag", tag).all_ids():
                tags_of.setdefault(docnum, []).append(tag)
        cache.clear()
        cache.update(searcher=searcher, tags_of=tags_of)
    tags_of = cache["tags_of"]
    return Counter(tag for docnum in docnums for tag in tags_of.get(docnum, ()))


def _facets(results, searcher) -> dict[str, list[tuple[str, int]]]:
    docnums = [d for docs in results.groups("type").values() for d in docs]
    facets = {"type": Counter({k: len(v) for k, v in results.groups("type").items()})}
    for name in ("category", "language"):
        facets[name] = Counter(results.groups(name))
    facets["tag"] = _tag_counts(searcher, docnums)
    return {name: sorted(((k, n) for k, n in counts.items() if k), key=lambda kv: (-kv[1], kv[0]))[:20]
            for name, counts in facets.items()}


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
    results.facets = _facets(found.results, searcher)
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
    results: object
    page_hits: list
    total: int


def _run(searcher, query, only, page: int, sort: str, page_size: int) -> _Found:
    groups = {"type": FieldFacet("type"), "category": FieldFacet("category", maptype=Count),
              "language": FieldFacet("language", maptype=Count)}
    sortedby = FieldFacet("updated", reverse=True) if sort == "date" else None
    found = searcher.search(query, filter=only, limit=page * page_size, terms=True, groupedby=groups,
                            sortedby=sortedby)
    start = (page - 1) * page_size
    return _Found(found, list(found[start:start + page_size]), len(found))


def suggest_titles(text: str, user, limit: int = 8) -> list[dict]:
    """Titles for the search box while the user types: the last word counts as a prefix."""
    parsed = search_query.parse(text, typing=True)
    titles_only = search_query.Parsed([search_query.Part(p.text, p.phrase, ("title",), p.negate, p.prefix)
                                       for p in parsed.parts])
    query = search_query.build(titles_only)
    if query is None:
        return []
    searcher = search_index().searcher()
    hits = searcher.search(query, filter=visible_to(user), limit=limit)
    return [{"id": int(h["id"]), "title": h["title"], "slug": h["slug"]} for h in hits]


def matching_ids(text: str, user, filters: Filters = Filters()) -> set[int]:
    """Every article id the query finds for `user`, unranked (for checks and benchmarks)."""
    query = search_query.build(search_query.parse(text))
    if query is None:
        return set()
    hits = search_index().searcher().search(query, filter=_filter(user, filters, None), limit=None)
    return {int(hit["id"]) for hit in hits}
