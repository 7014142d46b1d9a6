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
    assert search_index.pending_count() >= 1  # logged in the same transaction, not applied
    assert app.test_cli_runner().invoke(args=["search", "check"]).exit_code == 1
    # "restarted": the next process's update takes the lock the dead one held and catches up
    update = app.test_cli_runner().invoke(args=["search", "update"])
    assert update.exit_code == 0, update.output
    result = app.test_cli_runner().invoke(args=["search", "check"])
    assert result.exit_code == 0, result.output


def test_a_change_log_id_is_never_used_twice(app, make_article):
    """A host's position says "every row up to N applied": a new row given the id of a pruned one would be
    skipped (SQLite reuses the highest id of a deleted row unless the table is AUTOINCREMENT)."""
    from sqlalchemy import text
    make_article(title="First")
    make_article(title="Second")
    db.session.remove()
    with db.engine.begin() as connection:
        before = connection.execute(text("SELECT max(id) FROM search_changes")).scalar()
        connection.execute(text("DELETE FROM search_changes"))
    make_article(title="Third")
    with db.engine.begin() as connection:
        assert connection.execute(text("SELECT max(id) FROM search_changes")).scalar() > before


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
