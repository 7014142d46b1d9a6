"""Markdown to HTML, always sanitised: whatever an author types, no script runs."""
import markdown as md
import nh3
from markdown.extensions.toc import slugify_unicode

from core.markdown_lists import normalise_list_indents

EXTENSIONS = ["tables", "fenced_code", "sane_lists", "toc", "attr_list"]
EXTENSION_CONFIGS = {"toc": {"slugify": slugify_unicode, "permalink": False}}

TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p", "pre", "s", "span",
    "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    **{f"h{n}": {"id"} for n in range(1, 7)},
}


def render(text: str) -> str:
    html = md.markdown(normalise_list_indents(text), extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS,
                       output_format="html")
    return sanitise(html)


def sanitise(html: str) -> str:
    return nh3.clean(html, tags=TAGS, attributes=ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"},
                     link_rel="noopener noreferrer nofollow", strip_comments=True,
                     allowed_classes={"div": {"toc"}})
