"""A result's snippet, without an index: the passage that matches best, about two lines, whole words."""
import unicodedata

from whoosh.analysis import Token

from kb.search.snippets import SNIPPET_CHARS, BestPassage, opening, resolution_span


def matched(text: str, *words: str) -> list[Token]:
    found = []
    for word in words:
        start = text.find(word)
        while start != -1:
            found.append(Token(text=word, startchar=start, endchar=start + len(word)))
            start = text.find(word, start + 1)
    return sorted(found, key=lambda t: t.startchar)


def best(text: str, *words: str):
    [fragment] = BestPassage().fragment_matches(text, matched(text, *words))
    return fragment


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
    for fragment in BestPassage().fragment_matches(text, matched(text, "refund")):
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
