"""How the search walks the index (kb.search.matchers, kb.search.run._collect), on a real Whoosh index of the
project's schema in memory, held against Whoosh's own answers: the phrase matcher finds exactly the pages
and scores Whoosh's Phrase finds, and the one-pass collector (counting up to a cap, then skipping blocks that
cannot reach the best) returns exactly the best pages a full sort of every match returns."""
import random

import numpy as np
import pytest
from whoosh import query as q
from whoosh.filedb.filestore import RamStorage

from kb.search import index as search_index
from kb.search import query as search_query
from kb.search.analysed import for_schema
from kb.search.matchers import Adjacent, positions_decoder
from kb.search.run import LANGUAGE_FIRST, MARKED, _collect, _page_offsets, _scored, _terms
from kb.search.text import bigrams

ENGLISH = ("refund gift card customer charge twice process file system mode owner permission read write "
           "descriptor return value error signal thread set user group option time zone locale").split()
CHINESE = ["客户", "投诉", "处理", "退款", "礼品卡", "文件系统", "进程", "子进程", "中文版", "最新更新", "数据库", "命令",
           "哈哈哈", "账户", "订单", "服务", "态度"]


def _text(rng: random.Random, words: int) -> str:
    parts = []
    for _ in range(words):
        parts.append(rng.choice(CHINESE) if rng.random() < 0.4 else rng.choice(ENGLISH))
        if rng.random() < 0.3:
            parts.append("，" if parts[-1] in CHINESE else ".")
    return "".join(p if p in CHINESE or p in "，." else f" {p} " for p in parts)


def _index(schema):
    """1,600 pages of mixed text in two segments (one page in ten deleted), so postings span many blocks."""
    rng = random.Random(13)
    ix = RamStorage().create_index(schema)
    for segment in range(2):
        writer = ix.writer()
        for n in range(800):
            number = segment * 800 + n
            body = _text(rng, 120)
            writer.add_document(**for_schema(dict(
                id=str(number), title=_text(rng, 4), summary=_text(rng, 8), body=body, body_terms=body,
                tags=rng.choice(ENGLISH), language=rng.choice(["en", "zh"]), state="published"), ix.schema))
        writer.commit(merge=False)
    writer = ix.writer()
    for number in range(0, 1600, 10):
        writer.delete_by_term("id", str(number))
    writer.commit(merge=False)
    return ix


@pytest.fixture(scope="module")
def searcher():
    with _index(search_index.make_schema()).searcher() as opened:
        assert len(opened.leaf_searchers()) == 2
        yield opened


def _phrases() -> list[list[str]]:
    chinese = [bigrams(w) for w in CHINESE if len(w) > 2] + [bigrams("处理客户投诉"), bigrams("退款订单"),
                                                                bigrams("哈哈哈哈"), bigrams("服务态度客户")]
    english = [["refund", "gift"], ["gift", "card"], ["file", "system", "mode"], ["read", "write"], ["user", "user"]]
    return chinese + english + [["没有", "这个"], ["refund", "nowhere"]]


@pytest.mark.parametrize("field", ["body", "title"])
def test_adjacent_finds_exactly_the_pages_and_scores_of_whooshs_phrase(searcher, field):
    checked = 0
    for words in _phrases():
        words = [search_index.make_schema()[field].process_text(w, mode="query").__next__() if w.isascii() else w
                 for w in words]
        theirs = {hit.docnum: hit.score for hit in searcher.search(q.Phrase(field, words), limit=None)}
        ours = {hit.docnum: hit.score for hit in searcher.search(Adjacent(field, words), limit=None)}
        assert ours == pytest.approx(theirs) and ours.keys() == theirs.keys(), words
        checked += bool(theirs)
    assert checked >= 8  # most phrases are there: the comparison is not between two empty answers


def test_adjacent_keeps_to_the_phrase_when_the_best_of_them_are_collected(searcher):
    """Whoosh's collector skips blocks of postings by their best possible score; a phrase must still be
    checked on the page it lands on (Whoosh's own span matcher does not check it there)."""
    for words in _phrases()[:12]:
        every = {hit.docnum for hit in searcher.search(Adjacent("body", words), limit=None)}
        for limit in (1, 3, 10):
            best = searcher.search(Adjacent("body", words).with_boost(2.0), limit=limit, optimize=True)
            assert {hit.docnum for hit in best} <= every


QUESTIONS = ["refund", "gift card", "file system", "客户投诉", "处理", "文件系统", "read write error", "中文版 命令",
             "user group", "signal thread time", "退款 订单"]


def _query(text: str):
    plan = search_query.plan(search_query.parse(text), None)
    concepts = [search_query.concept_query(c) for c in plan.required]
    return concepts[0] if len(concepts) == 1 else q.And(concepts)


def _by_hand(searcher, query, allowed, factor) -> list[tuple[float, int]]:
    """Every match scored by Whoosh, ranked by score times factor, ties to the earlier page."""
    every = searcher.search(query, limit=None)
    return sorted(((hit.score * factor(hit.docnum), hit.docnum) for hit in every
                   if allowed is None or hit.docnum in allowed), key=lambda pair: (-pair[0], pair[1]))


@pytest.mark.parametrize("cap", [None, 7, 40])
@pytest.mark.parametrize("need", [1, 10, 30])
def test_collect_counts_to_the_cap_and_returns_the_best_a_full_sort_returns(searcher, cap, need):
    languages = {n: searcher.stored_fields(n)["language"] for n in range(searcher.doc_count_all())
                 if not searcher.reader().is_deleted(n)}

    def favoured(docnum: int) -> float:
        return LANGUAGE_FIRST if languages.get(docnum) == "zh" else 1

    factor = np.array([favoured(n) for n in range(searcher.doc_count_all())])

    allowed = {n for n in languages if n % 3}
    compared = past_the_cap = 0
    for text in QUESTIONS:
        query = _query(text)
        for only in (None, allowed):
            expected = _by_hand(searcher, query, only, favoured)
            counted, capped, best = _collect(searcher, query, only, cap, need, factor)
            in_order = sorted(docnum for _rank, docnum in expected)
            assert counted == (in_order if cap is None else in_order[:cap])
            assert capped == (cap is not None and len(expected) > cap)
            assert [docnum for _rank, docnum in best] == [docnum for _rank, docnum in expected[:need]], text
            assert [rank for rank, _docnum in best] == pytest.approx([rank for rank, _ in expected[:need]])
            compared += len(expected) > need
            past_the_cap += capped
    assert compared >= 6  # most questions match more pages than are kept: the ranking is tested
    assert past_the_cap >= 6 if cap is not None and cap <= 40 else past_the_cap == 0


def test_collect_with_nothing_to_rank_stops_at_the_cap(searcher):
    counted, capped, best = _collect(searcher, _query("refund"), None, 5, 0, None)
    assert len(counted) == 5 and capped and best == []


@pytest.mark.parametrize("text", QUESTIONS)
def test_the_shown_pages_offsets_are_those_a_walk_along_the_postings_finds(searcher, text):
    """The snippets' matched words come from the postings values of the shown pages, read by decoding only
    the blocks that hold them (arrays.values_at); a plain walk along every posting finds the same values."""
    query = _query(text)
    _counted, _capped, best = _collect(searcher, query, None, 40, 10, None)
    docnums = [docnum for _rank, docnum in best]
    terms = {term for term in _terms(query, searcher.reader()) if term[0] in MARKED}
    found = _page_offsets(searcher, terms, docnums)
    expected = {docnum: {} for docnum in docnums}
    for fieldname, term in terms:
        postings = searcher.postings(fieldname, term)
        while postings.is_active():
            if postings.id() in expected:
                expected[postings.id()][(fieldname, term)] = postings.value()
            postings.next()
    assert found == expected
    assert sum(len(values) for values in found.values()) > 0  # words were found: not two empty answers


def _whoosh(searcher, query) -> dict[int, float]:
    """Every match and its score from Whoosh's matchers, as the search walked them before the arrays (with
    `needs_current`: unions as trees; Whoosh's own search would score a prefix's union as a constant)."""
    found = {}
    for subsearcher, offset in searcher.leaf_searchers():
        matcher = query.matcher(subsearcher, subsearcher.context(needs_current=True))
        while matcher.is_active():
            found[matcher.id() + offset] = matcher.score()
            matcher.next()
    return found


def _arrays(searcher, query) -> dict[int, float]:
    found = _scored(searcher, query, None)
    return {int(docnum): float(found.score[docnum]) for docnum in np.flatnonzero(found.mask)}


SHAPES = {
    "optional words": lambda: q.AndMaybe(_query("refund"), q.Or([_query("customer"), _query("客户")]).with_boost(0.1)),
    "unwanted words": lambda: q.AndNot(_query("file system"), q.Or([_query("error"), _query("处理")])),
    "both": lambda: q.AndNot(q.AndMaybe(_query("文件系统"), _query("read").with_boost(0.1)), _query("signal")),
    "prefixes": lambda: q.Or([q.Prefix("body", "re"), q.Prefix("title", "子").with_boost(4.0), q.Prefix("body", "zz")]),
    "a one-part compound ignores its boost": lambda: q.Or([q.Term("body", "refund")], boost=3.0),
    "a boosted phrase": lambda: Adjacent("summary", bigrams("客户投诉"), boost=1.5),
    "nothing": lambda: q.And([q.Term("body", "nowhere"), q.Term("body", "refund")]),
    "Whoosh's own phrase (walked by Whoosh's matchers)": lambda: q.Phrase("body", ["gift", "card"]),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_arrays_match_the_pages_and_scores_whooshs_matchers_do(searcher, shape):
    """kb.search.arrays evaluates a query a term at a time; for every kind of node a search builds (Or, And,
    AndMaybe, AndNot, boosts, prefixes, phrases) it finds exactly the pages Whoosh finds, with its scores,
    over two segments with deleted pages; a kind it does not know is walked with Whoosh's matchers."""
    query = SHAPES[shape]()
    theirs, ours = _whoosh(searcher, query), _arrays(searcher, query)
    assert ours.keys() == theirs.keys()
    assert ours == pytest.approx(theirs, rel=1e-12)
    assert bool(theirs) == (shape != "nothing")


@pytest.mark.parametrize("fieldname", ["body", "title", "tags"])
def test_the_positions_decoder_reads_what_whooshs_does(searcher, fieldname):
    reader = searcher.reader()
    field = searcher.schema[fieldname]
    decode = positions_decoder(field.format)
    checked = 0
    for term in list(reader.lexicon(fieldname))[:40]:
        postings = reader.postings(fieldname, term)
        while postings.is_active():
            value = postings.value()
            assert list(decode(value)) == field.format.decode_positions(value)
            checked += 1
            postings.next()
    assert checked > 40


def test_an_index_made_before_the_bodys_terms_field_finds_the_same_with_the_same_scores(searcher):
    """An index made before body_terms (a host not yet rebuilt) is searched through the body's own postings."""
    schema = search_index.make_schema()
    schema.remove("body_terms")
    with _index(schema).searcher() as older:
        for text in QUESTIONS:
            assert _arrays(older, _query(text)) == _arrays(searcher, _query(text)), text
