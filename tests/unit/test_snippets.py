"""A result's snippet, without an index: the passage that matches best, about two lines, whole words."""
import unicodedata
from types import SimpleNamespace

from kb.search.snippets import SNIPPET_CHARS, Mark, highlighted, marks, opening, passage, resolution_span


def matched(text: str, *words: str) -> list[Mark]:
    found = []
    for word in words:
        start = text.find(word)
        while start != -1:
            found.append(Mark(word.lower(), start, start + len(word)))
            start = text.find(word, start + 1)
    return sorted(found, key=lambda m: m.startchar)


def best(text: str, *words: str):
    start, end, inside = passage(text, matched(text, *words))
    return SimpleNamespace(startchar=start, endchar=end, matches=inside)


def columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def test_a_snippet_is_about_two_lines_and_cuts_no_word():
    text = ("Intro words " * 30) + "To refund a gift card, check the card status first. " + ("More words " * 30)
    fragment = best(text, "refund", "gift", "card")
    shown = text[fragment.startchar:fragment.endchar]
    assert columns(shown) <= SNIPPET_CHARS
    assert "refund" in shown and "gift" in shown
    for cut in (fragment.startchar, fragment.endchar):
        assert not (text[cut - 1].isalnum() and text[cut].isalnum()), text[cut - 5:cut + 5]


def test_chinese_characters_count_double_so_a_chinese_snippet_is_as_long_on_the_screen():
    text = "无关内容" * 40 + "客户投诉时，先倾听再道歉，然后记录工单。" + "其他内容" * 40
    fragment = best(text, "投诉", "工单")
    shown = text[fragment.startchar:fragment.endchar]
    assert columns(shown) <= SNIPPET_CHARS and len(shown) <= SNIPPET_CHARS // 2
    assert "投诉" in shown and "工单" in shown


def test_the_passage_with_more_different_words_wins():
    text = "card card card card. " + "filler " * 40 + "refund the gift card here. " + "filler " * 40
    fragment = best(text, "card", "refund", "gift")
    assert "refund the gift card" in text[fragment.startchar:fragment.endchar]


def test_a_passage_in_the_resolution_section_wins_over_an_equal_one_elsewhere():
    text = ("Issue\nThe customer wants a refund for a gift card.\n" + "filler " * 40 + "\n"
            "Resolution\nIssue the refund to the gift card balance.\n" + "filler " * 40 + "\nCause\nNone.")
    fragment = best(text, "refund", "gift")
    assert resolution_span(text)[0] <= fragment.startchar
    assert "balance" in text[fragment.startchar:fragment.endchar]


def test_a_snippet_never_cuts_through_a_matched_word():
    text = "x" * 150 + " refund " + "y" * 20
    fragment = best(text, "refund")
    for token in matched(text, "refund"):
        assert not (fragment.startchar < token.startchar < fragment.endchar < token.endchar)


def test_question_words_are_not_what_a_snippet_is_built_around():
    text = "How it works: " + "filler " * 40 + "Refund the card. " + "filler " * 40
    fragment = best(text, "How", "Refund")
    assert "Refund" in text[fragment.startchar:fragment.endchar]
    assert {text[t.startchar:t.endchar] for t in fragment.matches} == {"Refund"}


def test_where_no_word_matched_the_snippet_is_the_texts_opening_in_whole_words():
    assert opening("Short text.") == "Short text."
    shown = opening("word " * 100)
    assert shown.endswith("word …") and columns(shown) <= SNIPPET_CHARS + 2
    assert columns(opening("退款" * 200)) <= SNIPPET_CHARS + 2


def test_the_marks_of_a_page_keep_the_longest_word_at_each_start_in_text_order():
    offsets = {"进程": [(1, 1, 3), (9, 9, 11)], "子进": [(0, 0, 2)], "子进程": [(0, 0, 3)], "管理": [(3, 3, 5)]}
    assert marks(offsets) == [Mark("子进程", 0, 3), Mark("进程", 1, 3), Mark("管理", 3, 5), Mark("进程", 9, 11)]
    assert marks({"far": [(1, 40_000, 40_003)]}) == []  # past the characters a highlight looks at


def test_highlighted_html_escapes_the_text_and_marks_each_matched_word():
    text = "Refund <b>now</b> & refund the gift card."
    html = highlighted(text, matched(text, "Refund", "refund", "gift"))
    assert html == ("<mark>Refund</mark> &lt;b&gt;now&lt;/b&gt; &amp; <mark>refund</mark> the <mark>gift</mark> "
                    "card.")
    assert highlighted(text, []) == ""


def test_neighbouring_marks_meet_so_a_chinese_word_can_show_as_one():
    text = "客户投诉怎么处理"
    html = highlighted(text, [Mark("客户", 0, 2), Mark("投诉", 2, 4)])
    assert "<mark>客户</mark><mark>投诉</mark>" in html  # kb.search.run joins them into one mark
