"""Search articles: ranked hits with highlighted snippets, facet counts, paging, "did you mean".

One searcher per process (kb.search_index), only what the user may see (a filter inside the
query), snippets cut around the matched terms' stored character offsets (pinpoint highlighting).
"""
import math
import re
import time
import weakref
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain, repeat

import numpy as np
from flask import current_app
from markupsafe import Markup, escape
from whoosh import query as q
from whoosh.searching import Results as WhooshResults
from whoosh.sorting import FieldFacet

from kb.search import arrays, priors, synonyms
from kb.search import query as search_query
from kb.search.index import search_index
from kb.search.snippets import Mark, highlighted, marks, opening

FACETS = ("type", "category", "language", "tag")
MARKED = ("body", "summary")  # the fields a snippet is cut from
SORTS = ("relevance", "date")
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
    capped: bool = False        # more pages match than `total`: they were counted up to the cap
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


def _page_offsets(searcher, terms: set, docnums: list[int]) -> dict[int, dict[tuple[str, bytes], bytes]]:
    """{docnum: {(field, term): raw postings value}} of the query's terms in MARKED (`terms`, (field, bytes) pairs)
    on each shown page, decoding only the blocks of postings that hold the shown pages."""
    found: dict[int, dict] = {docnum: {} for docnum in docnums}
    for subsearcher, offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        here = sorted(docnum - offset for docnum in docnums if offset <= docnum < offset + reader.doc_count_all())
        for term in terms:
            if term[0] in MARKED and here:
                for docnum, value in arrays.values_at(reader, *term, here).items():
                    found[docnum + offset][term] = value
    return found


def _snippet(stored: dict, body: list[Mark], summary: list[Mark]) -> Markup:
    """Around the matched words of the body (or summary); else the summary or the body's start."""
    marked = highlighted(stored.get("body") or "", body) or highlighted(stored.get("summary") or "", summary)
    if marked:
        marked = marked.replace("</mark><mark>", "")  # neighbouring Chinese bigrams show as one mark
        return Markup(LINE_BREAKS.sub(" · ", marked))  # a heading and its paragraph do not run together
    fallback = stored.get("summary") or opening(stored.get("body", ""))
    return escape(LINE_BREAKS.sub(" · ", fallback))


_MEMOS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _memo(searcher) -> dict:
    """A scratch dict that lives as long as `searcher` (facet maps, filter sets, masks): a new searcher after a
    write starts a new one."""
    return _MEMOS.setdefault(searcher, {})


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
        counts = Counter(chain.from_iterable(map(values.get, docnums, repeat(()))))  # C loops: up to the cap
        facets[name] = sorted(((k, n) for k, n in counts.items() if k), key=lambda kv: (-kv[1], kv[0]))[:20]
    return facets


def _did_you_mean(searcher, parsed: search_query.Parsed) -> str:
    """The query with each unknown English word replaced by the closest known one, or ''."""
    corrections = _corrections(searcher, search_query.english_words(parsed))
    if not corrections:
        return ""
    return " ".join(corrections.get(w, w) for w in parsed.text.split())


def search(text: str, user, filters: Filters = Filters(), page: int = 1, sort: str = "relevance",
           page_size: int = 10, category_ids: list[int] | None = None, language: str | None = None) -> Results:
    """Ranked, filtered, highlighted results; `category_ids` is the chosen category and its subtree;
    `language` is the reader's (their interface's): where both languages answer, theirs come first."""
    started = time.perf_counter()
    parsed = search_query.parse(text)
    results = Results(text=search_query.clean(text)[0], page=max(1, page), cut=parsed.cut)
    start = (results.page - 1) * page_size
    searcher, found = _find(parsed, _filter(user, filters, category_ids), sort, _reader_language(parsed, language),
                            need=start + page_size, cap=current_app.config["SEARCH_MATCH_CAP"])
    if found is None:
        results.millis = (time.perf_counter() - started) * 1000
        return results
    page_hits = found.hits(start, page_size)
    marked = found.marks(searcher, [hit.docnum for hit in page_hits])
    results.total = found.total
    results.capped = found.capped
    results.any_word = found.any_word
    results.pages = math.ceil(found.total / page_size)
    results.facets = _facets(found.docnums, searcher)
    results.hits = [Hit(id=int(h["id"]), slug=h["slug"], title=h["title"],
                        snippet=_snippet(h.fields(), marked["body"][h.docnum], marked["summary"][h.docnum]),
                        score=round(h.score or 0.0, 3), type=h["type"], language=h["language"], state=h["state"],
                        category=int(h["category"]), updated=h["updated"]) for h in page_hits]
    if results.total < 3 or results.any_word:
        results.did_you_mean = _did_you_mean(searcher, parsed)
    results.millis = (time.perf_counter() - started) * 1000
    return results


def _find(parsed: search_query.Parsed, only, sort: str, language: str, need: int, cap: int | None):
    """(the searcher, the pages found) for a parsed query within the filter `only`, the `need` best ranked and
    the matches counted up to `cap` (None: all); (None, None) when nothing can be searched for or the filter
    allows no page."""
    plan = search_query.plan(parsed, synonyms.table())
    if not plan.concepts:
        return None, None
    searcher = search_index().searcher()
    allowed = _filter_docs(searcher, only)
    if allowed is not None and not allowed:  # Whoosh would read an empty filter as no filter at all
        return None, None
    _add_spelling_corrections(searcher, plan)
    return searcher, _run(searcher, plan, allowed, sort, language, need, cap)


def _reader_language(parsed: search_query.Parsed, language: str | None) -> str:
    """A question with Chinese characters is a Chinese reader's; else the interface's language."""
    return "zh" if search_query.HAS_CJK.search(parsed.text) else (language or "en")


def _corrections(searcher, words) -> dict[str, str]:
    """{word: the closest word some article has} for the English words no article has (kept per searcher:
    Whoosh's corrector walks the whole word list)."""
    known = _memo(searcher).setdefault("corrections", {})
    corrector = None
    for word in {w.lower() for w in words if len(w) >= 4}:
        if word in known or searcher.doc_frequency("words", word):
            continue
        if len(known) > 10_000:
            known.clear()
        corrector = corrector or searcher.corrector("words")
        known[word] = next(iter(corrector.suggest(word, limit=1, maxdist=2)), "")
    return {w: known[w.lower()] for w in words if known.get(w.lower())}


def _add_spelling_corrections(searcher, plan: search_query.Plan) -> None:
    """An English word that no article has also searches for the closest word that some article has."""
    corrected = _corrections(searcher, [c.word for c in plan.required if c.word])
    for concept in plan.required:
        if concept.word and concept.word in corrected:
            concept.texts += (corrected[concept.word],)


@dataclass
class _Found:
    results: object  # Whoosh's Results, its ranking replaced by ours
    docnums: list[int]  # the pages the facets count: every match, or the first MATCH_CAP of them
    total: int
    capped: bool  # more pages match than were counted
    any_word: bool
    query: object  # what the shown hits matched (not what they must not have), for the highlighted terms
    rank: dict | None = None  # docnum -> the ranking score, when ranked by relevance

    def marks(self, searcher, docnums: list[int]) -> dict[str, dict[int, list[Mark]]]:
        """{field: {docnum: the matched words}} of the shown pages in MARKED, from their words' character offsets
        in the postings."""
        offsets = _page_offsets(searcher, _terms(self.query, searcher.reader()), docnums)
        found: dict[str, dict[int, list[Mark]]] = {}
        for name in MARKED:
            field = searcher.schema[name]
            decode = field.format.decoder("characters")
            found[name] = {docnum: marks({field.from_bytes(term): decode(value)
                                          for (fieldname, term), value in offsets[docnum].items()
                                          if fieldname == name})
                           for docnum in docnums}
        return found

    def hits(self, start: int, count: int) -> list:
        """A page of hits. On the first page, what readers said of each article (kb.search.priors) may
        reorder hits that match about as well: read for these few articles only, with their stored fields."""
        page = list(self.results[start:start + count])
        if start == 0 and self.rank and len(page) > 1:
            nudge = priors.priors_for([int(hit["id"]) for hit in page])
            page.sort(key=lambda hit: (-self.rank[hit.docnum] * nudge[int(hit["id"])], hit.docnum))
        return page


def _terms(query, reader) -> set[tuple[str, bytes]]:
    """The (field, term) pairs of `query` that the index has, prefixes expanded (Whoosh's own existing_terms
    reuses its `fieldname` argument as a loop variable and so keeps only the first field's terms)."""
    found = set()
    for leaf in query.leaves():
        for name, text in leaf.expanded_terms(reader, phrases=True):
            if name in reader.schema:
                term = (name, reader.schema[name].to_bytes(text) if isinstance(text, str) else text)
                if term in reader:
                    found.add(term)
    return found


LANGUAGE_FIRST = 1.25  # the reader's language first: on the judged set MRR@10 0.842 at 1, 0.855 at 1.25 and 1.5


# question words count a little where they match (on the judged set: weight 1 gave MRR@10 0.855, 0.1 gave
# 0.859, 0 gave 0.863 with hit@3 0.912 for both 0.1 and 0; a phrase in quotes keeps them in full)
QUESTION_WORDS_WEIGHT = 0.1
# a page with k of the n concepts scores (k/n)**2 of its BM25: on the judged set 1 gave hit@3 0.912, MRR 0.859,
# 2 gave 0.908, 0.855, 3 gave 0.896, 0.845; ranking every step apart (more concepts always first) gave 0.880,
# 0.826. 2: a page with half the concepts counts a quarter, so one with every word of the question leads.
COORDINATION = 2
RELAX_BELOW = 3  # fewer pages than this have every concept: relax (on the judged set, 1 gave hit@3 0.876, 3 gave 0.908)


def _allowed_mask(searcher, allowed) -> np.ndarray:
    """The pages a search may show, as a mask over the index's page numbers: those `allowed` (a set from
    _filter_docs), or every page that is not deleted. Made once per searcher and filter."""
    masks = _memo(searcher).setdefault("masks", {})  # {id(allowed): (allowed, mask)}
    entry = masks.get(id(allowed))
    if entry is None or entry[0] is not allowed:
        if len(masks) > 256:
            masks.clear()
        mask = np.zeros(searcher.doc_count_all(), dtype=bool)
        if allowed is None:
            mask[:] = True
            for subsearcher, offset in searcher.leaf_searchers():
                reader = subsearcher.reader()
                if reader.has_deletions():
                    deleted = [docnum for docnum in range(reader.doc_count_all()) if reader.is_deleted(docnum)]
                    mask[np.array(deleted, dtype=np.int64) + offset] = False
        elif allowed:
            mask[np.fromiter(allowed, dtype=np.int64, count=len(allowed))] = True
        entry = masks[id(allowed)] = (allowed, mask)
    return entry[1]


@dataclass
class _Scored:
    """Every page matching a query within the allowed ones (`mask`) and their BM25 scores (0 elsewhere), over
    the index's page numbers."""
    mask: np.ndarray
    score: np.ndarray | None


def _walk(query, subsearcher, size: int) -> tuple:
    """(mask, scores) of a segment's pages matching `query`, from Whoosh's matchers."""
    mask, score = np.zeros(size, dtype=bool), np.zeros(size)
    matcher = query.matcher(subsearcher, subsearcher.context(needs_current=True))
    while matcher.is_active():
        mask[matcher.id()] = True
        score[matcher.id()] = matcher.score()
        matcher.next()
    return mask, score


def _scored(searcher, query, allowed, scored: bool = True) -> _Scored:
    """The pages matching `query` within `allowed` (a set, or None: every page) and their scores, evaluated
    a term at a time over arrays (kb.search.arrays), segment by segment."""
    masks, scores = [], []
    for subsearcher, _offset in searcher.leaf_searchers():
        reader = subsearcher.reader()
        segment = arrays.Segment(searcher, reader, reader.doc_count_all())
        try:
            found = arrays.evaluate(query, segment, scored)
        except arrays.Unsupported:  # a kind of query the arrays do not know: Whoosh's matchers, page by page
            found = _walk(query, subsearcher, segment.size)
        if found is None:
            found = (np.zeros(segment.size, dtype=bool), np.zeros(segment.size) if scored else None)
        masks.append(found[0])
        scores.append(found[1])
    mask = (masks[0] if len(masks) == 1 else np.concatenate(masks)) & _allowed_mask(searcher, allowed)
    score = None
    if scored:
        score = scores[0] if len(scores) == 1 else np.concatenate(scores)
        score *= mask
    return _Scored(mask, score)


def _collect(searcher, query, allowed, cap: int | None, need: int,
             factor: np.ndarray | None) -> tuple[list[int], bool, list]:
    """(the pages matching `query` within `allowed`, in index order, at most `cap` of them; whether more match;
    the `need` best as [(rank, docnum)], best first), where a page's rank is its BM25 score times its
    `factor` (None: 1), ties to the earlier page. Every match is scored (kb.search.arrays: a term at a time, far
    cheaper per page than Whoosh's matchers), and only the best are sorted."""
    found = _scored(searcher, query, allowed, scored=bool(need))
    matches = np.flatnonzero(found.mask)
    capped = cap is not None and matches.size > cap
    counted = (matches[:cap] if capped else matches).tolist()
    if not need:
        return counted, capped, []
    ranks = found.score[matches] if factor is None else found.score[matches] * factor[matches]
    if matches.size > need:  # the `need` best, and every page tied with the weakest of them
        weakest = np.partition(ranks, matches.size - need)[matches.size - need]
        near = ranks >= weakest
        matches, ranks = matches[near], ranks[near]
    order = np.lexsort((matches, -ranks))[:need]
    best = [(float(ranks[i]), int(matches[i])) for i in order]
    return counted, capped, best


def _run(searcher, plan: search_query.Plan, allowed, sort: str, language: str, need: int,
         cap: int | None) -> _Found:
    """The pages that have every concept of the question; when fewer than RELAX_BELOW do, also the pages
    with the most of them, or one fewer (a minimum-should-match that relaxes step by step; a page with none
    of them is never shown). Ranked by BM25 (title, tags and summary counting more) times the coordination
    factor (the share of the concepts a page has, squared), the reader's language first. Question words
    add a little to BM25 and never bring a page in by themselves.

    Bounded work: the matches are counted up to `cap` (the total and the facets), and only the `need` best
    are ranked in full (page 1 needs 10)."""
    required = [search_query.concept_query(c) for c in plan.required]
    optional = [search_query.concept_query(c).with_boost(QUESTION_WORDS_WEIGHT) for c in plan.concepts if c.optional]

    def wanted(concepts):  # (the query, its terms that are shown marked)
        query = q.AndMaybe(concepts, q.Or(optional)) if optional else concepts
        return (q.AndNot(query, q.Or(plan.unwanted)) if plan.unwanted else query), query

    in_language = _language_factor(searcher, language)

    strict, shown = wanted(required[0] if len(required) == 1 else q.And(required))
    by_date = sort == "date"
    counted, capped, kept = _collect(searcher, strict, allowed, cap, 0 if by_date else need, in_language)
    if len(counted) >= RELAX_BELOW or len(required) == 1:
        if by_date:
            found = searcher.search(strict, filter=allowed, limit=need, sortedby=FieldFacet("updated", reverse=True))
            return _Found(found, counted, len(counted), capped, False, shown)
        found = WhooshResults(searcher, strict, kept)
        return _Found(found, counted, len(counted), capped, False, shown, {docnum: r for r, docnum in kept})
    relaxed, shown = wanted(q.Or(required))
    return _relaxed(searcher, plan, required, q.Or(optional) if optional else None, relaxed, shown, allowed, by_date,
                    in_language, cap)


def _language_factor(searcher, language: str) -> np.ndarray:
    """LANGUAGE_FIRST for the pages in `language`, 1 for the others, over the index's page numbers."""
    factors = _memo(searcher).setdefault("languages", {})
    if language not in factors:
        factor = np.ones(searcher.doc_count_all())
        pages = [docnum for docnum, values in _values_by_doc(searcher, "language").items() if language in values]
        factor[np.array(pages, dtype=np.int64)] = LANGUAGE_FIRST
        factors[language] = factor
    return factors[language]


def _relaxed(searcher, plan: search_query.Plan, required: list, optional, query, shown, allowed, by_date: bool,
             in_language: np.ndarray, cap: int | None) -> _Found:
    """The best `cap` pages (by BM25) that have any of the `required` concepts, of them those with the most
    concepts or one fewer, ranked by BM25 times the coordination factor, the reader's language first (or
    newest first). Each concept is matched once; a page's score is the sum of its concepts' and of the
    question words' (`optional`), as Whoosh's Or and AndMaybe add them; `query` is all of that, for the
    highlights and the date order."""
    size = searcher.doc_count_all()
    scores = np.zeros(size)
    level = np.zeros(size, dtype=np.int64)
    for concept in required:
        found = _scored(searcher, concept, allowed)
        scores += found.score
        level += found.mask
    if plan.unwanted:
        level[_scored(searcher, q.Or(plan.unwanted), allowed, scored=False).mask] = 0
    if optional is not None:
        scores += _scored(searcher, optional, allowed).score * (level > 0)
    matches = np.flatnonzero(level)
    matches = matches[np.lexsort((matches, -scores[matches]))]
    capped = cap is not None and matches.size > cap
    matches = matches[:cap] if capped else matches
    best = int(level[matches].max()) if matches.size else 0
    matches = matches[level[matches] >= max(1, best - 1)]
    docnums = matches.tolist()
    any_word = 0 < best < len(required)
    if by_date:
        found = searcher.search(query, filter=set(docnums), limit=None, sortedby=FieldFacet("updated", reverse=True))
        return _Found(found, docnums, len(docnums), capped, any_word, shown)
    ranks = scores[matches] * (level[matches] / best) ** COORDINATION * in_language[matches]
    rank = dict(zip(docnums, ranks.tolist()))
    order = np.lexsort((matches, -ranks))
    kept = [(rank[docnum], docnum) for docnum in matches[order].tolist()]
    return _Found(WhooshResults(searcher, query, kept), docnums, len(docnums), capped, any_word, shown, rank)


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
    _counted, _capped, best = _collect(searcher, query, allowed, 0, limit, None)  # nothing counted
    found = [searcher.stored_fields(docnum) for _rank, docnum in best]
    return [{"id": int(f["id"]), "title": f["title"], "slug": f["slug"]} for f in found]


def matching_ids(text: str, user, filters: Filters = Filters()) -> set[int]:
    """Every article id the query finds for `user` (all of the results' pages; for checks and benchmarks)."""
    searcher, found = _find(search_query.parse(text), _filter(user, filters, None), "relevance", "en", need=1, cap=None)
    if found is None:
        return set()
    return {int(searcher.stored_fields(docnum)["id"]) for docnum in found.docnums}
