"""The content-health page, each section with real data, and opening an improvement from its evidence in one
step (a flag, unhelpful votes, a search that found nothing)."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from accounts import auth
from core import clock
from core.db import db, utcnow
from improvement import phases
from improvement.models import ArticleLink, Improvement
from kb.feedback import service as feedback
from kb.feedback.models import Flag
from kb.models import Article
from kb.search import log as search_log
from kb.search.models import SearchLog

PASSWORD = "correct horse battery"
DEMO_PASSWORD = "servicebook"
TODAY = clock.today()


@pytest.fixture
def signed_in(app, client, make_user):
    def sign_in(username: str, *roles: str, password: str = PASSWORD):
        if auth.find_user(username) is None:
            make_user(username, *(roles or ("staff",)))
        browser = app.test_client()
        assert browser.submit("/login", {"username": username, "password": password},
                              token_from="/login").status_code == 302
        return browser
    return sign_in


def section(page: str, anchor: str) -> str:
    """The text of one <section id=...> of the health page."""
    start = page.index(f'<section id="{anchor}"')
    return page[start:page.index("</section>", start)]


def votes(article, *answers, comment=""):
    """Each answer (True = helpful) from a different staff member, through kb.feedback."""
    for n, helpful in enumerate(answers):
        name = f"voter{article.id}x{n}"
        user = auth.find_user(name) or auth.create_user(name, ["staff"], PASSWORD)
        feedback.vote(article, user, helpful, comment if not helpful else "")
    db.session.commit()


def zero_searches(text: str, times: int, days_ago: int = 0) -> None:
    for _ in range(times):
        search_log.record(text, "", 0, 5.0, auth.Anonymous())
    if days_ago:
        db.session.execute(update(SearchLog).where(SearchLog.query == text)
                           .values(at=utcnow() - timedelta(days=days_ago)))
        db.session.commit()


def quiet_since(article, days: int, viewed: int | None = None, reused: int | None = None) -> None:
    """Published `days` ago; last viewed / reused that many days ago (None: never)."""
    ago = lambda n: utcnow() - timedelta(days=n) if n is not None else None  # noqa: E731
    db.session.execute(update(Article).where(Article.id == article.id).values(
        published_at=ago(days), created_at=ago(days), last_viewed_at=ago(viewed), last_reused_at=ago(reused)))
    db.session.commit()


def improvements() -> list[Improvement]:
    db.session.remove()
    return list(db.session.scalars(select(Improvement).order_by(Improvement.id)))


# ---- the sections ---------------------------------------------------------------------------------

def test_articles_past_their_review_date_are_listed_and_the_owner_confirms_from_the_row(
        make_user, make_article, signed_in):
    olga = make_user("olga", "editor")
    overdue = make_article(title="Old refund rules", owner=olga, review_by=TODAY - timedelta(days=5))
    make_article(title="Fresh rules", owner=olga, review_by=TODAY + timedelta(days=5))
    browser = signed_in("olga")
    listed = section(browser.get("/kb/health").text, "past-review")
    assert "Old refund rules" in listed and "Fresh rules" not in listed and "5 days overdue" in listed
    assert f'href="/kb/articles/{overdue.id}/edit"' in listed
    assert browser.submit(f"/kb/articles/{overdue.id}/reviewed", {"base_version": overdue.version},
                          token_from="/kb/health").status_code == 302
    assert "Old refund rules" not in section(browser.get("/kb/health").text, "past-review")


def test_open_flags_are_listed_with_a_link_to_resolve_them_and_resolved_ones_are_not(
        make_user, make_article, signed_in):
    olga = make_user("olga", "editor")
    article = make_article(title="Refund rules", owner=olga)
    sam = make_user("sam", "staff")
    open_flag = feedback.flag(article, sam, "outdated", "Now 60 days.")
    done = feedback.flag(article, sam, "unclear", "Which card?")
    feedback.resolve_flag(done, olga, "dismissed", note="It says: the original card.")
    db.session.commit()
    listed = section(signed_in("olga").get("/kb/health").text, "open-flags")
    assert "Now 60 days." in listed and "Which card?" not in listed
    assert f'href="/kb/flags#flag-{open_flag.id}"' in listed
    assert "Resolve" not in section(signed_in("eve", "editor").get("/kb/health").text, "open-flags")


def test_least_helpful_needs_three_answers_with_a_no_and_lists_the_lowest_share_first(make_article, signed_in):
    worst = make_article(title="Worst article")
    middling = make_article(title="Middling article")
    too_few = make_article(title="Too few answers")
    liked = make_article(title="Liked article")
    votes(worst, True, False, False, False)
    votes(middling, True, True, False)
    votes(too_few, False, False)
    votes(liked, True, True, True)
    listed = section(signed_in("lena", "quality_lead").get("/kb/health").text, "least-helpful")
    assert listed.index("Worst article") < listed.index("Middling article")
    assert "25%" in listed and "67%" in listed
    assert "Too few answers" not in listed and "Liked article" not in listed


def test_an_article_nobody_viewed_or_reused_for_90_days_is_listed_until_someone_opens_it(
        make_article, signed_in):
    quiet = make_article(title="Quiet article")
    viewed = make_article(title="Viewed lately")
    reused = make_article(title="Reused lately")
    young = make_article(title="Published lately")
    quiet_since(quiet, 200, viewed=91, reused=120)
    quiet_since(viewed, 200, viewed=89)
    quiet_since(reused, 200, reused=10)
    quiet_since(young, 60)
    browser = signed_in("olga", "editor")
    listed = section(browser.get("/kb/health").text, "unused")
    assert "Quiet article" in listed
    assert (utcnow() - timedelta(days=91)).strftime("%Y-%m-%d") in listed  # the last activity: its last view
    assert not any(title in listed for title in ("Viewed lately", "Reused lately", "Published lately"))
    browser.get(f"/kb/articles/{quiet.id}")
    assert "Quiet article" not in section(browser.get("/kb/health").text, "unused")


def test_the_top_searches_that_found_nothing_in_30_days_come_from_the_search_log(app, signed_in, make_user):
    zero_searches("gift card balance", 3)
    zero_searches("voucher expiry", 1)
    zero_searches("old question", 4, days_ago=40)
    search_log.record("refund", "", 5, 3.0, auth.Anonymous())
    listed = section(signed_in("olga", "editor").get("/kb/health").text, "zero-searches")
    assert listed.index("gift card balance") < listed.index("voucher expiry")
    assert "old question" not in listed and "refund" not in listed
    assert 'href="/kb/articles/new?issue=gift+card+balance"' in listed


def test_staff_may_not_see_content_health_nor_open_improvements(make_article, signed_in):
    sam = signed_in("sam")
    assert sam.get("/kb/health").status_code == 403
    article = make_article()
    flag = feedback.flag(article, auth.find_user("sam"), "wrong")
    db.session.commit()
    answer = sam.submit("/kb/health/improvement", {"kind": "flag", "ref": flag.id}, token_from="/")
    assert answer.status_code == 403 and improvements() == []
    editor = signed_in("olga", "editor")
    assert editor.get("/kb/health").status_code == 200
    assert "Open an improvement" not in editor.get("/kb/health").text
    assert editor.submit("/kb/health/improvement", {"kind": "flag", "ref": flag.id},
                         token_from="/kb/health").status_code == 403


# ---- opening an improvement from the evidence -------------------------------------------------------

def test_a_quality_lead_opens_an_improvement_from_a_flag_and_a_second_click_finds_the_same_one(
        make_article, make_user, signed_in):
    article = make_article(title="Refund rules")
    flag = feedback.flag(article, make_user("sam", "staff"), "missing_step", "Nothing about gift cards.")
    db.session.commit()
    lena = signed_in("lena", "quality_lead")
    assert "Open an improvement" in section(lena.get("/kb/health").text, "open-flags")
    answer = lena.submit("/kb/health/improvement", {"kind": "flag", "ref": flag.id}, token_from="/kb/health")
    [opened] = improvements()
    assert answer.status_code == 303 and answer.location.endswith(f"/improvements/{opened.id}")
    assert (opened.source, opened.origin, opened.phase, opened.dimension) == (
        "article_feedback", f"flag:{flag.id}", "plan", "reliability")
    assert "A step is missing" in opened.evidence and "Nothing about gift cards." in opened.evidence
    assert "Refund rules" in opened.title and opened.owner.username == "lena"
    link = db.session.scalars(select(ArticleLink)).one()
    assert (link.improvement_id, link.article_id, link.kind) == (opened.id, article.id, "related")
    page = lena.get(f"/improvements/{opened.id}").text
    assert "Opened from" in page and "Nothing about gift cards." in page and "Refund rules" in page

    again = lena.submit("/kb/health/improvement", {"kind": "flag", "ref": flag.id}, token_from="/kb/health")
    assert again.location.endswith(f"/improvements/{opened.id}") and len(improvements()) == 1
    assert f"Improvement #{opened.id} is open" in section(lena.get("/kb/health").text, "open-flags")


def test_a_cancelled_improvement_does_not_stop_a_new_one_from_the_same_flag(make_article, make_user, signed_in):
    article = make_article()
    flag = feedback.flag(article, make_user("sam", "staff"), "wrong")
    db.session.commit()
    lena = signed_in("lena", "quality_lead")
    lena.submit("/kb/health/improvement", {"kind": "flag", "ref": flag.id}, token_from="/kb/health")
    [first] = improvements()
    phases.cancel(first, auth.find_user("lena"), "Opened by mistake.")
    db.session.commit()
    lena.submit("/kb/health/improvement", {"kind": "flag", "ref": flag.id}, token_from="/kb/health")
    assert [i.phase for i in improvements()] == ["cancelled", "plan"]


def test_an_improvement_from_unhelpful_votes_quotes_their_counts_and_comments(make_article, signed_in):
    article = make_article(title="Parcel tracking")
    votes(article, True, False, False, comment="The tracking link is dead.")
    lena = signed_in("lena", "quality_lead")
    assert "Open an improvement" in section(lena.get("/kb/health").text, "least-helpful")
    answer = lena.submit("/kb/health/improvement", {"kind": "votes", "ref": article.id}, token_from="/kb/health")
    [opened] = improvements()
    assert answer.status_code == 303
    assert (opened.source, opened.origin) == ("article_feedback", f"votes:{article.id}")
    assert "2 of 3 answers said it did not help (1 said it did)" in opened.evidence
    assert opened.evidence.count("The tracking link is dead.") == 2
    assert [link.article_id for link in opened.article_links] == [article.id]


def test_an_improvement_from_a_search_that_found_nothing_counts_the_searches(signed_in):
    zero_searches("Gift card balance", 2)
    zero_searches("gift card balance", 1)
    lena = signed_in("lena", "quality_lead")
    answer = lena.submit("/kb/health/improvement", {"kind": "search", "ref": "Gift card balance"},
                         token_from="/kb/health")
    [opened] = improvements()
    assert answer.status_code == 303
    assert (opened.source, opened.origin) == ("search_gap", "search:gift card balance")
    assert "found nothing 3 times in the last 30 days" in opened.evidence and opened.article_links == []
    lena.submit("/kb/health/improvement", {"kind": "search", "ref": "GIFT card  balance"}, token_from="/kb/health")
    assert len(improvements()) == 1
    assert f"Improvement #{opened.id} is open" in section(lena.get("/kb/health").text, "zero-searches")


def test_evidence_that_does_not_exist_is_refused_with_a_reason(make_article, signed_in):
    liked = make_article(title="Liked")
    votes(liked, True, True, True)
    lena = signed_in("lena", "quality_lead")
    refused = {
        ("flag", "999999"): 404, ("flag", "abc"): 404, ("votes", str(liked.id)): 400,
        ("search", "never searched"): 400, ("rumour", "1"): 400,
    }
    for (kind, ref), status in refused.items():
        answer = lena.submit("/kb/health/improvement", {"kind": kind, "ref": ref}, token_from="/kb/health")
        assert answer.status_code == status, (kind, ref, answer.status_code)
    assert improvements() == []
    assert db.session.scalar(select(func.count()).select_from(Flag)) == 0


def test_the_demo_content_fills_the_flag_queue_and_the_health_page(app, signed_in):
    assert app.test_cli_runner().invoke(args=["init", "--demo"]).exit_code == 0
    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Flag).where(Flag.status == "open")) == 2
    fixed = db.session.scalars(select(Flag).where(Flag.status == "fixed")).one()
    assert fixed.fixed_in_revision > fixed.revision_number
    page = signed_in("quality_lead", password=DEMO_PASSWORD).get("/kb/health").text
    assert "refund" in section(page, "least-helpful").lower()
    assert "gift card balance" in section(page, "zero-searches")
    assert "Open an improvement" in section(page, "open-flags")
    queue = signed_in("editor", password=DEMO_PASSWORD).get("/kb/flags").text
    assert "Nothing for a customer who no longer has the phone number" in queue
    staff = signed_in("staff", password=DEMO_PASSWORD)
    assert "was fixed in revision" in staff.get(f"/kb/articles/{fixed.article_id}").text


def test_a_script_in_the_evidence_is_shown_as_text_on_the_improvement_page(make_article, make_user, signed_in):
    article = make_article(title='Refund <img src=x onerror="alert(1)">')
    flag = feedback.flag(article, make_user("sam", "staff"), "wrong", '<script>alert("evidence")</script>')
    db.session.commit()
    lena = signed_in("lena", "quality_lead")
    lena.submit("/kb/health/improvement", {"kind": "flag", "ref": flag.id}, token_from="/kb/health")
    [opened] = improvements()
    page = lena.get(f"/improvements/{opened.id}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;evidence&#34;)&lt;/script&gt;" in page
