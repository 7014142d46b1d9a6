"""A knowledge check in a real browser, without JavaScript doing any of it: a trainer writes it, a trainee
fails, re-reads and passes."""
from playwright.sync_api import expect

from tests.onboarding.test_knowledge_checks import MULTI, SINGLE
from tests.support.browser import log_in, log_out, sqlite_only


@sqlite_only
def test_in_a_browser_a_trainer_writes_a_check_and_a_trainee_fails_then_passes_it(page, screenshot, make_user,
                                                                                 make_article):
    article = make_article(title="Complaint handling")
    make_user("tina", "trainer")
    make_user("sam", "staff")
    log_in(page, "tina")
    page.goto(f"/kb/articles/{article.id}")
    page.get_by_role("link", name="Write a knowledge check").click()
    for n, (text, choices) in enumerate([SINGLE, MULTI], start=1):
        question = page.get_by_role("group", name=f"Question {n}")
        question.get_by_label("Question", exact=True).fill(text)
        for c, (choice, correct) in enumerate(choices, start=1):
            question.get_by_label(f"Choice {c}", exact=True).fill(choice)
            if correct:
                question.get_by_label(f"correct (choice {c})").check()
    screenshot(page, "editor")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_have_text("Knowledge check saved: 2 questions.")
    log_out(page)

    log_in(page, "sam")
    page.goto(f"/kb/articles/{article.id}")
    page.get_by_role("link", name="Take the knowledge check (2 questions)").click()
    page.get_by_label("The advisor who received it").check()
    page.get_by_label("The customer's own words").check()
    page.get_by_role("button", name="Check my answers").click()
    expect(page.locator(".flash").nth(1)).to_have_text("Re-read for question 2: Which go in the complaint log?")
    screenshot(page, "failed")
    page.get_by_label("The advisor who received it").check()
    page.get_by_label("The customer's own words").check()
    page.get_by_label("The outcome they want").check()
    page.get_by_role("button", name="Check my answers").click()
    expect(page.locator(".flash")).to_have_text("Passed: all 2 answers are right.")
    expect(page.locator(".check-status.passed")).to_be_visible()
    screenshot(page, "passed")
