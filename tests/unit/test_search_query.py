"""What staff type, parsed and turned into Whoosh queries, without an app or an index."""
from whoosh import query as q

from kb.search.query import MAX_QUERY_CHARS, build, clean, english_words, parse


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
    assert q.Phrase("title", ["投诉", "诉处", "处理", "理流", "流程"]) in built.subqueries


def test_the_english_words_for_did_you_mean_leave_out_phrases_prefixes_and_chinese():
    assert english_words(parse('refnud "gift card" exp* 退款')) == ["refnud"]
