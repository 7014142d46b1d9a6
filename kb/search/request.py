"""Reading a search from a request's arguments, the same for the page and the JSON API."""
from dataclasses import dataclass, field

from flask_babel import get_locale
from flask_babel import gettext as _

from kb import categories, search
from kb.models import ARTICLE_TYPES, LANGUAGES

MAX_PAGE = 1000


@dataclass
class SearchRequest:
    text: str = ""
    filters: search.Filters = field(default_factory=search.Filters)
    page: int = 1
    sort: str = "relevance"
    category_ids: list[int] | None = None
    problems: list[str] = field(default_factory=list)


def _number(raw: str, problem: str, problems: list[str]) -> int | None:
    if not raw:
        return None
    if raw.isascii() and raw.isdigit() and int(raw) <= 2**31 - 1:
        return int(raw)
    problems.append(problem)
    return None


def read(args) -> SearchRequest:
    """The search a request asks for; anything it cannot use is listed in `problems` and left out."""
    problems: list[str] = []
    kind = args.get("type", "")
    if kind and kind not in ARTICLE_TYPES:
        problems.append(_("There is no article type %(value)s.", value=kind[:40]))
        kind = ""
    lang = args.get("lang", "")
    if lang and lang not in LANGUAGES:
        problems.append(_("There is no language %(value)s.", value=lang[:40]))
        lang = ""
    sort = args.get("sort", "relevance")
    if sort not in search.SORTS:
        problems.append(_("Sort by relevance or by date."))
        sort = "relevance"
    page = _number(args.get("page", ""), _("The page must be a whole number."), problems) or 1
    if page > MAX_PAGE:
        problems.append(_("Only the first %(max)d pages of results can be shown.", max=MAX_PAGE))
        page = MAX_PAGE
    category = _number(args.get("category", ""), _("The category must be a whole number."), problems)
    category_ids = None
    if category is not None:
        category_ids = categories.subtree_ids(category)
        if not category_ids:
            problems.append(_("There is no such category."))
            category = None
    filters = search.Filters(type=kind, category=category, tag=args.get("tag", "")[:40].strip(), lang=lang)
    return SearchRequest(args.get("q", ""), filters, page, sort, category_ids or None, problems)


def run(wanted: SearchRequest, user, page_size: int) -> search.Results:
    """The search, for a reader whose interface is in the request's language (theirs answers first)."""
    return search.search(wanted.text, user, wanted.filters, page=wanted.page, sort=wanted.sort,
                         page_size=page_size, category_ids=wanted.category_ids, language=str(get_locale()))
