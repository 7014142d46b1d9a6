"""Suggestions from the search log: the synonym-candidate rule (plain, no app), the candidates read from the log,
the search report showing them with Accept, and zero-result searches that find articles now."""
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from accounts import auth
from core.db import db, utcnow
from kb.search import log as search_log
from kb.search import synonyms
from kb.search.models import SearchLog, Synonym
from kb.search.synonyms import suggestions
from kb.search.synonyms.suggestions import Search, rewrites

T0 = datetime(2026, 3, 2, 9, 0)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def pairs(*searches: Search) -> list[tuple[str, str]]:
    return [(a.query, b.query) for a, b in rewrites(searches)]


# ---- the rule ------------------------------------------------------------------------------------------

def test_a_search_that_opened_nothing_pairs_with_the_next_that_opened_an_article_within_ten_minutes():
    assert pairs(Search(1, "顾客", False, at(0)), Search(1, "客户", True, at(3))) == [("顾客", "客户")]
    assert pairs(Search(1, "顾客", False, at(0)), Search(1, "客户", True, at(10))) == [("顾客", "客户")]


def test_a_search_more_than_ten_minutes_later_does_not_pair():
    assert pairs(Search(1, "顾客", False, at(0)), Search(1, "客户", True, at(10.5))) == []


def test_another_persons_search_does_not_pair():
    assert pairs(Search(1, "顾客", False, at(0)), Search(2, "客户", True, at(1))) == []


def test_a_search_that_opened_an_article_starts_no_pair():
    assert pairs(Search(1, "顾客", True, at(0)), Search(1, "客户", True, at(1))) == []


def test_the_same_query_in_another_letter_case_or_spacing_is_no_pair():
    assert pairs(Search(1, "Reset password", False, at(0)), Search(1, "reset  PASSWORD", True, at(1))) == []
    assert pairs(Search(1, "忘记 密码", False, at(0)), Search(1, "忘记密码", True, at(1))) == []


def test_only_the_first_later_search_that_opened_an_article_pairs():
    found = pairs(Search(1, "手机", False, at(0)), Search(1, "mobile", False, at(1)), Search(1, "iPhone", True, at(2)),
                  Search(1, "Android", True, at(3)))
    assert found == [("手机", "iPhone"), ("mobile", "iPhone")]


# ---- candidates from the log ---------------------------------------------------------------------------

def logged(user, query: str, minutes_ago: float, opened=None, source: str = "page", hits: int | None = None) -> None:
    db.session.add(SearchLog(query=query, hits=(1 if opened else 0) if hits is None else hits, source=source,
                             user_id=user.id, clicked_article_id=opened.id if opened else None,
                             at=utcnow() - timedelta(minutes=minutes_ago)))
    db.session.commit()


@pytest.fixture
def people(make_user):
    return [make_user(name, "staff") for name in ("ann", "bob", "cai")]


def test_candidates_count_pairs_most_frequent_first(people, make_article):
    article = make_article(title="客户积分", body="客户可以用积分兑换礼品。", language="zh")
    ann, bob, cai = people
    for person in (ann, bob):
        logged(person, "顾客", 30)
        logged(person, "客户", 28, opened=article)
    logged(cai, "退钱", 40)
    logged(cai, "退款", 39, opened=article)
    logged(cai, "refunds", 20)
    logged(cai, "Refund", 19, opened=article)  # the same words to a search: no entry could help
    logged(cai, "顾客", 10, hits=3)  # found something but opened nothing: counts too
    logged(cai, "客户", 5, opened=article)
    found = suggestions.candidates()
    assert [(c.a, c.b, c.count) for c in found] == [("顾客", "客户", 3), ("退钱", "退款", 1)]
    assert abs(found[0].last_seen - (utcnow() - timedelta(minutes=5))) < timedelta(seconds=5)


def test_searching_the_same_words_twice_before_one_click_counts_once(people, make_article):
    article = make_article(title="客户积分", body="客户可以用积分兑换礼品。", language="zh")
    ann = people[0]
    logged(ann, "顾客", 9)
    logged(ann, "顾客", 8)
    logged(ann, "客户", 7, opened=article)
    assert [(c.a, c.b, c.count) for c in suggestions.candidates()] == [("顾客", "客户", 1)]


def test_other_peoples_api_and_old_searches_make_no_candidates(people, make_article):
    article = make_article(title="客户积分", body="客户可以用积分兑换礼品。", language="zh")
    ann, bob, _cai = people
    logged(ann, "顾客", 12)
    logged(bob, "客户", 11, opened=article)                 # someone else opened it
    logged(ann, "会员", 40)
    logged(ann, "积分", 25, opened=article)                 # fifteen minutes later
    logged(bob, "礼品", 6, source="api")
    logged(bob, "积分", 5, source="api", opened=article)    # not the search page
    logged(bob, "兑换", 31 * 24 * 60)
    logged(bob, "积分", 31 * 24 * 60 - 1, opened=article)  # before the report's 30 days
    assert suggestions.candidates() == []
    assert [(c.a, c.b) for c in suggestions.candidates(days=40)] == [("兑换", "积分")]


@pytest.mark.parametrize("kept", ["顾客 -> 客户", "客户 = 顾客 = customer", "顧客 -> customer, 客户"])
def test_a_pair_a_kept_entry_covers_already_is_left_out(people, make_article, kept):
    article = make_article(title="客户积分", body="客户可以用积分兑换礼品。", language="zh")
    logged(people[0], "顾客", 3)
    logged(people[0], "客户", 2, opened=article)
    synonyms.add(synonyms.parse_line(kept), None)
    db.session.commit()
    assert suggestions.candidates() == []


def test_an_entry_the_other_way_round_does_not_cover_a_pair(people, make_article):
    article = make_article(title="客户积分", body="客户可以用积分兑换礼品。", language="zh")
    logged(people[0], "顾客", 3)
    logged(people[0], "客户", 2, opened=article)
    synonyms.add(synonyms.parse_line("客户 -> 顾客"), None)
    db.session.commit()
    assert [(c.a, c.b) for c in suggestions.candidates()] == [("顾客", "客户")]


# ---- the search report ---------------------------------------------------------------------------------

def search_then_open(client, query: str) -> None:
    """Search on the page and open the first result, as a person does."""
    page = client.get("/search", query_string={"q": query}).text
    link = re.search(r'href="(/kb/articles/[^"]*from_search=[A-Za-z0-9_-]+)"', page).group(1).replace("&amp;", "&")
    assert client.get(link).status_code == 200


def log_out(client) -> None:
    assert client.submit("/logout").status_code == 302


def candidate_rows(page: str) -> list[tuple[str, str]]:
    section = page[page.index('id="candidates"'):]
    section = section[:section.index("</section>")]
    return re.findall(r'<tr><td><a href="[^"]*">([^<]*)</a></td><td><a href="[^"]*">([^<]*)</a></td>', section)


def test_the_report_shows_a_candidate_and_an_editor_accepts_it_as_a_one_way_entry(client, login_as, make_article):
    make_article(title="积分兑换礼品", body="客户可以用积分兑换礼品。", language="zh")
    login_as("staff")
    assert "积分兑换礼品" not in client.get("/search?q=顾客").text
    search_then_open(client, "客户")
    log_out(client)

    login_as("editor")
    report = client.get("/search/report").text
    assert candidate_rows(report) == [("顾客", "客户")]
    assert 'action="/kb/synonyms/accept"' in report and 'name="a" value="顾客"' in report
    answer = client.submit("/kb/synonyms/accept", {"a": "顾客", "b": "客户"}, token_from="/search/report")
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/search/report")
    report = client.get("/search/report").text
    assert "Added: 顾客 → 客户. A search for 顾客 now finds 客户 too." in report
    assert candidate_rows(report) == []
    assert "No synonym candidates." in report
    db.session.remove()
    row = db.session.scalars(select(Synonym)).one()
    assert row.one_way and row.term_list == ["顾客", "客户"] and row.created_by_id == auth.find_user("editor").id
    # and the zero-result search is solved: it finds the article now
    assert re.search(r">顾客</a>\s*<span class=\"badge verified\">solved: finds 1 article now</span>", report)


def test_a_quality_lead_sees_the_candidates_without_the_accept_button(client, login_as, make_article):
    make_article(title="积分兑换礼品", body="客户可以用积分兑换礼品。", language="zh")
    login_as("staff")
    client.get("/search?q=顾客")
    search_then_open(client, "客户")
    log_out(client)
    login_as("quality_lead")
    report = client.get("/search/report").text
    assert candidate_rows(report) == [("顾客", "客户")]
    assert "/kb/synonyms/accept" not in report
    assert client.submit("/kb/synonyms/accept", {"a": "顾客", "b": "客户"}, token_from="/search/report").status_code == 403


def test_accepting_a_pair_that_is_no_entry_or_is_kept_already_is_refused_and_saves_nothing(client, login_as):
    login_as("editor")
    invalid = client.submit("/kb/synonyms/accept", {"a": "refunds", "b": "refund"}, token_from="/kb/synonyms")
    assert invalid.status_code == 400
    assert "two different terms" in invalid.text and 'value="refunds -&gt; refund"' in invalid.text
    assert client.submit("/kb/synonyms/accept", {"a": "顾客", "b": "客户"}, token_from="/kb/synonyms").status_code == 303
    again = client.submit("/kb/synonyms/accept", {"a": "顧客", "b": "客户"}, token_from="/kb/synonyms")
    assert again.status_code == 409 and "This entry is kept already" in again.text
    assert client.submit("/kb/synonyms/accept", {"a": "顾客"}, token_from="/kb/synonyms").status_code == 400
    db.session.remove()
    assert len(db.session.scalars(select(Synonym)).all()) == 1


def test_a_zero_result_search_that_finds_a_published_article_now_is_marked_solved(client, login_as, make_article):
    for query in ("gift card balance", "teleportation", "voucher expiry"):
        search_log.record(query, "", 0, 5.0, auth.Anonymous())
    make_article(title="Gift card balance", body="How to check the balance of a gift card.")
    make_article(title="Voucher expiry", body="When a voucher expires.", state="draft")  # staff would not see it
    login_as("editor")
    report = client.get("/search/report").text
    zero = report[report.index("Searches that found nothing"):report.index('id="candidates"')]
    assert re.search(r">gift card balance</a>\s*<span class=\"badge verified\">solved: finds 1 article now", zero)
    assert zero.count("solved:") == 1
    assert "/kb/articles/new?issue=teleportation" in zero


def test_found_now_counts_what_a_member_of_staff_finds(app, make_article):
    make_article(title="Gift card balance", body="gift card")
    make_article(title="Gift card fraud", body="gift card", state="draft")
    make_article(title="Gift card terms", body="gift card", audience="staff")
    assert suggestions.found_now(["gift card", "teleportation"]) == {"gift card": 2, "teleportation": 0}
