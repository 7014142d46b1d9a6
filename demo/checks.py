"""A demo knowledge check: two questions (one single-answer, one multi-answer) on the complaint-handling
procedure, written by the demo trainer through kb.onboarding.checks (so the rules are really passed)."""
from sqlalchemy import select

from accounts import auth
from core.db import db
from kb.models import Article
from onboarding import checks

ARTICLE_SLUG = "complaint-handling-procedure"

QUESTIONS = [
    ("A customer says their parcel has still not arrived, a week after the promised date. Is this a complaint?",
     [("Yes: it expresses dissatisfaction and the customer expects a response", True),
      ("No: they did not use the word \"complaint\"", False),
      ("Only if they ask to speak to a manager", False)]),
    ("Which of these belong in the complaint log before the end of the contact? Tick every one that does.",
     [("The customer's own words", True),
      ("The outcome the customer wants", True),
      ("Your opinion of the customer's tone", False),
      ("Any reference numbers", True)]),
]


def load() -> str:
    """The check for the complaint-handling procedure (or else the first published article)."""
    published = select(Article).where(Article.state == "published").order_by(Article.id)
    article = (db.session.scalar(published.where(Article.slug == ARTICLE_SLUG))
               or db.session.scalar(published.limit(1)))
    if article is None:
        return "Knowledge checks: no published article, none written."
    checks.save_check(article, QUESTIONS, auth.find_user("trainer"))
    return f"Knowledge checks: {len(QUESTIONS)} questions on \u201c{article.title}\u201d."
