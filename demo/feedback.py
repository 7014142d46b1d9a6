"""Demo feedback on the demo articles, made through kb.feedback: answers to 'Did this help?' (one article
clearly unhelpful), two open flags, one flag fixed in a new revision, reuse by a button and by the API, and
a few searches that found nothing, so the flag queue and the content-health page have something to show."""
from sqlalchemy import select

from accounts import auth
from core.db import db, utcnow
from kb import service
from kb.feedback import service as feedback
from kb.models import Article
from kb.search.models import SearchLog

VOTES = {  # slug -> (user, helpful, comment)
    "faq-refunds-and-goodwill-gestures": [
        ("staff", True, ""),
        ("trainer", False, "Nothing on orders paid partly with a voucher."),
        ("quality_lead", False, "Which goodwill gesture fits which complaint is not clear."),
        ("editor", False, ""),
    ],
    "customer-cannot-reset-password": [("staff", True, ""), ("trainer", True, ""), ("quality_lead", True, "")],
}
OPEN_FLAGS = [  # slug, user, reason, comment
    ("customer-cannot-reset-password", "staff", "missing_step",
     "Nothing for a customer who no longer has the phone number on the account."),
    ("complaint-handling-procedure", "trainer", "unclear",
     "Trainees ask who records the complaint when it comes in by chat."),
]
SEARCHES_THAT_FOUND_NOTHING = [("gift card balance", 4), ("change delivery address", 2)]


def _article(slug: str) -> Article | None:
    return db.session.scalar(select(Article).where(Article.slug == slug))


def _user(name: str):
    return auth.find_user(name)


FIXED_SLUG = "moments-of-truth-on-the-customer-journey"  # the one demo article the demo revises
FIX = "\n\nLive chat is a moment of truth too: answer within a minute.\n"


def _fixed_flag() -> bool:
    """Staff flag an article, its owner (the editor) fixes it in a new revision and resolves the flag."""
    article = _article(FIXED_SLUG)
    if article is None:
        return False
    flag = feedback.flag(article, _user("staff"), "outdated", "The chat channel is missing from the journey.")
    content = service.ArticleContent.of(article)
    content.body = content.body.rstrip("\n") + FIX
    revision = service.revise_article(article, article.version, content, _user("editor"), "Add live chat")
    feedback.resolve_flag(flag, _user("editor"), "fixed", revision.number)
    return True


def load() -> str:
    votes = flags = 0
    for slug, answers in VOTES.items():
        article = _article(slug)
        for name, helpful, comment in answers if article else []:
            feedback.vote(article, _user(name), helpful, comment)
            votes += 1
    for slug, name, reason, comment in OPEN_FLAGS:
        article = _article(slug)
        if article is not None:
            feedback.flag(article, _user(name), reason, comment)
            flags += 1
    fixed = _fixed_flag()
    refunds = _article("faq-refunds-and-goodwill-gestures")
    if refunds is not None:
        feedback.mark_solved(refunds, _user("staff"))
    password = _article("customer-cannot-reset-password")
    if password is not None:
        feedback.record_reuse(password, _user("staff"), "api", "TICKET-1042")
    for query, times in SEARCHES_THAT_FOUND_NOTHING:
        db.session.add_all(SearchLog(query=query, hits=0, millis=4.0, at=utcnow()) for _ in range(times))
    db.session.flush()
    return (f"Feedback: {votes} answers, {flags} open flags and {int(fixed)} fixed, 2 reuses, "
            f"{len(SEARCHES_THAT_FOUND_NOTHING)} searches that found nothing.")
