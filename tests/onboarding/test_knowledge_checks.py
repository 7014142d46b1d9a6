"""Knowledge checks: a trainer writes a few multiple-choice questions for an article, readers take them."""
import html
import re

import pytest
from sqlalchemy import func, select

from core.audit import AuditEvent
from core.db import db
from onboarding import checks
from onboarding.models import CheckAttempt, CheckChoice, CheckQuestion

SINGLE = ("Who owns a complaint by default?",
          [("The advisor who received it", True), ("The quality lead", False), ("The team leader", False)])
MULTI = ("Which go in the complaint log?",
         [("The customer's own words", True), ("The outcome they want", True), ("Your opinion of them", False)])


def _edit_url(article) -> str:
    return f"/kb/articles/{article.id}/check/edit"


def _take_url(article) -> str:
    return f"/kb/articles/{article.id}/check"


def _hidden(page: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page).group(1)


def _fields(questions) -> dict:
    data = {}
    for i, (text, choices) in enumerate(questions):
        data[f"q{i}-text"] = text
        for j, (choice, correct) in enumerate(choices):
            data[f"q{i}-c{j}"] = choice
            if correct:
                data[f"q{i}-c{j}-correct"] = "y"
    return data


def _write(client, article, questions, **extra):
    """Open the editor and save `questions` through it, as a trainer's browser would."""
    page = client.get(_edit_url(article)).text
    data = {"csrf_token": _hidden(page, "csrf_token"), "base": _hidden(page, "base"), "save": "1"}
    return client.post(_edit_url(article), data={**data, **_fields(questions), **extra})


def _saved(article) -> list:
    return checks.as_draft(checks.questions_for(article.id))


@pytest.fixture
def checked_article(client, login_as, make_article):
    """A published article with a two-question check (single and multi answer), written by a trainer who then
    logs out; returns the article."""
    article = make_article(title="Complaint handling")
    login_as("trainer", "tina")
    assert _write(client, article, [SINGLE, MULTI]).status_code == 303
    client.submit("/logout", token_from="/")
    return article


def _choices_on_page(page: str) -> dict:
    """choice text -> (field name, value, input type) from the check page."""
    found = re.findall(r'<input type="(radio|checkbox)" name="(answer-\d+)" value="(\d+)"[^>]*> ([^<]*)</label>', page)
    return {html.unescape(text.strip()): (name, value, kind) for kind, name, value, text in found}


def _answer(client, article, *choice_texts, extra=None):
    page = client.get(_take_url(article)).text
    on_page = _choices_on_page(page)
    data: dict[str, list] = {"csrf_token": [_hidden(page, "csrf_token")], "check": [_hidden(page, "check")]}
    for text in choice_texts:
        name, value, _kind = on_page[text]
        data.setdefault(name, []).append(value)
    return client.post(_take_url(article), data={**data, **(extra or {})})


def _attempts() -> list[CheckAttempt]:
    db.session.expire_all()
    return list(db.session.scalars(select(CheckAttempt).order_by(CheckAttempt.id)))


# ---- writing a check ---------------------------------------------------------------------------------

def test_a_trainer_writes_a_check_with_a_single_and_a_multi_answer_question(client, login_as, make_article):
    article = make_article()
    login_as("trainer")
    answer = _write(client, article, [SINGLE, MULTI])
    assert answer.status_code == 303
    assert _saved(article) == [SINGLE, MULTI]
    assert "Knowledge check saved: 2 questions." in client.get(answer.location).text
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "save_check"))
    assert event.entity_id == article.id and event.after["questions"][1]["text"] == MULTI[0]
    page = client.get(_take_url(article)).text
    on_page = _choices_on_page(page)
    assert on_page["The quality lead"][2] == "radio"
    assert on_page["Your opinion of them"][2] == "checkbox"


def test_the_editor_shows_the_saved_questions_and_two_blank_ones(client, login_as, make_article):
    article = make_article()
    login_as("trainer")
    _write(client, article, [SINGLE])
    page = client.get(_edit_url(article)).text
    assert "Who owns a complaint by default?</textarea>" in page
    assert 'name="q2-text"' in page and 'name="q3-text"' not in page
    assert 'name="q0-c5"' in page and 'name="q0-c6"' not in page


def test_add_more_questions_offers_more_blank_slots_and_saves_nothing(client, login_as, make_article):
    article = make_article()
    login_as("trainer")
    page = client.get(_edit_url(article)).text
    answer = client.post(_edit_url(article), data={"csrf_token": _hidden(page, "csrf_token"), "base": "",
                                                   "blank": _hidden(page, "blank"), "more": "1", **_fields([SINGLE])})
    assert answer.status_code == 200
    assert "Who owns a complaint by default?</textarea>" in answer.text
    assert 'name="q4-text"' in answer.text and 'name="q5-text"' not in answer.text
    assert _saved(article) == []


def test_a_question_with_no_correct_answer_is_refused_and_the_old_check_kept(client, login_as, checked_article):
    login_as("trainer")
    no_correct = ("What is P1?", [("A delay", False), ("A safety risk", False)])
    answer = _write(client, checked_article, [SINGLE, no_correct])
    assert answer.status_code == 400
    assert "Question 2 has no correct answer" in answer.text
    assert "What is P1?</textarea>" in answer.text  # what the trainer typed is still there
    assert _saved(checked_article) == [SINGLE, MULTI]


@pytest.mark.parametrize("choices, message", [
    ([("Only one", True)], "Question 1 needs 2 to 6 choices; it has 1."),
    ([(f"Choice {n}", n == 1) for n in range(1, 8)], "Question 1 needs 2 to 6 choices; it has 7."),
])
def test_a_question_with_too_few_or_too_many_choices_is_refused(client, login_as, checked_article, choices, message):
    login_as("trainer")
    answer = _write(client, checked_article, [("Pick one", choices)])
    assert answer.status_code == 400
    assert message in answer.text
    assert _saved(checked_article) == [SINGLE, MULTI]


def test_a_ticked_choice_without_text_and_a_choice_without_a_question_are_named(client, login_as, make_article):
    article = make_article()
    login_as("trainer")
    answer = _write(client, article, [SINGLE, ("", [("Yes", True), ("No", False)])],
                    **{"q0-c4-correct": "y"})
    assert answer.status_code == 400
    assert "Question 1, choice 4 has no text." in answer.text
    assert "Question 2 has no text." in answer.text
    assert _saved(article) == []


def test_more_than_ten_questions_are_refused(client, login_as, make_article):
    article = make_article()
    login_as("trainer")
    answer = _write(client, article, [(f"Question text {n}", SINGLE[1]) for n in range(11)])
    assert answer.status_code == 400
    assert "A check has at most 10 questions; this one has 11." in answer.text
    assert _saved(article) == []


def test_saving_the_same_check_again_changes_nothing(client, login_as, checked_article):
    login_as("trainer")
    before = [q.id for q in checks.questions_for(checked_article.id)]
    answer = _write(client, checked_article, [SINGLE, MULTI])
    assert "Nothing changed." in client.get(answer.location).text
    db.session.expire_all()
    assert [q.id for q in checks.questions_for(checked_article.id)] == before
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "save_check")) == 1


def test_saving_no_questions_removes_the_check(client, login_as, checked_article):
    login_as("trainer")
    answer = _write(client, checked_article, [], **{f"q{i}-text": "" for i in range(4)})
    assert answer.status_code == 303
    assert _saved(checked_article) == []
    assert db.session.scalar(select(func.count()).select_from(CheckChoice)) == 0


def test_a_check_saved_by_someone_else_meanwhile_is_not_overwritten(client, login_as, checked_article):
    login_as("trainer")
    page = client.get(_edit_url(checked_article)).text
    checks.save_check(checked_article, [MULTI], None)  # another trainer saves first
    db.session.commit()
    answer = client.post(_edit_url(checked_article), data={
        "csrf_token": _hidden(page, "csrf_token"), "base": _hidden(page, "base"), **_fields([SINGLE])})
    assert answer.status_code == 400
    assert "Someone else saved this check while you were editing it." in answer.text
    assert _saved(checked_article) == [MULTI]


def test_an_admin_may_write_a_check_too(client, login_as, make_article):
    article = make_article()
    login_as("admin")
    assert _write(client, article, [SINGLE]).status_code == 303
    assert _saved(article) == [SINGLE]


@pytest.mark.parametrize("role", ["staff", "editor", "publisher", "quality_lead"])
def test_only_trainers_may_write_a_check(client, login_as, checked_article, role):
    login_as(role, "someone")
    assert client.get(_edit_url(checked_article)).status_code == 403
    token = client.csrf(_take_url(checked_article))
    answer = client.post(_edit_url(checked_article), data={"csrf_token": token, **_fields([SINGLE])})
    assert answer.status_code == 403
    assert _saved(checked_article) == [SINGLE, MULTI]


def test_a_visitor_is_sent_to_log_in_to_take_a_check(client, checked_article):
    answer = client.get(_take_url(checked_article))
    assert answer.status_code == 302 and "/login" in answer.location


# ---- taking it ---------------------------------------------------------------------------------------

def test_a_wrong_answer_fails_names_the_question_and_keeps_the_right_answers_secret(client, login_as,
                                                                                    checked_article):
    login_as("staff", "sam")
    answer = _answer(client, checked_article, "The advisor who received it", "The customer's own words")
    assert answer.status_code == 303
    [attempt] = _attempts()
    assert (attempt.correct, attempt.total, attempt.passed) == (1, 2, False)
    page = client.get(answer.location).text
    flashes = " ".join(re.findall(r'<p class="flash[^>]*>([^<]*)</p>', page))
    assert "Not passed: 1 of 2 answers are right." in flashes
    assert "Re-read for question 2: Which go in the complaint log?" in flashes
    assert "question 1" not in flashes.lower()
    assert not any(choice in flashes for choice, _ok in SINGLE[1] + MULTI[1])
    assert "checked" not in page  # nothing on the page marks the right choices
    assert "1 of 2 right, not passed" in page


def test_every_answer_right_passes_and_the_article_page_says_so(client, login_as, checked_article):
    login_as("staff", "sam")
    answer = _answer(client, checked_article, "The advisor who received it", "The customer's own words",
                     "The outcome they want")
    assert answer.status_code == 303
    assert [(a.correct, a.total, a.passed) for a in _attempts()] == [(2, 2, True)]
    assert "Passed: all 2 answers are right." in client.get(answer.location).text
    assert "You have passed this check." in client.get(f"/kb/articles/{checked_article.id}").text


@pytest.mark.parametrize("ticked, passes", [
    (["The customer's own words"], False),
    (["The customer's own words", "The outcome they want", "Your opinion of them"], False),
    (["The customer's own words", "The outcome they want"], True),
])
def test_a_multi_answer_question_needs_every_correct_choice_and_no_wrong_one(client, login_as, checked_article,
                                                                             ticked, passes):
    login_as("staff", "sam")
    assert _answer(client, checked_article, "The advisor who received it", *ticked).status_code == 303
    assert [a.passed for a in _attempts()] == [passes]


def test_a_question_left_unanswered_is_refused_and_nothing_recorded(client, login_as, checked_article):
    login_as("staff", "sam")
    answer = _answer(client, checked_article, "The customer's own words")
    assert answer.status_code == 400
    assert "Question 1 has no answer." in answer.text
    assert re.search(r'value="\d+" checked> The customer&#39;s own words', answer.text)  # the ticks are kept
    assert _attempts() == []


def test_two_answers_to_a_single_answer_question_are_refused(client, login_as, checked_article):
    login_as("staff", "sam")
    answer = _answer(client, checked_article, "The advisor who received it", "The quality lead",
                     "The customer's own words", "The outcome they want")
    assert answer.status_code == 400
    assert "Question 1 takes one answer only." in answer.text
    assert _attempts() == []


@pytest.mark.parametrize("forgery", ["other_article_choice", "other_question_choice", "unknown_question",
                                     "not_a_number"])
def test_forged_answers_are_refused_with_400_and_nothing_recorded(client, login_as, make_article, checked_article,
                                                                  forgery):
    other = make_article(title="Escalation")
    checks.save_check(other, [SINGLE], None)
    db.session.commit()
    login_as("staff", "sam")
    page = client.get(_take_url(checked_article)).text
    on_page = _choices_on_page(page)
    single_field = on_page["The quality lead"][0]
    multi_choice = on_page["The outcome they want"][1]
    foreign_choice = str(checks.questions_for(other.id)[0].choices[0].id)
    data = {"csrf_token": _hidden(page, "csrf_token"), "check": _hidden(page, "check"),
            single_field: on_page["The quality lead"][1],
            on_page["The outcome they want"][0]: multi_choice}
    if forgery == "other_article_choice":
        data[single_field] = foreign_choice
    elif forgery == "other_question_choice":
        data[single_field] = multi_choice
    elif forgery == "unknown_question":
        data[f"answer-{checks.questions_for(other.id)[0].id}"] = foreign_choice
    else:
        data[single_field] = "first"
    answer = client.post(_take_url(checked_article), data=data)
    assert answer.status_code == 400
    assert "Nothing was recorded" in answer.text or "nothing was recorded" in answer.text
    assert _attempts() == []


def test_answers_to_a_check_changed_since_it_was_opened_are_refused(client, login_as, checked_article):
    login_as("staff", "sam")
    page = client.get(_take_url(checked_article)).text
    on_page = _choices_on_page(page)
    checks.save_check(checked_article, [MULTI, SINGLE], None)
    db.session.commit()
    name, value, _kind = on_page["The advisor who received it"]
    answer = client.post(_take_url(checked_article), data={"csrf_token": _hidden(page, "csrf_token"),
                                                           "check": _hidden(page, "check"), name: value})
    assert answer.status_code == 400
    assert "it may have changed since you opened it" in answer.text
    assert _attempts() == []


def test_the_check_of_an_article_a_reader_may_not_see_is_not_found(client, login_as, make_article):
    draft = make_article(title="Not yet", state="draft")
    checks.save_check(draft, [SINGLE], None)
    db.session.commit()
    login_as("staff", "sam")
    assert client.get(_take_url(draft)).status_code == 404
    login_as("trainer", "tina")
    assert client.get(_edit_url(draft)).status_code == 404


def test_an_article_without_a_check_has_no_check_page(client, login_as, make_article):
    article = make_article()
    login_as("staff", "sam")
    assert client.get(_take_url(article)).status_code == 404


def test_question_and_choice_text_is_escaped(client, login_as, make_article):
    article = make_article()
    login_as("trainer")
    attack = '<script>alert("q")</script>'
    assert _write(client, article, [(attack, [(attack + "1", True), ("<b>no</b>", False)])]).status_code == 303
    for url in (_take_url(article), _edit_url(article)):
        page = client.get(url).text
        assert "<script>alert" not in page and "<b>no</b>" not in page
        assert "&lt;script&gt;alert(" in page


# ---- the article page ---------------------------------------------------------------------------------

def test_the_article_page_offers_trainers_to_write_a_check_and_readers_to_take_one(client, login_as,
                                                                                   make_article, checked_article):
    plain = make_article(title="No check here")
    login_as("staff", "sam")
    assert "Take the knowledge check (2 questions)" in client.get(f"/kb/articles/{checked_article.id}").text
    page = client.get(f"/kb/articles/{plain.id}").text
    assert "knowledge check" not in page.lower()
    login_as("trainer", "tom")
    assert "Write a knowledge check" in client.get(f"/kb/articles/{plain.id}").text
    assert "Edit the knowledge check" in client.get(f"/kb/articles/{checked_article.id}").text


# ---- what learning paths read -------------------------------------------------------------------------

def test_articles_with_checks_names_only_the_articles_that_have_questions(app, make_article):
    with_check, without, removed = (make_article(title=t) for t in ("With", "Without", "Removed"))
    checks.save_check(with_check, [SINGLE], None)
    checks.save_check(removed, [SINGLE], None)
    checks.save_check(removed, [], None)
    assert checks.articles_with_checks([with_check.id, without.id, removed.id]) == {with_check.id}
    assert checks.articles_with_checks([]) == set()


def _ticking(article, index: int) -> dict[int, set[int]]:
    """Answers ticking the choice at `index` of every question (0 is the right one of SINGLE)."""
    return {q.id: {q.choices[index].id} for q in checks.questions_for(article.id)}


def test_passed_returns_the_pairs_with_a_passed_attempt_only(app, make_user, make_article):
    first, second = make_article(title="First"), make_article(title="Second")
    for article in (first, second):
        checks.save_check(article, [SINGLE], None)
    sam, kim = make_user("sam", "staff"), make_user("kim", "staff")
    checks.grade(first, sam, _ticking(first, 0))
    checks.grade(second, sam, _ticking(second, 1))
    checks.grade(second, kim, _ticking(second, 2))
    checks.grade(first, kim, _ticking(first, 1))  # kim fails first, then passes
    checks.grade(first, kim, _ticking(first, 0))
    assert checks.passed([sam.id, kim.id], [first.id, second.id]) == {(sam.id, first.id), (kim.id, first.id)}
    assert checks.passed([sam.id], [second.id]) == set()
    assert checks.passed([], [first.id]) == set()


def test_the_demo_check_is_written_for_a_published_article(app, make_user, make_article):
    from demo import checks as demo_checks
    make_article(title="Draft", state="draft")
    published = make_article(title="Published")
    make_user("trainer", "trainer")
    assert "2 questions" in demo_checks.load()
    assert checks.articles_with_checks([published.id]) == {published.id}
    assert db.session.scalar(select(func.count()).select_from(CheckQuestion)) == 2
