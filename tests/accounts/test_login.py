"""Logging in and out, password guessing, redirects after login, CSRF, and the session cookie."""
import re
from urllib.parse import urljoin, urlsplit

import pytest
from sqlalchemy import select

from accounts import auth
from core import config
from core.db import db
from kb import categories
from kb.models import Article, Category, Revision
from tests.support.counting import count

PASSWORD = "correct horse battery"  # the password make_user gives everyone (tests/conftest.py)
WRONG = "not the password at all"


def _login(client, username, password, **extra):
    """The login form as a browser posts it; `next` is the form's hidden field."""
    return client.submit("/login", {"username": username, "password": password, **extra}, token_from="/login")


def _logged_in(client) -> bool:
    """Whether the browser holds a working login: a page for logged-in users answers."""
    return client.get("/kb/articles/1/history").status_code != 302


# ---- logging in ----------------------------------------------------------------------------------

def test_login_with_the_right_password_redirects_to_the_start_page(client, make_user):
    make_user("alice", "staff")
    answer = _login(client, "alice", PASSWORD)
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/"
    assert _logged_in(client)


def test_login_with_a_wrong_password_is_refused_with_401_and_says_why(client, make_user):
    make_user("alice", "staff")
    answer = _login(client, "alice", WRONG)
    assert answer.status_code == 401
    assert "The user name or the password is wrong." in answer.text
    assert WRONG not in answer.text
    assert not _logged_in(client)


def test_login_as_an_unknown_user_gives_the_same_answer_as_a_wrong_password(client):
    answer = _login(client, "nobody", WRONG)
    assert answer.status_code == 401
    assert "The user name or the password is wrong." in answer.text


def test_login_form_without_a_password_is_a_400_form_error(client, make_user):
    make_user("alice", "staff")
    answer = _login(client, "alice", "")
    assert answer.status_code == 400
    assert not _logged_in(client)


def test_sixth_attempt_after_five_failures_is_refused_even_with_the_right_password(client, make_user):
    make_user("alice", "editor")
    for _ in range(5):
        assert _login(client, "alice", WRONG).status_code == 401
    answer = _login(client, "alice", PASSWORD)
    assert answer.status_code == 429
    assert "Try again in 15 minutes" in answer.text
    assert not _logged_in(client)


def test_failures_are_counted_whatever_the_case_of_the_user_name(client, make_user):
    make_user("alice", "editor")
    for name in ("Alice", "ALICE", "alice", "aLiCe", "alicE"):
        _login(client, name, WRONG)
    assert _login(client, "alice", PASSWORD).status_code == 429


def test_failures_of_one_user_do_not_block_another(client, make_user):
    make_user("alice", "staff")
    make_user("bob", "staff")
    for _ in range(5):
        _login(client, "alice", WRONG)
    assert _login(client, "bob", PASSWORD).status_code == 302


def test_a_strangers_failures_from_another_address_do_not_lock_the_owner_out(client, make_user):
    make_user("alice", "editor")
    for _ in range(5):
        assert _login(client, "alice", WRONG).status_code == 401
    client.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert _login(client, "alice", PASSWORD).status_code == 302


def test_many_failures_from_many_addresses_block_the_name_everywhere(client, make_user):
    make_user("alice", "editor")
    for n in range(50):
        auth.record_login_failure("alice", f"198.51.100.{n}")
    answer = _login(client, "alice", PASSWORD)
    assert answer.status_code == 429
    assert not _logged_in(client)


def test_an_unknown_name_is_checked_against_a_hash_like_a_real_one(app, monkeypatch):
    checked = []
    monkeypatch.setattr(auth, "check_password_hash", lambda stored, given: checked.append(stored) or False)
    assert auth.password_matches(None, "guess") is False
    assert checked and checked[0].startswith(app.config["PASSWORD_METHOD"].split(":")[0])


def test_failures_older_than_the_window_no_longer_block(client, make_user, app):
    make_user("alice", "staff")
    for _ in range(5):
        _login(client, "alice", WRONG)
    app.config["LOGIN_FAILURE_WINDOW_MINUTES"] = 0
    assert _login(client, "alice", PASSWORD).status_code == 302


def test_a_successful_login_forgets_earlier_failures(client, make_user):
    make_user("alice", "staff")
    for _ in range(4):
        _login(client, "alice", WRONG)
    assert _login(client, "alice", PASSWORD).status_code == 302
    client.submit("/logout")
    for _ in range(4):
        _login(client, "alice", WRONG)
    assert _login(client, "alice", PASSWORD).status_code == 302


def test_an_inactive_user_cannot_log_in_with_the_right_password(client, make_user):
    user = make_user("alice", "editor")
    user.active = False
    db.session.commit()
    answer = _login(client, "alice", PASSWORD)
    assert answer.status_code == 401
    assert not _logged_in(client)


def test_a_user_made_inactive_loses_the_session_already_open(client, login_as):
    user = login_as("editor", "alice")
    assert client.get("/kb/articles/new").status_code == 200
    user.active = False
    db.session.commit()
    answer = client.get("/kb/articles/new")
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/login")


# ---- logging out ---------------------------------------------------------------------------------

def test_logout_by_get_is_not_allowed(client, login_as):
    login_as("staff", "alice")
    assert client.get("/logout").status_code == 405
    assert _logged_in(client)


def test_logout_without_a_csrf_token_is_refused_and_keeps_the_login(client, login_as):
    login_as("staff", "alice")
    answer = client.post("/logout")
    assert answer.status_code == 400
    assert "The form expired" in answer.text
    assert _logged_in(client)


def test_logout_with_the_token_logs_out(client, login_as):
    login_as("staff", "alice")
    answer = client.submit("/logout")
    assert answer.status_code == 302
    assert not _logged_in(client)


# ---- where login sends you -------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["/kb/review", "/search?q=refund", "/kb/articles/1/history"])
def test_login_returns_to_the_local_page_asked_for(client, make_user, target):
    make_user("alice", "editor")
    answer = _login(client, "alice", PASSWORD, next=target)
    assert answer.headers["Location"] == target


@pytest.mark.parametrize("target", [
    "//evil.example", "//evil.example/kb", "https://evil.example", "http://evil.example/login",
    "https:evil.example", "javascript:alert(1)", "\\\\evil.example", "/\t/evil.example", " //evil.example",
    "///evil.example", "evil.example",
])
def test_login_sends_a_foreign_or_odd_next_to_the_start_page(client, make_user, target):
    make_user("alice", "editor")
    answer = _login(client, "alice", PASSWORD, next=target)
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/"


def _where_a_browser_goes(location: str) -> str:
    """The host a browser would load: it drops tabs and newlines and reads '\\' as '/' in http URLs."""
    cleaned = re.sub(r"[\t\r\n]", "", location).replace("\\", "/")
    return urlsplit(urljoin("http://servicebook.test/login", cleaned)).netloc


@pytest.mark.parametrize("target", ["/\\evil.example", "/\\/evil.example", "/%5C%5Cevil.example",
                                    "/%2F%2Fevil.example", "/.//evil.example"])
def test_login_never_redirects_off_the_site(client, make_user, target):
    make_user("alice", "editor")
    answer = _login(client, "alice", PASSWORD, next=target)
    assert answer.status_code == 302
    assert _where_a_browser_goes(answer.headers["Location"]) == "servicebook.test"


def test_the_browser_model_itself_sees_a_backslash_redirect_as_foreign():
    assert _where_a_browser_goes("/\\evil.example") == "evil.example"
    assert _where_a_browser_goes("/\t/evil.example") == "evil.example"
    assert _where_a_browser_goes("/kb/review") == "servicebook.test"


def test_login_page_carries_next_from_the_query_string_into_the_form(client):
    page = client.get("/login?next=%2Fkb%2Freview")
    assert 'name="next" type="hidden" value="/kb/review"' in page.text


# ---- CSRF ------------------------------------------------------------------------------------------

def _article_form(editor, **changes):
    return {"title": "Made without a token", "type": "faq", "summary": "", "body": "Body text.\n",
            "category_id": categories.by_path("Customer care").id, "tags": "", "audience": "staff",
            "language": "en", "owner_id": editor.id, "note": "", "save": "Save", **changes}


def test_creating_an_article_without_a_csrf_token_is_refused_and_saves_nothing(client, login_as, make_article):
    editor = login_as("editor", "ed")
    make_article(title="Seed")
    answer = client.post("/kb/articles/new", data=_article_form(editor))
    assert answer.status_code == 400
    assert "The form expired" in answer.text
    assert count(Article) == 1


def test_editing_an_article_without_a_csrf_token_is_refused_and_changes_nothing(client, login_as, make_article):
    editor = login_as("editor", "ed")
    found = make_article(title="Original title")
    answer = client.post(f"/kb/articles/{found.id}/edit",
                         data=_article_form(editor, title="Changed title", base_version=found.version))
    assert answer.status_code == 400
    with db.engine.connect() as connection:
        assert connection.scalar(select(Article.title).where(Article.id == found.id)) == "Original title"
    assert count(Revision) == 1


def test_changing_state_without_a_csrf_token_is_refused_and_changes_nothing(client, login_as, make_article):
    found = make_article(title="Stays a draft", state="draft")
    login_as("publisher", "pub")
    answer = client.post(f"/kb/articles/{found.id}/state", data={"action": "publish", "base_version": found.version})
    assert answer.status_code == 400
    with db.engine.connect() as connection:
        assert connection.scalar(select(Article.state).where(Article.id == found.id)) == "draft"


def test_restoring_a_revision_without_a_csrf_token_is_refused_and_changes_nothing(
        client, login_as, make_article):
    login_as("editor", "ed")
    found = make_article(title="First words", body="First body.\n")
    edited = client.submit(f"/kb/articles/{found.id}/edit",
                           _article_form(auth.find_user("ed"), title="Second words", body="Second body.\n",
                                         category_id=found.category_id, type=found.type,
                                         base_version=found.version))
    assert edited.status_code == 302, edited.text
    assert count(Revision) == 2
    answer = client.post(f"/kb/articles/{found.id}/revisions/1/restore", data={"base_version": found.version + 1})
    assert answer.status_code == 400
    assert count(Revision) == 2
    with db.engine.connect() as connection:
        assert connection.scalar(select(Article.body).where(Article.id == found.id)) == "Second body.\n"


def test_creating_a_category_without_a_csrf_token_is_refused_and_saves_nothing(client, login_as):
    login_as("editor", "ed")
    answer = client.post("/kb/categories", data={"name": "Sneaky", "parent_id": 0})
    assert answer.status_code == 400
    assert count(Category) == 0


def test_choosing_the_language_without_a_csrf_token_is_refused_and_changes_nothing(client, login_as):
    user = login_as("staff", "alice")
    answer = client.post("/language", data={"language": "zh", "next": "/"})
    assert answer.status_code == 400
    with db.engine.connect() as connection:
        assert connection.scalar(select(auth.User.locale).where(auth.User.id == user.id)) is None
    assert '<html lang="en">' in client.get("/").text


def test_choosing_the_language_with_the_token_works(client, login_as):
    """The counterpart of the refusal above: the same form with its token does change the language."""
    login_as("staff", "alice")
    answer = client.submit("/language", {"language": "zh", "next": "/"})
    assert answer.status_code == 302
    assert '<html lang="zh-Hans">' in client.get("/").text


def test_logging_in_without_a_csrf_token_is_refused(client, make_user):
    make_user("alice", "staff")
    answer = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert answer.status_code == 400
    assert not _logged_in(client)


def test_a_csrf_token_from_another_session_is_refused(app, client, make_user, make_article):
    found = make_article(title="Stays a draft", state="draft")
    make_user("pub", "publisher")
    other = app.test_client()
    other_token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', other.get("/").text).group(1)
    _login(client, "pub", PASSWORD)
    answer = client.post(f"/kb/articles/{found.id}/state",
                         data={"csrf_token": other_token, "action": "publish", "base_version": found.version})
    assert answer.status_code == 400
    with db.engine.connect() as connection:
        assert connection.scalar(select(Article.state).where(Article.id == found.id)) == "draft"


# ---- cookies and settings -------------------------------------------------------------------------

def _set_cookie(response, name: str) -> str:
    found = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]
    assert found, response.headers.getlist("Set-Cookie")
    return found[-1]


def test_session_cookie_is_http_only_and_same_site(client, make_user):
    make_user("alice", "staff")
    cookie = _set_cookie(_login(client, "alice", PASSWORD), "session")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_remember_me_cookie_is_http_only(client, make_user):
    make_user("alice", "staff")
    cookie = _set_cookie(_login(client, "alice", PASSWORD, remember="y"), "remember_token")
    assert "HttpOnly" in cookie


def test_cookies_are_secure_by_default_in_production(monkeypatch, tmp_path):
    monkeypatch.delenv("SERVICEBOOK_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    settings = config.load({"INSTANCE_PATH": str(tmp_path / "instance")})
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["REMEMBER_COOKIE_SECURE"] is True
    assert settings["SESSION_COOKIE_HTTPONLY"] is True


def test_cookies_are_not_secure_in_development(monkeypatch, tmp_path):
    monkeypatch.setenv("SERVICEBOOK_ENV", "development")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    settings = config.load({"INSTANCE_PATH": str(tmp_path / "instance")})
    assert settings["SESSION_COOKIE_SECURE"] is False
    assert settings["REMEMBER_COOKIE_SECURE"] is False


def test_generated_secret_key_is_kept_private_and_reused(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = config.load({"INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"]
    assert len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert config.load({"INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"] == first


@pytest.mark.parametrize("trusted", [0, 1])
def test_behind_a_trusted_proxy_the_throttle_counts_the_clients_address_not_the_proxys(app, make_user, trusted):
    """Behind nginx every request comes from nginx's address: with TRUSTED_PROXIES=1 the client's address is
    read from X-Forwarded-For, so a stranger's failures do not lock the owner out at another address; without
    it (no proxy) the header is ignored, as anyone could send it."""
    from tests.conftest import Browser
    from wsgi import create_app
    site = create_app({**{k: app.config[k] for k in ("DATABASE_URL", "INSTANCE_PATH", "SECRET_KEY", "TESTING",
                                                     "PASSWORD_METHOD")}, "TRUSTED_PROXIES": trusted})
    make_user("alice", "editor")
    site.test_client_class = Browser
    client = site.test_client()
    client.environ_base["REMOTE_ADDR"] = "127.0.0.1"  # nginx
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.9"  # the stranger
    for _ in range(5):
        assert _login(client, "alice", WRONG).status_code == 401
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.20"  # alice, elsewhere
    assert _login(client, "alice", PASSWORD).status_code == (302 if trusted else 429)
