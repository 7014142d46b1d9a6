"""What an improvement opened from the knowledge base starts with: a title, a problem statement, the
source, the origin ("flag:12", "votes:7", "search:<query>") and the evidence, in words.

Plain functions, no request; improvement's "open an improvement from this evidence" finds the evidence with
`find` and hands it to improvement.service.open_from_evidence.
"""
from dataclasses import dataclass, field

from flask_babel import gettext as _

from core.errors import Invalid, NotFound
from kb import queries
from kb.feedback import health as content_health
from kb.feedback import service as feedback
from kb.feedback.health import SEARCH_DAYS
from kb.feedback.labels import FLAG_REASON_LABELS
from kb.feedback.models import Flag
from kb.models import Article

MAX_COMMENTS = 20  # unhelpful votes' comments quoted in the evidence


@dataclass
class Evidence:
    title: str
    problem: str
    source: str
    origin: str
    evidence: str
    article_ids: list[int] = field(default_factory=list)


def _day(moment) -> str:
    return moment.strftime("%Y-%m-%d")


def flag_origin(flag_id: int) -> str:
    return f"flag:{flag_id}"


def votes_origin(article_id: int) -> str:
    return f"votes:{article_id}"


def search_origin(query: str) -> str:
    return ("search:" + " ".join(query.split()).lower())[:220]


def from_flag(flag: Flag) -> Evidence:
    article = flag.article
    reason = str(FLAG_REASON_LABELS[flag.reason])
    lines = [_("Flag #%(id)s on “%(title)s” (revision %(n)s)", id=flag.id, title=article.title,
               n=flag.revision_number),
             _("Flagged by %(who)s on %(day)s", who=flag.flagged_by.name if flag.flagged_by else "?",
               day=_day(flag.flagged_at)),
             _("Reason: %(reason)s", reason=reason)]
    if flag.comment:
        lines += ["", _("Comment:"), flag.comment]
    return Evidence(title=_("Flagged as %(reason)s: %(title)s", reason=reason.lower(), title=article.title),
                    problem=_("Staff flagged the article “%(title)s” as %(reason)s.", title=article.title,
                              reason=reason.lower()),
                    source="article_feedback", origin=flag_origin(flag.id), evidence="\n".join(lines),
                    article_ids=[article.id])


def from_votes(article: Article) -> Evidence | None:
    """None when nobody found the article unhelpful."""
    counts = feedback.counts(article)
    if not counts.not_helpful:
        return None
    lines = [_("“%(title)s”: %(no)s of %(total)s answers said it did not help (%(yes)s said it did).",
               title=article.title, no=counts.not_helpful, total=counts.total, yes=counts.helpful)]
    commented = [v for v in feedback.unhelpful_votes(article) if v.comment][:MAX_COMMENTS]
    if commented:
        lines += ["", _("Comments of those it did not help:")]
        lines += [f"- {v.user.name}, {_day(v.at)}, " + _("revision %(n)s", n=v.revision_number) + f": {v.comment}"
                  for v in commented]
    return Evidence(title=_("Unhelpful article: %(title)s", title=article.title),
                    problem=_("%(no)s of %(total)s people said the article “%(title)s” did not help them.",
                              no=counts.not_helpful, total=counts.total, title=article.title),
                    source="article_feedback", origin=votes_origin(article.id), evidence="\n".join(lines),
                    article_ids=[article.id])


def from_search(query: str, times: int) -> Evidence:
    query = " ".join(query.split())
    return Evidence(title=_("Search finds nothing: “%(query)s”", query=query[:150]),
                    problem=_("Staff searched for “%(query)s” and found no article.", query=query),
                    source="search_gap", origin=search_origin(query),
                    evidence=_("“%(query)s” found nothing %(n)s times in the last %(days)s days.",
                               query=query, n=times, days=SEARCH_DAYS))


def find(kind: str, ref: str, user) -> Evidence:
    """The evidence a row of content health or the flag queue stands for; refused when there is none."""
    number = int(ref) if ref.isascii() and ref.isdigit() and len(ref) < 10 else None
    if kind == "flag":
        found = feedback.find_flag(number) if number else None
        if found is None:
            raise NotFound(_("There is no such flag."))
        return from_flag(found)
    if kind == "votes":
        article = queries.visible_article(number, user) if number else None
        if article is None or article.state != "published":
            raise NotFound(_("There is no such published article."))
        return from_votes(article) or _refuse(Invalid(_("Nobody said this article did not help.")))
    times = content_health.zero_result_count(ref)
    if not times:
        raise Invalid(_("This search did not come up empty in the last %(days)s days.", days=SEARCH_DAYS))
    return from_search(ref, times)


def _refuse(refusal):
    raise refusal
