"""Markdown to HTML, always sanitised: whatever an author types, no script runs, and every word shows.

HTML typed into the text stays markup when the sanitiser allows the tag and it pairs up; any other tag is
shown as typed (core.markdown_html), so a mention of "the <script> tag" never swallows what follows."""
from dataclasses import dataclass
from functools import lru_cache

import markdown as md
import nh3
from markdown.extensions.toc import slugify_unicode

from core.markdown_html import HtmlAsTyped
from core.markdown_lists import ListsAsTyped, normalise_list_indents

EXTENSIONS = ["tables", "fenced_code", "sane_lists", "toc", "attr_list"]
EXTENSION_CONFIGS = {"toc": {"slugify": slugify_unicode, "permalink": False}}

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p", "pre", "s", "span",
    "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},  # a list typed from "3." shows 3, 4...
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    **{f"h{n}": {"id"} for n in range(1, 7)},
}


@dataclass(frozen=True)
class Rendering:
    html: str
    shown_as_text: tuple[str, ...]  # the HTML tags typed in the text that readers see as text, e.g. "<script>"


def render(text: str) -> str:
    return rendering(text).html


@lru_cache(maxsize=8)  # the editor renders a text twice in one request: to save it and to warn about it
def rendering(text: str) -> Rendering:
    raw_html = HtmlAsTyped(TAGS)
    converter = md.Markdown(extensions=[*EXTENSIONS, ListsAsTyped(), raw_html],
                            extension_configs=EXTENSION_CONFIGS, output_format="html")
    html = converter.convert(normalise_list_indents(text.replace("\x0e", "").replace("\x0f", "")))
    return Rendering(sanitise(html), tuple(converter.postprocessors["raw_html"].shown_as_text))


def sanitise(html: str) -> str:
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer nofollow", strip_comments=True,
                     allowed_classes={"div": {"toc"}})
