"""`flask backup FILE` and `flask restore FILE` round-trip a populated site (SQLite and PostgreSQL)."""
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accounts.auth import find_user
from core.db import db
from kb import search, service
from kb.models import Article, Revision
from kb.search import changes
from kb.search import index as search_index


def test_a_backup_restores_the_site_as_it_was_and_the_search_index_follows(app, tmp_path, make_user, make_article):
    first = make_article(title="Refund rules", body="Refunds within 14 days.")
    make_article(title="退款规则", body="十四天内退款。", language="zh")
    make_user("reader", "staff")
    runner = app.test_cli_runner()
    saved = runner.invoke(args=["backup", str(tmp_path / "site.backup")])
    assert saved.exit_code == 0, saved.output
    epoch_before = changes.new_epoch()

    content = service.ArticleContent(title="Changed after the backup", body="x", type=first.type,
                                     category_id=first.category_id, owner_id=first.owner_id)
    service.revise_article(first, first.version, content, first.owner)
    make_article(title="Written after the backup", body="later")
    db.session.commit()

    restored = runner.invoke(args=["restore", str(tmp_path / "site.backup"), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "Search index rebuilt: 2 articles" in restored.output
    with Session(db.engine) as session:  # the log went back in time: a new epoch makes every other host rebuild
        assert changes.epoch(session) not in ("", epoch_before)
    titles = set(db.session.scalars(select(Article.title)))
    assert titles == {"Refund rules", "退款规则"}
    assert db.session.scalar(select(func.count()).select_from(Revision)) == 2
    reader = find_user("reader")
    assert reader is not None and reader.check_password("correct horse battery")
    assert len(search.matching_ids("refund", reader)) == 1 and len(search.matching_ids("退款", reader)) == 1
    assert not search_index.check().any


def test_a_backup_never_overwrites_a_file(app, tmp_path):
    (tmp_path / "taken").write_text("keep me")
    answer = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "taken")])
    assert answer.exit_code != 0 and "exists already" in answer.output
    assert (tmp_path / "taken").read_text() == "keep me"


def test_restoring_a_file_that_is_not_a_backup_changes_nothing(app, tmp_path, make_article):
    make_article(title="Still here", body="x")
    (tmp_path / "junk").write_bytes(b"not a database at all" * 100)
    answer = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "junk"), "--yes"])
    assert answer.exit_code != 0
    assert "not a Servicebook" in answer.output or "failed" in answer.output
    assert db.session.scalar(select(Article.title)) == "Still here"
