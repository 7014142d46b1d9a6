"""What staff type, parsed and turned into Whoosh queries, without an app or an index."""
from whoosh import query as q

from kb.search.matchers import Adjacent
from kb.search.query import MAX_QUERY_CHARS, build, clean, english_words, parse, plan
from kb.search.synonyms import Table, parse_text


def test_words_phrases_fields_exclusions_and_prefixes_are_understood():
    parsed = parse('refund "gift card" title:policy -voucher exp*')
    assert [(p.text, p.phrase, p.fields, p.negate, p.prefix) for p in parsed.parts] == [
        ("refund", False, ("title", "tags", "summary", "body"), False, False),
        ("gift card", True, ("title", "tags", "summary", "body"), False, False),
        ("policy", False, ("title",), False, False),
        ("voucher", False, ("title", "tags", "summary", "body"), True, False),
        ("exp", False, ("title", "tags", "summary", "body"), False, True),
    ]


def test_chinese_field_names_work_too():
    assert parse("标签：投诉").parts[0].fields == ("tags",)


def test_a_colon_that_names_no_field_is_plain_text():
    assert parse("http://example").parts[0].text == "http://example"


def test_an_unbalanced_quote_runs_to_the_end():
    assert parse('"gift card').parts[0].phrase is True


def test_brackets_and_control_characters_are_dropped_and_a_long_query_is_cut():
    assert parse("a(b)\x00[c]").text == "a b c"
    text, cut = clean("x" * (MAX_QUERY_CHARS + 5))
    assert len(text) == MAX_QUERY_CHARS and cut


def test_typing_makes_the_last_word_a_prefix():
    assert parse("gift ca", typing=True).parts[-1].prefix is True


def test_nothing_searchable_builds_no_query():
    assert build(parse("()  -- ** ")) is None
    assert build(parse("-voucher")) is None


def test_every_word_must_match_unless_asked_otherwise():
    assert isinstance(build(parse("refund card")), q.And)
    assert isinstance(build(parse("refund card"), match_all_words=False), q.Or)


def test_an_excluded_word_wraps_the_query_in_and_not():
    assert isinstance(build(parse("refund -voucher")), q.AndNot)


def test_a_chinese_run_matches_as_its_bigram_phrase_or_as_jiebas_words():
    built = build(parse("title:投诉处理流程"))
    assert isinstance(built, q.Or)
    assert Adjacent("title", ["投诉", "诉处", "处理", "理流", "流程"]) in built.subqueries


def test_the_english_words_for_did_you_mean_leave_out_phrases_prefixes_and_chinese():
    assert english_words(parse('refnud "gift card" exp* 退款')) == ["refnud"]


# ---- questions as concepts ---------------------------------------------------------------------------

def concepts(text: str, table=None) -> list[tuple[str, bool]]:
    return [(c.texts[0], c.optional) for c in plan(parse(text), table).concepts]


def test_question_words_need_not_match_in_english():
    assert concepts("how do I refund a gift card") == [
        ("how", True), ("do", True), ("i", True), ("refund", False), ("a", True), ("gift", False), ("card", False)]


def test_a_chinese_question_is_cut_into_words_and_its_question_words_need_not_match():
    assert concepts("客户投诉怎么处理") == [("客户", False), ("投诉", False), ("怎么", True), ("处理", False)]


def test_traditional_characters_are_planned_as_simplified_ones():
    assert concepts("退貨怎麼辦") == [("退货", False), ("怎么办", True)]


def test_a_query_of_question_words_only_searches_for_them():
    assert concepts("how do I") == [("how", False), ("do", False), ("i", False)]


def test_a_quoted_phrase_keeps_its_question_words():
    assert concepts('"how do I" reset') == [("how do I", False), ("reset", False)]


def test_an_editors_entry_is_found_across_words_and_brings_its_other_terms():
    table = Table.of(parse_text("gift card = 礼品卡\n顾客 = 客户 = customer\n手机 -> iPhone"))
    found = plan(parse("refund a Gift Cards"), table).concepts
    assert [c.texts for c in found if not c.optional] == [("refund",), ("gift cards", "gift card", "礼品卡")]
    assert [c.texts for c in plan(parse("顾客投诉"), table).concepts] == [("顾客", "客户", "customer"), ("投诉",)]


def test_a_one_way_entry_finds_its_right_side_but_not_back():
    table = Table.of(parse_text("手机 -> iPhone"))
    assert plan(parse("手机"), table).concepts[0].texts == ("手机", "iPhone")
    assert plan(parse("iphone"), table).concepts[0].texts == ("iphone",)


def test_a_negated_word_is_left_out_of_the_concepts():
    planned = plan(parse("refund -voucher"))
    assert [c.texts for c in planned.concepts] == [("refund",)] and len(planned.unwanted) == 1
