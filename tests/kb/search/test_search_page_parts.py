"""The search page's own parts, made cheaper for issue 13 and still right: category paths, hit links and type
labels, the header's language switcher (plain HTML now, no WTForms form per page), and the user with their roles
in one query. Through the real stack, on both databases."""
import re
from html import unescape

from sqlalchemy import event, update

from accounts.auth import UserRole
from core.db import db
from kb.models import Category


def _form(page: str, css_class: str) -> str:
    return re.search(rf'<form class="{css_class}"[^>]*>(.*?)</form>', page, re.S).group(1)


def _value(form: str, name: str) -> str:
    return unescape(re.search(rf'name="{name}"[^>]*value="([^"]*)"', form).group(1))


def test_hits_and_facets_show_whole_category_paths_and_a_rename_elsewhere_is_seen_at_once(client, login_as,
                                                                                          make_article):
    make_article(title="Card refunds", body="refund", category="Money/Refunds/Cards")
    make_article(title="Cash refunds", body="refund", category="Money")
    login_as("staff")
    page = client.get("/search?q=refund").text
    assert '<p class="meta">Money/Refunds/Cards · ' in page and '<p class="meta">Money · ' in page
    facet = re.search(r"<h2>Category</h2>(.*?)</ul>", page, re.S).group(1)
    assert sorted(re.findall(r'>([^<]+)</a> <span class="n">1</span>', facet)) == ["Money", "Money/Refunds/Cards"]
    with db.engine.begin() as other:  # another worker or host renames the top category
        other.execute(update(Category).where(Category.name == "Money").values(name="Finance & <Cash>"))
    page = client.get("/search?q=refund").text
    assert "Finance &amp; &lt;Cash&gt;/Refunds/Cards" in page and "Money" not in page
    assert "<Cash>" not in page


def test_a_hit_links_to_its_article_with_the_searchs_token_and_names_its_type_in_the_readers_language(
        client, login_as, make_article):
    article = make_article(title="Refund rules", body="refund", type="faq")
    login_as("staff")
    page = client.get("/search?q=refund").text
    link = re.search(r'<a class="hit-title" href="([^"]+)">Refund rules</a>', page).group(1)
    assert re.fullmatch(rf"/kb/articles/{article.id}/{article.slug}\?from_search=[A-Za-z0-9_-]{{16}}", link)
    assert '<span class="badge type">FAQ</span>' in page
    client.submit("/language", {"language": "zh", "next": "/"})
    page = client.get("/search?q=refund").text
    assert '<span class="badge type">FAQ</span>' not in page
    assert '<span class="badge type">常见问题</span>' in page


def test_the_language_switcher_shows_the_current_language_and_its_form_as_rendered_switches(client, login_as):
    login_as("staff")
    page = client.get("/search", query_string={"q": 'a"<b>&c'}).text
    switcher = _form(page, "inline language")
    assert "<b>" not in switcher
    assert _value(switcher, "next") == "/search?q=a%22%3Cb%3E%26c"
    assert '<option selected value="en">English</option><option value="zh">简体中文</option>' in switcher
    token = _value(switcher, "csrf_token")
    answer = client.post("/language", data={"csrf_token": token, "next": _value(switcher, "next"), "language": "zh"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/search?q=a%22%3Cb%3E%26c")
    page = client.get("/search?q=x").text
    assert '<html lang="zh-Hans">' in page
    assert '<option value="en">English</option><option selected value="zh">简体中文</option>' in page


def test_the_user_and_their_roles_load_in_one_query_and_a_role_taken_away_counts_at_once(client, login_as):
    user = login_as("editor", "ed")
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()).lower())
    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        page = client.get("/search?q=x").text
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert 'href="/kb/articles/new"' in page  # an editor's link: the roles were loaded
    on_users = [s for s in statements if "from users" in s]
    assert len(on_users) == 1 and "join user_roles" in on_users[0], statements
    assert not [s for s in statements if s.startswith("select") and "from user_roles" in s], statements
    with db.engine.begin() as other:
        other.execute(update(UserRole).where(UserRole.user_id == user.id).values(role="staff"))
    assert 'href="/kb/articles/new"' not in client.get("/search?q=x").text
