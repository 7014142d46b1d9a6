"""The `flask` commands: `users create`, `init --demo`, `kb import` and `kb export`; and the demo content."""
import re
from pathlib import Path

import pytest
from sqlalchemy import select

import demo
from accounts import auth
from core import clock
from core.db import db
from demo import feedback as demo_feedback
from kb import queries
from kb.models import Article, Category, Revision, Tag
from kb.transfer import split_front_matter
from tests.support.counting import count as counted

DEMO_FILES = sorted(Path(demo.__file__).resolve().parent.joinpath("articles").glob("*.md"))
KCS_HEADINGS = ("Issue", "Environment", "Resolution", "Cause")


def flask(app, *args):
    """Run a `flask` command; the next query starts from a fresh session, as a new request would."""
    result = app.test_cli_runner().invoke(args=list(args))
    db.session.remove()
    return result


def log_in(client, username: str, password: str):
    return client.submit("/login", {"username": username, "password": password}, token_from="/login")


# ---------------------------------------------------------------- users create

def test_users_create_makes_a_user_with_the_role_who_can_log_in(app, client):
    result = flask(app, "users", "create", "alice", "--role", "editor", "--password", "longenough")
    assert result.exit_code == 0, result.output
    assert "Created alice (editor)" in result.output
    assert auth.find_user("alice").roles == {"editor"}

    answer = log_in(client, "alice", "longenough")
    assert answer.status_code == 302
    assert client.get("/kb/articles/new").status_code == 200  # an editor may write


def test_users_create_gives_every_role_repeated(app):
    result = flask(app, "users", "create", "bo", "--role", "editor", "--role", "trainer", "--password", "longenough")
    assert result.exit_code == 0, result.output
    assert auth.find_user("bo").roles == {"editor", "trainer"}


def test_users_create_with_an_unknown_role_fails_and_names_the_roles(app):
    result = flask(app, "users", "create", "alice", "--role", "wizard", "--password", "longenough")
    assert result.exit_code != 0
    assert "unknown role wizard" in result.output
    assert "staff, editor, publisher, trainer, quality_lead, admin" in result.output
    assert auth.find_user("alice") is None


def test_users_create_refuses_a_user_that_exists(app):
    flask(app, "users", "create", "alice", "--role", "staff", "--password", "longenough")
    result = flask(app, "users", "create", "alice", "--role", "admin", "--password", "otherlongone")
    assert result.exit_code != 0
    assert "a user named 'alice' exists already" in result.output
    assert auth.find_user("alice").roles == {"staff"}
    assert counted(auth.User, committed=False) == 1


def test_users_create_refuses_a_password_shorter_than_10_characters(app):
    result = flask(app, "users", "create", "alice", "--role", "staff", "--password", "short77")
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output
    assert auth.find_user("alice") is None


def test_users_create_without_a_password_prints_a_generated_one_that_works(app, client):
    result = flask(app, "users", "create", "carol", "--role", "staff")
    assert result.exit_code == 0, result.output
    password = re.search(r"with password (\S+)$", result.output.strip()).group(1)
    assert len(password) >= 12
    assert log_in(client, "carol", password).status_code == 302


def test_users_create_without_a_role_fails(app):
    result = flask(app, "users", "create", "alice", "--password", "longenough")
    assert result.exit_code != 0
    assert "--role" in result.output
    assert auth.find_user("alice") is None


def test_users_list_shows_every_user_with_their_roles(app, make_user):
    make_user("zoe", "publisher", "trainer")
    make_user("adam", "staff")
    result = flask(app, "users", "list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["adam", "staff"]
    assert lines[1].split() == ["zoe", "publisher,", "trainer"]


# ---------------------------------------------------------------- init --demo

def test_init_demo_on_an_empty_database_loads_one_user_per_role_and_every_demo_article(app, client):
    result = flask(app, "init", "--demo")
    assert result.exit_code == 0, result.output
    assert "Database is up to date." in result.output
    assert f"Demo content loaded: 6 users, {len(DEMO_FILES)} articles." in result.output

    assert sorted(u.username for u in db.session.scalars(select(auth.User))) == sorted(auth.ROLES)
    for role in auth.ROLES:
        assert auth.find_user(role).roles == {role}
        assert auth.find_user(role).check_password("servicebook")
    # every demo file, plus the draft best practice that the demo's closed improvement standardised
    assert counted(Article, committed=False) == len(DEMO_FILES) + 1
    slugs = set(db.session.scalars(select(Article.slug)))
    assert {path.stem for path in DEMO_FILES} <= slugs
    assert db.session.scalar(select(Article.type).where(Article.slug.not_in([p.stem for p in DEMO_FILES]))) == "best_practice"
    assert log_in(client, "quality_lead", "servicebook").status_code == 302


def test_init_demo_a_second_time_changes_nothing(app):
    flask(app, "init", "--demo")
    counts = [counted(m, committed=False) for m in (auth.User, Article, Revision, Category, Tag)]

    result = flask(app, "init", "--demo")
    assert result.exit_code == 0, result.output
    assert "demo content not loaded" in result.output
    assert [counted(m, committed=False) for m in (auth.User, Article, Revision, Category, Tag)] == counts


def test_init_without_demo_loads_nothing(app):
    result = flask(app, "init")
    assert result.exit_code == 0, result.output
    assert counted(Article, committed=False) == 0 and counted(auth.User, committed=False) == 0


def test_init_demo_leaves_a_database_that_has_articles_alone(app, make_article):
    make_article(title="Our own article")
    result = flask(app, "init", "--demo")
    assert result.exit_code == 0
    assert counted(Article, committed=False) == 1
    assert auth.find_user("admin") is None


# ---------------------------------------------------------------- kb import / export

def test_kb_import_of_a_bad_folder_exits_1_and_says_nothing_was_imported(app, make_user, tmp_path):
    make_user("admin", "admin")
    (tmp_path / "good.md").write_text("---\ntitle: Good\ntype: faq\ncategory: Care\nowner: admin\n---\nFine.\n")
    (tmp_path / "bad.md").write_text("---\ntitle: Bad\ntype: faq\ncategory: Care\nowner: ghost\n---\nFine.\n")
    result = flask(app, "kb", "import", str(tmp_path), "--as", "admin")
    assert result.exit_code == 1
    assert "Nothing was imported" in result.output
    assert "bad.md: owner 'ghost' is not a user" in result.output
    assert counted(Article, committed=False) == 0


def test_kb_import_of_the_demo_folder_twice_reports_every_article_unchanged(app):
    flask(app, "init", "--demo")
    revisions = counted(Revision, committed=False)
    result = flask(app, "kb", "import", str(DEMO_FILES[0].parent), "--as", "admin")
    assert result.exit_code == 0, result.output
    # the demo's feedback fixes one article in a second revision; importing the folder puts its text back
    assert f"0 created, 1 updated, {len(DEMO_FILES) - 1} unchanged." in result.output
    assert counted(Revision, committed=False) == revisions + 1


def test_kb_export_writes_one_markdown_file_per_article(app, make_article, tmp_path):
    make_article(title="Refund rules")
    make_article(title="退款规则", category="客户服务/退款", language="zh", state="draft")
    make_article(title="Old greeting", state="archived")
    result = flask(app, "kb", "export", str(tmp_path / "export"))
    assert result.exit_code == 0, result.output
    assert "Exported 3 articles" in result.output
    files = sorted(p.name for p in (tmp_path / "export").iterdir())
    assert files == sorted(f"{a.slug}.md" for a in db.session.scalars(select(Article)))
    assert files == sorted(["refund-rules.md", "退款规则.md", "old-greeting.md"])


def test_kb_export_of_the_demo_gives_back_the_demo_files(app, tmp_path):
    flask(app, "init", "--demo")
    flask(app, "kb", "export", str(tmp_path))
    exported = sorted(p.name for p in tmp_path.glob("*.md"))
    assert [name for name in exported if name in {p.name for p in DEMO_FILES}] == [p.name for p in DEMO_FILES]
    for path in DEMO_FILES:
        original, exported = (split_front_matter(p.read_text(encoding="utf-8"))
                              for p in (path, tmp_path / path.name))
        fixed_by_the_demo = demo_feedback.FIX if path.stem == demo_feedback.FIXED_SLUG else ""
        assert exported[1] == original[1].rstrip("\n") + fixed_by_the_demo if fixed_by_the_demo \
            else exported[1] == original[1], path.name
        assert exported[0] | {"tags": sorted(exported[0]["tags"])} == \
            {"summary": ""} | original[0] | {"tags": sorted(original[0]["tags"])}, path.name


# ---------------------------------------------------------------- the demo content

def demo_files() -> list[tuple[str, dict, str]]:
    return [(p.name, *split_front_matter(p.read_text(encoding="utf-8"))) for p in DEMO_FILES]


def test_the_demo_has_at_least_12_articles():
    assert len(DEMO_FILES) >= 12


def test_the_demo_has_articles_in_english_and_in_chinese():
    languages = {meta.get("language", "en") for _, meta, _ in demo_files()}
    assert languages == {"en", "zh"}


KNOWLEDGE_ARTICLES = [p.name for p in DEMO_FILES if "\ntype: knowledge_article\n" in p.read_text(encoding="utf-8")]


def test_the_demo_has_knowledge_articles():
    assert len(KNOWLEDGE_ARTICLES) >= 2


@pytest.mark.parametrize("name", KNOWLEDGE_ARTICLES)
def test_every_demo_knowledge_article_has_the_four_kcs_headings(name):
    meta, body = split_front_matter((DEMO_FILES[0].parent / name).read_text(encoding="utf-8"))
    assert meta["type"] == "knowledge_article"
    headings = re.findall(r"^## (.+)$", body, flags=re.M)
    for wanted in KCS_HEADINGS:
        assert any(h == wanted or h.endswith(f"({wanted})") for h in headings), (name, wanted, headings)


def test_the_demo_has_knowledge_articles_in_both_languages():
    languages = {meta.get("language", "en") for _, meta, _ in demo_files() if meta["type"] == "knowledge_article"}
    assert languages == {"en", "zh"}


def test_at_least_one_demo_article_is_due_for_review(app):
    flask(app, "init", "--demo")
    due = queries.due_for_review(auth.find_user("publisher"), clock.today())
    assert due, "no demo article is due for review within 30 days"


def test_the_demo_has_one_article_in_each_state():
    assert {meta.get("state", "draft") for _, meta, _ in demo_files()} == {"draft", "review", "published",
                                                                            "archived"}
