"""HTML typed into an article: allowed tags that pair up stay markup, every other tag shows as typed."""
import re
from html.parser import HTMLParser

import pytest

from core.markdown import TAGS, render, rendering

# every element the sanitiser drops, with its content or without (html5 elements and obsolete ones)
DROPPED = sorted({
    "script", "style", "textarea", "title", "iframe", "xmp", "noembed", "noframes", "plaintext", "noscript",
    "template", "svg", "math", "select", "option", "object", "embed", "form", "input", "button", "video",
    "audio", "source", "details", "summary", "head", "body", "html", "meta", "link", "base", "frameset", "frame",
    "u", "font", "center", "marquee", "label", "fieldset", "legend", "caption", "colgroup", "col", "main",
    "section", "article", "nav", "header", "footer", "aside", "figure", "figcaption", "mark", "q", "cite",
    "small", "time", "dialog", "canvas", "picture", "slot", "applet", "image", "isindex", "listing", "wbr",
} - TAGS)


BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "pre", "blockquote",
          "table", "thead", "tbody", "tfoot", "tr", "th", "td", "br", "hr"}


class Reader(HTMLParser):
    """What a reader sees: the text, a space between blocks, and the elements it sits in."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.text.append(" " if tag in BLOCKS else "")

    def handle_endtag(self, tag):
        self.text.append(" " if tag in BLOCKS else "")

    def handle_data(self, data):
        self.text.append(data)


def read(html: str) -> tuple[str, list[str]]:
    reader = Reader()
    reader.feed(html)
    reader.close()
    return " ".join("".join(reader.text).split()), reader.tags


def test_the_issue_example_keeps_every_word_and_shows_the_tag():
    html = render("Put the code in the <script> tag of the page.\n\n"
                  "Then restart the router and call the customer back.")
    text, tags = read(html)
    assert text == "Put the code in the <script> tag of the page. Then restart the router and call the customer back."
    assert tags == ["p", "p"]


@pytest.mark.parametrize("tag", DROPPED)
def test_naming_any_dropped_tag_in_prose_shows_it_and_every_word_after_it(tag):
    html = render(f"Use the <{tag}> element here.\n\n## Next\n\nThe rest &amp; more, 然后重启路由器。\n")
    text, tags = read(html)
    assert text == f"Use the <{tag}> element here. Next The rest & more, 然后重启路由器。"
    assert set(tags) <= {"p", "h2"}


@pytest.mark.parametrize("tag", DROPPED)
def test_a_dropped_tag_at_the_start_of_a_line_shows_as_text_and_markdown_goes_on(tag):
    html = render(f"<{tag}>\nname the field\n</{tag}>\n\n- one *item*\n- two\n")
    text, tags = read(html)
    assert text == f"<{tag}> name the field </{tag}> one item two"
    assert tags == ["p", "ul", "li", "em", "li"]


@pytest.mark.parametrize("tag", sorted(TAGS - {"br", "hr", "img"}))
def test_an_allowed_tag_named_in_prose_but_never_closed_shows_as_text(tag):
    html = render(f"The <{tag}> element wraps things.\n\nNext paragraph.\n")
    assert read(html) == (f"The <{tag}> element wraps things. Next paragraph.", ["p", "p"])


@pytest.mark.parametrize("tag", sorted(TAGS - {"br", "hr", "img"}))
def test_an_allowed_block_tag_at_the_start_of_a_line_never_closed_leaves_the_rest_markdown(tag):
    html = render(f"<{tag}> is an element\n\n## Next\n\nThe *rest*.\n")
    text, tags = read(html)
    assert text == f"<{tag}> is an element Next The rest."
    assert tags[-3:] == ["h2", "p", "em"]


def test_a_line_break_a_rule_on_its_own_line_and_an_image_with_a_source_are_markup():
    assert render("one<br>two\n\n<hr>\n\n![a](https://example.com/a.png) <img src=a.png alt=b>") == (
        '<p>one<br>two</p>\n<hr>\n<p><img alt="a" src="https://example.com/a.png"> <img src="a.png" alt="b"></p>')


def test_a_rule_or_an_image_named_in_a_sentence_is_text():
    found = rendering("The <hr> element draws a line; <img> needs a source.\n")
    assert found.html == "<p>The &lt;hr&gt; element draws a line; &lt;img&gt; needs a source.</p>"
    assert found.shown_as_text == ("<hr>", "<img>")


def test_allowed_inline_html_still_works():
    html = render("Press <kbd>Ctrl</kbd>+<KBD>C</KBD>, then H<sub>2</sub>O and x<sup>2</sup>.<br>"
                  "<b>bold</b> <i>it</i> <del>old</del> <ins>new</ins> <span>s</span> "
                  '<a href="https://example.com" onclick="alert(1)">site</a> '
                  '<img src="https://example.com/a.png" alt="a" onerror="alert(1)">')
    assert html == ('<p>Press <kbd>Ctrl</kbd>+<kbd>C</kbd>, then H<sub>2</sub>O and x<sup>2</sup>.<br>'
                    '<b>bold</b> <i>it</i> <del>old</del> <ins>new</ins> <span>s</span> '
                    '<a href="https://example.com" rel="noopener noreferrer nofollow">site</a> '
                    '<img src="https://example.com/a.png" alt="a"></p>')
    assert rendering("<kbd>Ctrl</kbd>").shown_as_text == ()


def test_a_block_of_allowed_html_stays_markup():
    html = render('<table>\n<tr><th>Plan</th><td align="right">12</td></tr>\n</table>\n\n'
                  "<div>\nraw *text*\n</div>\n\nAfter.\n")
    assert read(html) == ("Plan 12 raw *text* After.", ["table", "tbody", "tr", "th", "td", "div", "p"])


def test_tags_closed_out_of_place_show_as_text_and_markup_stays_whole():
    assert render("a <b>bold <i>x</b> y</i> z") == "<p>a <b>bold &lt;i&gt;x</b> y&lt;/i&gt; z</p>"
    assert render("**bold <b>x** y</b>") == "<p><strong>bold &lt;b&gt;x</strong> y&lt;/b&gt;</p>"
    assert render("</div> closes\n\nnothing") == "<p>&lt;/div&gt; closes</p>\n<p>nothing</p>"


def test_the_html_shown_as_text_is_listed_once_each_as_typed():
    found = rendering("<script>x</script> and <Title> and <script>y</script>, <p> then <b>ok</b>\n")
    assert found.shown_as_text == ("<script>", "</script>", "<Title>", "<p>")


def test_code_spans_and_fences_show_tags_as_code_and_list_nothing():
    found = rendering("`<script>` and\n\n```\n<style>\n<title>\n```\n\n    <textarea>\n")
    assert found.html == ("<p><code>&lt;script&gt;</code> and</p>\n<pre><code>&lt;style&gt;\n&lt;title&gt;\n"
                          "</code></pre>\n<pre><code>&lt;textarea&gt;\n</code></pre>")
    assert found.shown_as_text == ()


def test_comments_are_hidden_and_an_unclosed_one_is_text():
    assert render("before <!-- a note --> after") == "<p>before  after</p>"
    assert render("<!-- a note -->\n\nafter") == "<p>after</p>"
    assert render("before <!-- never closed\n\nafter") == "<p>before &lt;!-- never closed</p>\n<p>after</p>"
    assert render("<!--><script>alert(1)</script>-->") == "<p>&lt;script&gt;alert(1)&lt;/script&gt;--&gt;</p>"


def test_entities_unclosed_tags_and_lone_brackets_show_as_typed():
    assert render("&amp; &lt;b&gt; &copy; &foo; <b <i x= a < b > c </ 3>") == (
        "<p>&amp; &lt;b&gt; © &amp;foo; &lt;b &lt;i x= a &lt; b &gt; c &lt;/ 3&gt;</p>")
    assert render("<!DOCTYPE html>\n\n<?php echo 1; ?>\n\n<![CDATA[x]]>") == (
        "<p>&lt;!DOCTYPE html&gt;</p>\n<p>&lt;?php echo 1; ?&gt;</p>\n<p>&lt;![CDATA[x]]&gt;</p>")


def test_event_handlers_and_script_links_never_become_live():
    html = render('<a href="javascript:alert(1)" onmouseover="x()">a</a> <img src=x onerror=alert(1)> '
                  "[b](javascript:alert(2)) <p onclick=x>para</p>")
    assert "javascript" not in html and "onerror" not in html and "onclick" not in html
    assert "onmouseover" not in html
    assert read(html)[0] == "a b para"


def test_chinese_text_around_tags_keeps_every_character():
    assert read(render("把代码放进<script>标签，然后<title>重启</title>路由器。"))[0] == (
        "把代码放进<script>标签，然后<title>重启</title>路由器。")


def test_attribute_values_with_brackets_cannot_open_a_tag():
    html = render("<img src='x' title='\"><script>alert(1)</script>'> and <a title=\"a>b\" href=\"/x\">l</a>")
    assert "<script" not in html
    assert '<a title="a&gt;b" href="/x" rel="noopener noreferrer nofollow">l</a>' in html


def test_the_search_text_of_an_article_is_the_text_readers_see():
    from kb.search.index import plain_text
    body = "Put the code in the <script> tag.\n\nThen restart the <b>router</b>.\n"
    assert re.sub(r"\s+", " ", plain_text(render(body))) == "Put the code in the <script> tag. Then restart the router."
