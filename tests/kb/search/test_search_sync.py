"""The index stays in step with the database when several processes write at once, and after a
process is killed in the middle of indexing (kill -9): `flask search check` finds no drift."""
import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from core.db import db
from kb import categories
from kb.models import Article
from kb.search import index as search_index
from kb.search.models import SearchPending

WRITER = Path(__file__).resolve().parents[2] / "support" / "index_writer.py"


def start_writer(database_url: str, prefix: str, count: int, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(WRITER), database_url, str(search_index.search_index().root),
                             prefix, str(count), *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def prepare(make_user):
    owner = make_user("owner", "editor")
    categories.ensure_path("Concurrency", owner)
    db.session.commit()


def test_four_processes_writing_at_once_lose_no_index_update(app, database_url, make_user):
    prepare(make_user)
    writers = [start_writer(database_url, f"w{n}", 8) for n in range(4)]
    finished = [(writer, *writer.communicate(timeout=240)) for writer in writers]
    for writer, out, err in finished:
        assert writer.returncode == 0 and "DONE" in out, err
    assert db.session.scalar(select(func.count()).select_from(Article)) == 32
    drift = search_index.check()
    assert drift == search_index.Drift([], [], [], 0)
    result = app.test_cli_runner().invoke(args=["search", "check"])
    assert result.exit_code == 0, result.output


def test_a_process_killed_while_indexing_loses_nothing_and_the_index_catches_up(app, database_url, make_user):
    prepare(make_user)
    writer = start_writer(database_url, "killed", 3, "--hang")
    try:
        started = writer.stdout.readline().strip()
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        _, err = writer.communicate(timeout=30)
    assert started == "HANGING", err
    # the article was committed (acknowledged) before indexing began: it is in the database, marked pending
    assert db.session.scalar(select(func.count()).select_from(Article)) == 1
    assert db.session.scalar(select(func.count()).select_from(SearchPending)) >= 1
    assert app.test_cli_runner().invoke(args=["search", "check"]).exit_code == 1
    # "restarted": the next process's update takes the lock the dead one held and catches up
    update = app.test_cli_runner().invoke(args=["search", "update"])
    assert update.exit_code == 0, update.output
    result = app.test_cli_runner().invoke(args=["search", "check"])
    assert result.exit_code == 0, result.output


def test_a_pending_mark_never_gets_the_id_of_one_already_deleted(app, make_article):
    """A catch-up deletes the marks it read by id; SQLite reused the id of a deleted row for the next
    mark, and a slower worker deleting its stale ids dropped that new mark unindexed."""
    from sqlalchemy import text
    make_article(title="First")
    make_article(title="Second")  # both marked, indexed and their marks deleted: the table is empty
    db.session.remove()
    assert db.session.query(SearchPending).count() == 0
    with db.engine.begin() as connection:
        connection.execute(text("INSERT INTO search_pending (article_id, marked_at) VALUES (1, '2026-01-01')"))
        newest = connection.execute(text("SELECT max(id) FROM search_pending")).scalar()
        connection.execute(text("DELETE FROM search_pending"))
    assert newest > 2  # never 1 again


def test_an_index_of_many_small_segments_is_merged_in_the_background(app, make_article, make_user):
    import threading

    from flask import current_app

    from kb import search
    from kb.search import index as search_index
    current_app.config["SEARCH_MERGE_ABOVE_SEGMENTS"] = 3
    made = []
    for n in range(4):  # each commit adds a segment (Whoosh merges only the smallest ones by itself)
        made.append(make_article(title=f"Parcel locker {n}", body="Parcel locker codes."))
        for thread in [t for t in threading.enumerate() if t.name == "search-index-merge"]:
            thread.join(timeout=60)
    assert len(search_index.search_index().open()._segments()) == 1  # the fourth went past 3: all merged
    staff = make_user("staff_member", "staff")
    assert {hit.id for hit in search.search("parcel", staff).hits} == {a.id for a in made}
    assert search_index.pending_count() == 0 and not search_index.check().any
