"""Knowledge checks: a few multiple-choice questions a trainer writes for an article, and people's attempts.

A question with one correct choice is answered with one tick; a question with several correct choices is
right only when all of them, and no wrong one, are ticked. A check passes when every question is right.
Plain functions over the session; they flush but never commit (the request does).
"""
import hashlib
import json
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core import audit
from core.db import db
from core.errors import Invalid
from onboarding.models import CheckAttempt, CheckChoice, CheckQuestion

MAX_QUESTIONS = 10
MIN_CHOICES, MAX_CHOICES = 2, 6
MAX_QUESTION_CHARS = 500
MAX_CHOICE_CHARS = 300

# what a trainer writes: [(question text, [(choice text, correct), ...]), ...]
Draft = list[tuple[str, list[tuple[str, bool]]]]


class CheckChanged(Invalid):
    """The check was saved by someone else since the editor opened it."""


class AnswersChanged(Invalid):
    """The answers are not to the check as it is now: it changed since they were given, or they are forged."""


@dataclass
class CheckResult:
    correct: int
    total: int
    passed: bool
    wrong: list[tuple[int, str]] = field(default_factory=list)  # (question number, question text) to re-read


@dataclass
class CheckSummary:
    """What the article page says about its check for one user."""
    questions: int
    may_edit: bool
    passed: bool = False
    last: CheckAttempt | None = None


# ---- read by learning-path progress (one query each) ------------------------------------------------

def articles_with_checks(article_ids: list[int]) -> set[int]:
    """Which of these articles have at least one question."""
    if not article_ids:
        return set()
    query = select(CheckQuestion.article_id).where(CheckQuestion.article_id.in_(list(article_ids))).distinct()
    return set(db.session.scalars(query))


def passed(user_ids: list[int], article_ids: list[int]) -> set[tuple[int, int]]:
    """(user_id, article_id) pairs having a passed attempt."""
    if not user_ids or not article_ids:
        return set()
    query = (select(CheckAttempt.user_id, CheckAttempt.article_id)
             .where(CheckAttempt.user_id.in_(list(user_ids)), CheckAttempt.article_id.in_(list(article_ids)),
                    CheckAttempt.passed.is_(True)).distinct())
    return {(user_id, article_id) for user_id, article_id in db.session.execute(query)}


# ---- the check of one article ----------------------------------------------------------------------

def questions_for(article_id: int) -> list[CheckQuestion]:
    """The article's questions in order, their choices loaded with them."""
    query = select(CheckQuestion).where(CheckQuestion.article_id == article_id).order_by(CheckQuestion.position)
    return list(db.session.scalars(query))


def fingerprint(questions: list[CheckQuestion]) -> str:
    """Names the check as saved: its questions and choices, with their ids (SQLite may give a new question the id
    of a removed one, so the ids alone would not tell a changed check from the same one)."""
    content = [[q.id, q.text, [[c.id, c.text, c.correct] for c in q.choices]] for q in questions]
    return hashlib.sha256(json.dumps(content).encode()).hexdigest()[:20] if questions else ""


def is_multi_answer(question: CheckQuestion) -> bool:
    return sum(1 for c in question.choices if c.correct) > 1


def as_draft(questions: list[CheckQuestion]) -> Draft:
    return [(q.text, [(c.text, c.correct) for c in q.choices]) for q in questions]


def problems(questions: Draft) -> list[str]:
    """Every reason this check cannot be saved, naming the question."""
    found = []
    if len(questions) > MAX_QUESTIONS:
        found.append(_("A check has at most %(n)s questions; this one has %(count)s.",
                       n=MAX_QUESTIONS, count=len(questions)))
    for n, (text, choices) in enumerate(questions, start=1):
        if not text.strip():
            found.append(_("Question %(n)s has no text.", n=n))
        elif len(text) > MAX_QUESTION_CHARS:
            found.append(_("Question %(n)s is longer than %(max)s characters.", n=n, max=MAX_QUESTION_CHARS))
        if not MIN_CHOICES <= len(choices) <= MAX_CHOICES:
            found.append(_("Question %(n)s needs %(min)s to %(max)s choices; it has %(count)s.",
                           n=n, min=MIN_CHOICES, max=MAX_CHOICES, count=len(choices)))
        for c, (choice, _correct) in enumerate(choices, start=1):
            if not choice.strip():
                found.append(_("Question %(n)s, choice %(c)s has no text.", n=n, c=c))
            elif len(choice) > MAX_CHOICE_CHARS:
                found.append(_("Question %(n)s, choice %(c)s is longer than %(max)s characters.",
                               n=n, c=c, max=MAX_CHOICE_CHARS))
        texts = [choice.strip().casefold() for choice, _correct in choices if choice.strip()]
        if len(set(texts)) < len(texts):
            found.append(_("Question %(n)s has the same choice twice.", n=n))
        right = sum(1 for _choice, correct in choices if correct)
        if choices and not right:
            found.append(_("Question %(n)s has no correct answer; tick at least one choice as correct.", n=n))
        elif len(choices) >= MIN_CHOICES and right == len(choices):
            found.append(_("Question %(n)s has only correct choices; add at least one wrong one.", n=n))
    return found


def save_check(article, questions: Draft, user, base: str | None = None) -> list[CheckQuestion] | None:
    """Replace the article's whole check with `questions` (an empty list removes it), or refuse and change
    nothing; None when nothing changed. `base` is the fingerprint of the check the editor started from."""
    cleaned = [(text.replace("\r\n", "\n").strip(), [(choice.strip(), bool(correct)) for choice, correct in choices])
               for text, choices in questions]
    found = problems(cleaned)
    if found:
        raise Invalid(*found)
    old = questions_for(article.id)
    if base is not None and base != fingerprint(old):
        raise CheckChanged(_("Someone else saved this check while you were editing it. Your questions are "
                             "below; compare them with the article's check and save again."))
    before = as_draft(old)
    if before == cleaned:
        return None  # saving the same check again keeps its questions (and open attempts) as they are
    for question in old:
        db.session.delete(question)
    new = [CheckQuestion(article_id=article.id, position=n, text=text, created_by_id=getattr(user, "id", None),
                         choices=[CheckChoice(position=c, text=choice, correct=correct)
                                  for c, (choice, correct) in enumerate(choices, start=1)])
           for n, (text, choices) in enumerate(cleaned, start=1)]
    try:
        db.session.flush()  # the old positions are free before the new ones take them
        db.session.add_all(new)
        db.session.flush()
    except IntegrityError:  # another request saved this check at the same moment
        db.session.rollback()
        raise CheckChanged(_("Someone else saved this check at the same moment; nothing was saved. "
                             "Try again.")) from None
    audit.record(user, "save_check", "article", article.id,
                 before={"questions": _record(before)}, after={"questions": _record(cleaned)})
    return new


def _record(questions: Draft) -> list[dict]:
    return [{"text": text, "choices": [{"text": c, "correct": ok} for c, ok in choices]}
            for text, choices in questions]


# ---- taking it ------------------------------------------------------------------------------------

CHANGED = _("These answers do not belong to this check; it may have changed since you opened it. "
            "Nothing was recorded: answer the questions below again.")


def belong(questions: list[CheckQuestion], answers: dict[int, set[int]]) -> bool:
    """Whether every answer names a question of this check and choices of that question."""
    own = {q.id: {c.id for c in q.choices} for q in questions}
    return all(question in own and chosen <= own[question] for question, chosen in answers.items())


def answer_problems(questions: list[CheckQuestion], answers: dict[int, set[int]]) -> list[str]:
    """Why these answers (all of this check's own) cannot be graded: a question left out, or ticked twice."""
    found = []
    for n, question in enumerate(questions, start=1):
        chosen = answers.get(question.id, set())
        if not chosen:
            found.append(_("Question %(n)s has no answer.", n=n))
        elif len(chosen) > 1 and not is_multi_answer(question):
            found.append(_("Question %(n)s takes one answer only.", n=n))
    return [str(p) for p in found]


def grade(article, user, answers: dict[int, set[int]], seen: str | None = None) -> CheckResult:
    """Record an attempt at the article's check; which questions were wrong, never what was right.
    `seen` is the fingerprint of the check the answers were given to, when known."""
    questions = questions_for(article.id)
    if not questions:
        raise Invalid(_("This article has no knowledge check."))
    if (seen is not None and seen != fingerprint(questions)) or not belong(questions, answers):
        raise AnswersChanged(CHANGED)
    found = answer_problems(questions, answers)
    if found:
        raise Invalid(*found)
    wrong = [(n, q.text) for n, q in enumerate(questions, start=1)
             if answers[q.id] != {c.id for c in q.choices if c.correct}]
    result = CheckResult(correct=len(questions) - len(wrong), total=len(questions), passed=not wrong, wrong=wrong)
    db.session.add(CheckAttempt(user_id=user.id, article_id=article.id, correct=result.correct,
                                total=result.total, passed=result.passed))
    db.session.flush()
    return result


def last_attempt(article_id: int, user_id: int) -> CheckAttempt | None:
    query = (select(CheckAttempt).where(CheckAttempt.article_id == article_id, CheckAttempt.user_id == user_id)
             .order_by(CheckAttempt.at.desc(), CheckAttempt.id.desc()).limit(1))
    return db.session.scalar(query)


def summary(article_id: int, user) -> CheckSummary:
    count = db.session.scalar(select(func.count()).select_from(CheckQuestion)
                              .where(CheckQuestion.article_id == article_id))
    result = CheckSummary(questions=count, may_edit=user.can("build_paths"))
    if count and user.is_authenticated:
        result.last = last_attempt(article_id, user.id)
        result.passed = bool(result.last) and (user.id, article_id) in passed([user.id], [article_id])
    return result
