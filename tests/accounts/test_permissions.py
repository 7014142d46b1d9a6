"""Who may see and do what: every role (and the anonymous visitor) against every guarded page."""
import pytest
from sqlalchemy import func, select

from accounts import auth
from core.db import db
from kb import service
from kb.models import Article, Category, Revision

ROLES = ["staff", "editor", "publisher", "trainer", "quality_lead", "admin"]
EVERYONE = ["anonymous", *ROLES]
LOGIN = "login"  # a 302 to the login page


def _who(role, login_as):
    if role != "anonymous":
        login_as(role, f"{role}-user")


def _assert_status(answer, expected, url):
    if expected == LOGIN:
        assert answer.status_code == 302, (url, answer.status_code)
        assert answer.headers["Location"].startswith("/login"), answer.headers["Location"]
    else:
        assert answer.status_code == expected, (url, answer.status_code)


def _state_in_database(article_id: int) -> str:
    """Read through a connection of its own, so nothing cached in a session can answer."""
    with db.engine.connect() as connection:
        return connection.scalar(select(Article.state).where(Article.id == article_id))


# ---- pages --------------------------------------------------------------------------------------

#                     anonymous staff  editor publisher trainer quality_lead admin
PAGES = {
    "new article":     (LOGIN,    403,   200,   200,      403,    403,         200),
    "edit article":    (LOGIN,    403,   200,   200,      403,    403,         200),
    "review list":     (LOGIN,    403,   200,   200,      403,    403,         200),
    "categories":      (LOGIN,    403,   200,   200,      403,    403,         200),
    "history":         (LOGIN,    200,   200,   200,      200,    200,         200),
    "diff":            (LOGIN,    200,   200,   200,      200,    200,         200),
    "draft article":   (404,      404,   200,   200,      404,    404,         200),
    "draft history":   (LOGIN,    404,   200,   200,      404,    404,         200),
    "draft edit":      (LOGIN,    403,   200,   200,      403,    403,         200),
    "in-review article": (404,    404,   200,   200,      404,    404,         200),
    "archived article": (404,     404,   200,   200,      404,    404,         200),
    "staff article":   (404,      200,   200,   200,      200,    200,         200),
    "trainee article": (404,      200,   200,   200,      200,    200,         200),
    "public article":  (200,      200,   200,   200,      200,    200,         200),
    "public draft":    (404,      404,   200,   200,      404,    404,         200),
    "people":          (LOGIN,    403,   403,   403,      403,    403,         200),
    "new person":      (LOGIN,    403,   403,   403,      403,    403,         200),
    "edit person":     (LOGIN,    403,   403,   403,      403,    403,         200),
    "change password": (LOGIN,    200,   200,   200,      200,    200,         200),
}
MATRIX = [(page, role, row[i]) for page, row in PAGES.items() for i, role in enumerate(EVERYONE)]


FIXED_PAGES = {"new article": "/kb/articles/new", "review list": "/kb/review", "categories": "/kb/categories",
               "people": "/admin/users", "new person": "/admin/users/new", "change password": "/account/password"}
PERSON_PAGES = {"edit person": "/admin/users/{id}"}
# page -> (state, audience, which page of the article)
ARTICLE_PAGES = {
    "edit article": ("published", "staff", "/edit"),
    "history": ("published", "staff", "/history"),
    "diff": ("published", "staff", "/diff?a=1&b=1"),
    "draft article": ("draft", "staff", ""),
    "draft history": ("draft", "staff", "/history"),
    "draft edit": ("draft", "staff", "/edit"),
    "in-review article": ("review", "staff", ""),
    "archived article": ("archived", "staff", ""),
    "staff article": ("published", "staff", ""),
    "trainee article": ("published", "trainees", ""),
    "public article": ("published", "public", ""),
    "public draft": ("draft", "public", ""),
}
assert set(FIXED_PAGES) | set(ARTICLE_PAGES) | set(PERSON_PAGES) == set(PAGES)


def _url_of(page: str, make_article) -> str:
    if page in FIXED_PAGES:
        return FIXED_PAGES[page]
    if page in PERSON_PAGES:
        someone = auth.create_user("someone", ["staff"], "a long enough password")
        db.session.commit()
        return PERSON_PAGES[page].format(id=someone.id)
    state, audience, suffix = ARTICLE_PAGES[page]
    found = make_article(title=f"The {page}", state=state, audience=audience)
    return f"/kb/articles/{found.id}{suffix}" if suffix else f"/kb/articles/{found.id}/{found.slug}"


@pytest.mark.parametrize(("page", "role", "expected"), MATRIX, ids=[f"{p}-{r}" for p, r, _ in MATRIX])
def test_page_answers_each_role_as_the_matrix_says(client, login_as, make_article, page, role, expected):
    url = _url_of(page, make_article)
    _who(role, login_as)
    _assert_status(client.get(url), expected, url)


def test_login_redirect_remembers_the_page_asked_for(client, make_article):
    answer = client.get("/kb/review")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/login?next=%2Fkb%2Freview"


# ---- writes by roles that may not write -------------------------------------------------------------

def _snapshot() -> tuple:
    with db.engine.connect() as connection:
        return (connection.scalar(select(func.count()).select_from(Article)),
                connection.scalar(select(func.count()).select_from(Revision)),
                connection.scalar(select(func.count()).select_from(Category)),
                tuple(connection.execute(select(Article.id, Article.title, Article.body, Article.version)
                                         .order_by(Article.id))))


WRITES = ["new article", "edit article", "restore revision", "new category"]
READERS_ONLY = [(write, role) for write in WRITES for role in ("anonymous", "staff", "trainer", "quality_lead")]


@pytest.mark.parametrize(("write", "role"), READERS_ONLY, ids=[f"{w}-{r}" for w, r in READERS_ONLY])
def test_roles_without_write_permission_cannot_write_by_post(client, login_as, make_article, write, role):
    found = make_article(title="Existing guidance", body="Old body.\n")
    owner = found.owner
    revise(found, owner, "New body.\n")
    _who(role, login_as)
    before = _snapshot()
    article_form = {"title": "Written anyway", "type": "faq", "body": "Forced body.\n",
                    "category_id": found.category_id, "audience": "staff", "language": "en",
                    "owner_id": owner.id, "save": "Save", "base_version": found.version}
    url, data = {
        "new article": ("/kb/articles/new", article_form),
        "edit article": (f"/kb/articles/{found.id}/edit", article_form),
        "restore revision": (f"/kb/articles/{found.id}/revisions/1/restore", {"base_version": found.version}),
        "new category": ("/kb/categories", {"name": "Forced category", "parent_id": 0}),
    }[write]
    _assert_status(client.submit(url, data), LOGIN if role == "anonymous" else 403, url)
    assert _snapshot() == before


def revise(article, author, body):
    content = service.ArticleContent.of(article)
    content.body = body
    service.revise_article(article, article.version, content, author)
    db.session.commit()


# ---- state transitions ----------------------------------------------------------------------------

# (state before, action) -> roles that may; see _refusal for what everyone else is told
TRANSITION_ROLES = {
    ("draft", "submit"): {"editor", "publisher", "admin"},
    ("draft", "publish"): {"publisher", "admin"},
    ("review", "publish"): {"publisher", "admin"},
    ("review", "return"): {"editor", "publisher", "admin"},
    ("published", "archive"): {"publisher", "admin"},
    ("published", "unpublish"): {"publisher", "admin"},
    ("archived", "reopen"): {"publisher", "admin"},
    # no such transition: nobody may
    ("draft", "archive"): set(),
    ("draft", "return"): set(),
    ("published", "submit"): set(),
    ("archived", "publish"): set(),
    ("review", "delete"): set(),
}
AFTER = {("draft", "submit"): "review", ("draft", "publish"): "published", ("review", "publish"): "published",
         ("review", "return"): "draft", ("published", "archive"): "archived",
         ("published", "unpublish"): "draft", ("archived", "reopen"): "draft"}
STEPS = [(before, action, role) for (before, action) in TRANSITION_ROLES for role in EVERYONE]


def _refusal(role: str, before: str, action: str):
    """Anonymous: log in; no write permission: 403; unknown action: 400; impossible step: 409; else 403."""
    if role == "anonymous":
        return LOGIN
    if role not in {"editor", "publisher", "admin"}:
        return 403
    if action not in {a for (_b, a) in AFTER}:
        return 400
    return 409 if (before, action) not in AFTER else 403


@pytest.mark.parametrize(("before", "action", "role"), STEPS, ids=[f"{b}-{a}-{r}" for b, a, r in STEPS])
def test_state_change_is_done_only_for_roles_allowed_to(client, login_as, make_article, before, action, role):
    found = make_article(title="Moving article", state=before, audience="public")
    _who(role, login_as)
    answer = client.submit(f"/kb/articles/{found.id}/state", {"action": action, "base_version": found.version})
    if role in TRANSITION_ROLES[(before, action)]:
        assert answer.status_code == 302, answer.text
        assert answer.headers["Location"] == f"/kb/articles/{found.id}/{found.slug}"
        assert _state_in_database(found.id) == AFTER[(before, action)]
    else:
        _assert_status(answer, _refusal(role, before, action), action)
        assert _state_in_database(found.id) == before


def test_article_page_offers_only_the_state_changes_the_role_may_make(client, login_as, make_article):
    found = make_article(title="Draft to offer", state="draft")
    login_as("editor", "ed")
    page = client.get(f"/kb/articles/{found.id}")
    assert 'name="action" value="submit"' in page.text
    assert 'name="action" value="publish"' not in page.text


def test_state_change_based_on_an_old_version_changes_nothing(client, login_as, make_article):
    found = make_article(title="Stale draft", state="draft")
    login_as("publisher", "pub")
    answer = client.submit(f"/kb/articles/{found.id}/state", {"action": "publish", "base_version": found.version - 1})
    assert answer.status_code == 303
    assert _state_in_database(found.id) == "draft"


# ---- what staff see in lists --------------------------------------------------------------------

@pytest.mark.parametrize("hidden_state", ["draft", "review", "archived"])
def test_staff_never_see_unpublished_articles_on_the_home_page(client, login_as, make_article, hidden_state):
    make_article(title="Zebra published guidance", state="published")
    make_article(title="Zebra unpublished guidance", state=hidden_state)
    login_as("staff", "sam")
    page = client.get("/")
    assert "Zebra published guidance" in page.text
    assert "Zebra unpublished guidance" not in page.text


@pytest.mark.parametrize("hidden_state", ["draft", "review", "archived"])
def test_staff_never_see_unpublished_articles_in_search_results(client, login_as, make_article, hidden_state):
    make_article(title="Zebra published guidance", state="published")
    make_article(title="Zebra unpublished guidance", state=hidden_state, body="Zebra crossing rules.\n")
    login_as("staff", "sam")
    page = client.get("/search?q=zebra")
    assert "Zebra published guidance" in page.text
    assert "Zebra unpublished guidance" not in page.text
    assert "1 article found" in page.text


@pytest.mark.parametrize("hidden_state", ["draft", "review", "archived"])
def test_staff_never_see_unpublished_articles_in_a_category(client, login_as, make_article, hidden_state):
    shown = make_article(title="Zebra published guidance", state="published")
    make_article(title="Zebra unpublished guidance", state=hidden_state)
    login_as("staff", "sam")
    page = client.get(f"/kb/categories/{shown.category_id}")
    assert "Zebra published guidance" in page.text
    assert "Zebra unpublished guidance" not in page.text


def test_editors_do_see_drafts_in_search_results(client, login_as, make_article):
    make_article(title="Zebra draft guidance", state="draft")
    login_as("editor", "ed")
    assert "Zebra draft guidance" in client.get("/search?q=zebra").text


def test_visitors_see_only_public_articles_in_search_results(client, make_article):
    make_article(title="Zebra public guidance", audience="public")
    make_article(title="Zebra staff guidance", audience="staff")
    make_article(title="Zebra trainee guidance", audience="trainees")
    page = client.get("/search?q=zebra")
    assert "Zebra public guidance" in page.text
    assert "Zebra staff guidance" not in page.text
    assert "Zebra trainee guidance" not in page.text
