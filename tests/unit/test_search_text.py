"""Text analysis for the index and the queries, without an app: English stems, Chinese bigrams and
jieba's words with character offsets, full-width forms."""
from kb.search.text import CJK_POSITION_BASE, MixedTokenizer, WordTokenizer, bigrams, english_term, normalise


def tokens(text: str) -> list[tuple[str, int, int, int]]:
    return [(t.text, t.startchar, t.endchar, t.pos) for t in MixedTokenizer()(text, positions=True, chars=True)]


def test_english_words_are_lower_cased_and_stemmed():
    assert english_term("Connections") == english_term("connecting") == "connect"


def test_a_possessive_is_the_word_itself():
    assert english_term("program's") == english_term("program’s") == english_term("program")


def test_a_chinese_run_becomes_its_overlapping_character_pairs():
    assert bigrams("投诉处理") == ["投诉", "诉处", "处理"]
    assert bigrams("退") == ["退"]


def test_chinese_terms_carry_their_character_offsets_so_highlights_land_on_the_characters():
    found = tokens("请问投诉处理")
    assert ("投诉", 2, 4, CJK_POSITION_BASE + 2) in found
    assert ("处理", 4, 6, CJK_POSITION_BASE + 4) in found


def test_jieba_words_of_three_characters_or_more_are_added_to_the_bigrams():
    found = [text for text, *_ in tokens("信用卡账单")]
    assert "信用卡" in found and "信用" in found and "卡账" in found


def test_english_words_keep_counting_positions_apart_from_chinese_ones():
    found = tokens("Refund 退款 card")
    assert found[0] == ("refund", 0, 6, 0)
    assert found[-1] == ("card", 10, 14, 1)


def test_full_width_letters_are_searched_as_usual_ones_with_the_same_offsets():
    assert normalise("ｐｒｉｎｔ") == "print"
    assert tokens("ｐｒｉｎｔ") == [("print", 0, 5, 0)]


def test_the_did_you_mean_vocabulary_is_unstemmed_words_of_three_letters_or_more():
    assert [t.text for t in WordTokenizer()("An Refunds x of ab", positions=True)] == ["refunds"]


def test_traditional_characters_are_indexed_and_searched_as_simplified_ones_in_the_same_places():
    assert normalise("帳戶退貨發票") == "账户退货发票"
    assert tokens("退貨")[0] == ("退货", 0, 2, CJK_POSITION_BASE)


def test_simplified_text_is_left_as_it_is():
    assert normalise("账户 退货 password") == "账户 退货 password"
