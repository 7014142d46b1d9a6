"""Search through the real stack: the Whoosh index kept in step with the database, the pages, the API."""
import re

import pytest

from accounts import tokens
from accounts.auth import find_user
from core.db import db
from kb import search
from kb.search import index as search_index
from kb.search.models import SearchLog


def titles(page_text: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", t) for t in re.findall(r'class="hit-title"[^>]*>(.*?)</a>', page_text)]


def found(client, words: str, **args) -> list[str]:
    answer = client.get("/search", query_string={"q": words, **args})
    assert answer.status_code == 200
    return titles(answer.text)


def test_english_words_are_found_through_their_stems(client, login_as, make_article):
    make_article(title="Issuing refunds", body="Refunds are processed within five days.")
    login_as("staff")
    assert found(client, "refund") == ["Issuing refunds"]
    assert found(client, "processing") == ["Issuing refunds"]


def test_a_chinese_two_character_word_is_found_inside_a_longer_word(client, login_as, make_article):
    make_article(title="后台任务", body="使用子进程执行命令，然后等待。", language="zh")
    make_article(title="无关", body="今天进行培训。", language="zh")
    login_as("staff")
    assert found(client, "进程") == ["后台任务"]
    assert found(client, "执行命令") == ["后台任务"]
    assert found(client, "子进程执行") == ["后台任务"]
    assert found(client, "行命") == ["后台任务"]  # a substring across jieba's word boundary


def test_the_title_counts_more_than_the_body(client, login_as, make_article):
    make_article(title="Daily routine", body="Escalation happens. Escalation again. Escalation.")
    make_article(title="Escalation path", body="Who takes over a case.")
    login_as("staff")
    assert found(client, "escalation")[0] == "Escalation path"


def test_a_quoted_phrase_needs_its_words_in_that_order(client, login_as, make_article):
    make_article(title="A", body="Log the customer complaint at once.")
    make_article(title="B", body="The complaint of a customer is logged.")
    login_as("staff")
    assert found(client, '"customer complaint"') == ["A"]
    assert sorted(found(client, "customer complaint")) == ["A", "B"]


def test_a_chinese_phrase_is_matched_exactly(client, login_as, make_article):
    make_article(title="甲", body="请先核实客户身份。", language="zh")
    make_article(title="乙", body="客户需要核实的是身份证。", language="zh")
    login_as("staff")
    assert found(client, '"核实客户"') == ["甲"]


def test_a_word_being_typed_is_searched_as_a_prefix(client, login_as, make_article):
    make_article(title="Escalation path", body="Who takes over.")
    login_as("staff")
    assert found(client, "escal*") == ["Escalation path"]
    suggestions = client.get("/search/suggest", query_string={"q": "escal"}).get_json()
    assert [s["title"] for s in suggestions] == ["Escalation path"]
    assert suggestions[0]["url"].startswith("/kb/articles/")


def test_staff_never_find_drafts_and_visitors_find_public_articles_only(client, login_as, make_article):
    make_article(title="Refund draft", body="refund", state="draft")
    make_article(title="Refund for staff", body="refund", audience="staff")
    make_article(title="Refund for everyone", body="refund", audience="public")
    assert found(client, "refund") == ["Refund for everyone"]
    assert client.get("/search/suggest?q=refund").get_json() == [
        {"title": "Refund for everyone", "url": client.get("/search/suggest?q=refund").get_json()[0]["url"]}]
    login_as("staff")
    assert sorted(found(client, "refund")) == ["Refund for everyone", "Refund for staff"]
    client.post("/logout", data={"csrf_token": client.csrf()})
    login_as("editor")
    assert sorted(found(client, "refund")) == ["Refund draft", "Refund for everyone", "Refund for staff"]


def test_facets_count_the_results_and_filter_on_click(client, login_as, make_article):
    make_article(title="Refund FAQ", body="refund", type="faq", tags=["money"])
    make_article(title="Refund procedure", body="refund", type="procedure", tags=["money", "steps"])
    make_article(title="退款 refund", body="refund", type="procedure", language="zh")
    login_as("staff")
    results = search.search("refund", find_user("staff"))
    assert dict(results.facets["type"]) == {"procedure": 2, "faq": 1}
    assert dict(results.facets["language"]) == {"en": 2, "zh": 1}
    assert dict(results.facets["tag"]) == {"money": 2, "steps": 1}
    page = client.get("/search?q=refund").text
    assert "type=faq" in page and "tag=money" in page
    assert found(client, "refund", type="procedure", lang="en") == ["Refund procedure"]
    assert sorted(found(client, "refund", tag="money")) == ["Refund FAQ", "Refund procedure"]


def test_results_sort_by_date_and_come_in_pages(app, client, login_as, make_article):
    for n in range(12):
        make_article(title=f"Refund note {n:02d}", body="refund " * (12 - n))
    login_as("staff")
    assert found(client, "refund", sort="date")[:2] == ["Refund note 11", "Refund note 10"]
    second = client.get("/search?q=refund&page=2")
    assert len(titles(second.text)) == 2 and "Page 2 of 2" in second.text


def test_a_misspelt_english_word_gets_a_did_you_mean(client, login_as, make_article):
    make_article(title="Complaint handling", body="How to handle a complaint.")
    login_as("staff")
    page = client.get("/search?q=complaitn").text
    assert "Did you mean" in page and ">complaint</a>" in page


def test_snippets_mark_the_matched_words_and_escape_the_text(client, login_as, make_article):
    make_article(title="Scripts", body="Never paste `<script>alert(1)</script>` into a refund form.")
    login_as("staff")
    page = client.get("/search?q=refund").text
    assert "<mark" in page and "refund</mark>" in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


@pytest.mark.parametrize("words", ['"unbalanced', "(((", "title:", "tag:", "a" * 2000, "\x01\x02 refund \x7f",
                                   "refund)", "-", "*", '""', "title:\"\"", "ｒｅｆｕｎｄ", "🙂", "%00"])
def test_odd_queries_give_results_or_a_message_never_an_error(client, login_as, make_article, words):
    make_article(title="Refund", body="refund")
    login_as("staff")
    answer = client.get("/search", query_string={"q": words})
    assert answer.status_code == 200
    api_answer = client.get("/api/v1/search", query_string={"q": words})
    assert api_answer.status_code == 200 and "hits" in api_answer.get_json()


def test_a_long_query_is_cut_and_says_so(client, login_as):
    login_as("staff")
    assert "Only the first 200 characters" in client.get("/search", query_string={"q": "word " * 100}).text


def test_an_edit_is_searchable_at_once_and_the_old_words_are_gone(app, client, login_as, make_article):
    article = make_article(title="Old title", body="Parcel tracking.")
    from kb import service
    content = service.ArticleContent(title="Delivery tracking", body="Parcel tracking.", type=article.type,
                                     category_id=article.category_id, owner_id=article.owner_id)
    service.revise_article(article, article.version, content, article.owner)
    db.session.commit()
    login_as("staff")
    assert found(client, "delivery") == ["Delivery tracking"]
    assert found(client, "old") == []
    assert not search_index.check().any


def test_an_article_edited_after_a_search_is_found_once_with_its_new_text(app, client, login_as, make_article):
    article = make_article(title="Refund window", body="Refunds within 30 days.")
    login_as("staff")
    assert found(client, "refund") == ["Refund window"]  # the worker's searcher is open now
    from kb import service
    content = service.ArticleContent(title="Refund window", body="Refunds within 60 days.", type=article.type,
                                     category_id=article.category_id, owner_id=article.owner_id)
    service.revise_article(article, article.version, content, article.owner)
    db.session.commit()
    assert found(client, "refund") == ["Refund window"]  # Whoosh's refresh() listed it twice: old and new
    assert "60" in client.get("/api/v1/search?q=refund").get_json()["hits"][0]["snippet"]


def test_an_archived_article_leaves_staff_results(client, login_as, make_user, make_article):
    article = make_article(title="Old refund rule", body="refund")
    from kb import service
    service.change_state(article, "archive", article.version, make_user("pub", "publisher"))
    db.session.commit()
    login_as("staff")
    assert found(client, "refund") == []


def test_a_failed_index_update_keeps_the_edit_and_catches_up_later(app, client, login_as, make_article, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(search_index, "_write_documents", broken)
    make_article(title="Written while the disk was full", body="refund")
    assert search_index.pending_count() == 1  # logged, not applied: the index's position stayed
    drift = search_index.check()
    assert drift.missing and drift.pending == 1
    monkeypatch.undo()
    make_article(title="Next write", body="refund")
    assert search_index.pending_count() == 0
    assert not search_index.check().any


def test_the_search_commands_rebuild_update_and_check(app, make_article):
    make_article(title="Refund", body="refund")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    searcher_index = search_index.search_index().open()
    writer = searcher_index.writer()
    writer.delete_by_term("id", "1")
    writer.add_document(id="999999", title="ghost", fingerprint="x")
    writer.commit()
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 1 and "1 in the index but not in the database: 999999" in result.output
    rebuilt = runner.invoke(args=["search", "rebuild"])
    assert rebuilt.exit_code == 0 and "Indexed 1 articles" in rebuilt.output
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    assert runner.invoke(args=["search", "update"]).exit_code == 0
    assert runner.invoke(args=["search", "optimize"]).exit_code == 0


def test_searches_and_clicks_are_logged_for_the_report(client, login_as, make_article):
    article = make_article(title="Refund", body="refund")
    login_as("editor")
    page = client.get("/search?q=refund").text
    link = re.search(r'href="(/kb/articles/[^"]*from_search=[A-Za-z0-9_-]+)"', page).group(1).replace("&amp;", "&")
    assert client.get(link).status_code == 200
    client.get("/search?q=teleportation")
    rows = {r.query: r for r in db.session.query(SearchLog)}
    assert rows["refund"].hits == 1 and rows["refund"].clicked_article_id == article.id
    assert rows["teleportation"].hits == 0
    report = client.get("/search/report").text
    assert "teleportation" in report and "/kb/articles/new?issue=teleportation" in report
    assert "50%" in report  # one of two searches led to a click


def test_a_zero_result_search_offers_editors_a_prefilled_draft(client, login_as):
    login_as("editor")
    assert "/kb/articles/new?issue=teleportation" in client.get("/search?q=teleportation").text
    editor = client.get("/kb/articles/new?issue=teleportation").text
    assert 'value="teleportation"' in editor and "## Issue\n\nteleportation" in editor


def test_staff_may_not_see_the_search_report(client, login_as):
    login_as("staff")
    assert client.get("/search/report").status_code == 403


def test_the_api_searches_with_a_personal_token(app, client, make_user, make_article):
    make_article(title="Refund FAQ", body="How a refund works.", type="faq")
    make_article(title="Refund draft", body="refund", state="draft")
    token = tokens.issue_token(make_user("panel", "staff"), "side panel")
    db.session.commit()
    answer = client.get("/api/v1/search?q=refund", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers
    body = answer.get_json()
    assert body["total"] == 1 and body["hits"][0]["title"] == "Refund FAQ"
    assert "<mark" in body["hits"][0]["snippet"] and body["hits"][0]["url"].startswith("http")
    assert body["facets"]["type"] == [{"value": "faq", "count": 1}]
    article = client.get(f"/api/v1/articles/{body['hits'][0]['id']}", headers={"Authorization": f"Bearer {token}"})
    assert article.status_code == 200 and "<p>How a refund works.</p>" in article.get_json()["html"]


def test_the_api_refuses_missing_or_bad_tokens_and_bad_filters_in_json(client, make_user, make_article):
    draft = make_article(title="Draft", body="x", state="draft")
    token = tokens.issue_token(make_user("panel", "staff"))
    db.session.commit()
    assert client.get("/api/v1/search?q=x").status_code == 401
    bad = client.get("/api/v1/search?q=x", headers={"Authorization": "Bearer sb_wrong"})
    assert bad.status_code == 401 and "not valid" in bad.get_json()["error"]["reason"]
    wrong = client.get("/api/v1/search?q=x&type=novel&page=abc", headers={"Authorization": f"Bearer {token}"})
    assert wrong.status_code == 400 and "novel" in wrong.get_json()["error"]["reason"]
    hidden = client.get(f"/api/v1/articles/{draft.id}", headers={"Authorization": f"Bearer {token}"})
    assert hidden.status_code == 404 and hidden.is_json


def test_the_token_command_issues_and_revokes(app, client, make_user):
    make_user("panel", "staff")
    runner = app.test_cli_runner()
    issued = runner.invoke(args=["users", "token", "panel", "--label", "side panel"])
    token = issued.output.strip().splitlines()[-1]
    assert client.get("/api/v1/search?q=x", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert "Revoked 1" in runner.invoke(args=["users", "token", "panel", "--revoke"]).output
    assert client.get("/api/v1/search?q=x", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_staff_find_nothing_when_every_match_is_a_draft(client, login_as, make_article):
    make_article(title="Refund draft", body="refund", state="draft")
    login_as("staff")
    assert found(client, "refund") == []
    assert client.get("/search/suggest?q=refund").get_json() == []


@pytest.mark.parametrize("number", ["²", "١٢", "５", "99999999999"])
def test_digits_that_are_not_ascii_numbers_are_refused_with_a_reason(client, login_as, number):
    login_as("staff")
    assert client.get("/search", query_string={"q": "x", "page": number, "category": number}).status_code == 200
    answer = client.get("/api/v1/search", query_string={"q": "x", "page": number})
    assert answer.status_code == 400 and "whole number" in answer.get_json()["error"]["reason"]
    assert client.get("/search/report", query_string={"days": number}).status_code == 403
    assert client.get("/kb/articles/1", query_string={"from_search": number}).status_code == 404
