"""Several hosts, one database: each host's index follows the change log (issue 16), on SQLite and PostgreSQL.

Two apps in one test process play two hosts: the same database, each its own instance folder and so its own
index. (tests/site/test_cluster.py runs real hosts under gunicorn behind nginx.)"""
import threading
import time
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from core import config
from core.db import db, utcnow
from kb import search
from kb.search import changes, follow, status
from kb.search import index as search_index
from kb.search.models import SearchHost
from wsgi import create_app


@pytest.fixture
def host_b(app, database_url, tmp_path):
    """A second host on the same database, with an index of its own (made empty: it replays the log)."""
    other = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "host-b"),
                        "SECRET_KEY": "test", "TESTING": True, "PASSWORD_METHOD": "pbkdf2:sha256:1000",
                        "HOST_ID": "host-b", "SEARCH_FOLLOW_SECONDS": 0.2, "VIEW_COUNT_FLUSH_SECONDS": 0,
                        "SEARCH_LOG_FLUSH_SECONDS": 0, "SEARCH_MERGE_ABOVE_SEGMENTS": 10_000})
    return other


def titles_on(host, query: str, user) -> list[str]:
    with host.app_context():
        return sorted(hit.title for hit in search.search(query, user).hits)


def test_an_edit_on_one_host_is_found_on_the_other_once_it_catches_up(app, host_b, make_article, make_user):
    staff = make_user("staff_member", "staff")
    article = make_article(title="Parcel locker codes", body="Codes for the parcel locker.")
    assert titles_on(app, "parcel", staff) == ["Parcel locker codes"]  # host A indexed its own commit
    with host_b.app_context():
        assert search_index.behind() >= 1  # host B has not applied it yet, and knows it
        follow.Follower(host_b).tick()
        assert search_index.behind() == 0 and not search_index.check().any
    assert titles_on(host_b, "parcel", staff) == ["Parcel locker codes"]

    article.title = "Parcel locker opening codes"
    db.session.commit()
    with host_b.app_context():
        assert titles_on(host_b, "opening", staff) == []
        follow.Follower(host_b).tick()
    assert titles_on(host_b, "opening", staff) == ["Parcel locker opening codes"]


def test_a_search_on_a_host_that_is_behind_says_so_in_a_header(app, host_b, make_article, login_as):
    make_article(title="Gift card refunds", body="Refund a gift card at the desk.")
    host_b.test_client_class = type(app.test_client())
    with host_b.app_context():
        answer = host_b.test_client().get("/api/v1/search?q=refund")
        assert answer.headers.get("X-Search-Stale", "").endswith("changes not yet applied")
        follow.Follower(host_b).tick()
        time.sleep(1.1)  # the head is read at most once a second per process
        assert "X-Search-Stale" not in host_b.test_client().get("/api/v1/search?q=refund").headers
    assert "X-Search-Stale" not in app.test_client().get("/api/v1/search?q=refund").headers


def test_the_follower_thread_applies_another_hosts_edit_within_two_seconds(app, host_b, make_article, make_user):
    """On PostgreSQL it is woken by LISTEN/NOTIFY; on SQLite it looks every SEARCH_FOLLOW_SECONDS (0.2 here)."""
    staff = make_user("staff_member", "staff")
    follower = follow.start(host_b)
    try:
        deadline = time.monotonic() + 10
        while follower.ticks == 0 and time.monotonic() < deadline:  # it has taken its lock and looked once
            time.sleep(0.05)
        lags = []
        for n in range(5):
            make_article(title=f"Locker note {n}", body=f"zebracode{n} for the locker.")
            saved = time.monotonic()
            while not titles_on(host_b, f"zebracode{n}", staff) and time.monotonic() - saved < 5:
                time.sleep(0.02)
            lags.append(time.monotonic() - saved)
        assert max(lags) < 2.0, lags
    finally:
        follower.stop()
    with host_b.app_context():
        assert not search_index.check().any
    assert _host("host-b").position == _head()


def test_a_second_follower_on_the_same_host_waits_for_the_first(app, host_b):
    first, second = follow.start(host_b), None
    try:
        deadline = time.monotonic() + 10
        while first.ticks == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        second = follow.start(host_b)
        time.sleep(1.0)  # five of its looks for the lock
        assert first.ticks >= 1 and second.ticks == 0  # one listener per host (a file lock in the index folder)
        first.stop()
        deadline = time.monotonic() + 5
        while second.ticks == 0 and time.monotonic() < deadline:  # the first is gone: the second takes over
            time.sleep(0.05)
        assert second.ticks >= 1
    finally:
        first.stop()
        if second is not None:
            second.stop()


def test_the_log_is_kept_for_a_live_host_and_pruned_past_one_away_longer_than_the_retention(
        app, host_b, make_article, make_user):
    staff = make_user("staff_member", "staff")
    make_article(title="Locker first", body="locker")
    with host_b.app_context():
        follow.Follower(host_b).tick()  # B is in step and has reported
    b_position = _host("host-b").position
    make_article(title="Locker second", body="locker")
    make_article(title="Locker third", body="locker")
    current_app.config["SEARCH_CHANGE_RETENTION_SECONDS"] = 3600
    search_index.report_position()
    changes.prune(3600)
    with Session(db.engine) as session:  # B is live: nothing it has not applied is pruned
        assert changes.floor(session) == b_position and changes.count_after(session, b_position) >= 2

    with Session(db.engine) as session, session.begin():  # B was last seen two hours ago
        session.execute(update(SearchHost).where(SearchHost.name == "host-b")
                        .values(seen_at=utcnow() - timedelta(hours=2)))
    changes.prune(3600)
    with Session(db.engine) as session:
        assert changes.floor(session) > b_position  # B no longer holds the log back
    with host_b.app_context():
        assert "behind the pruned log" in "\n".join(status.lines(status.read()))
        follow.Follower(host_b).tick()  # it comes back: it rebuilds by itself instead of catching up
        assert not search_index.check().any
    assert titles_on(host_b, "locker", staff) == ["Locker first", "Locker second", "Locker third"]
    assert _host("host-b").rebuilds == 1


def test_a_new_host_replays_the_log_or_rebuilds_when_it_was_pruned(app, host_b, make_article, make_user, tmp_path):
    staff = make_user("staff_member", "staff")
    make_article(title="Locker first", body="locker")
    with host_b.app_context():
        follow.Follower(host_b).tick()  # a new, empty index: the log from its start
        assert search_index.search_index().position() == _head()
    assert titles_on(host_b, "locker", staff) == ["Locker first"]
    search_index.report_position()
    with Session(db.engine) as session, session.begin():
        session.execute(text("DELETE FROM search_hosts WHERE name = 'host-b'"))
    changes.prune(3600)  # (B's follower pruned already: every live host had applied it all)
    with Session(db.engine) as session:
        assert changes.floor(session) == changes.head(session) >= 1 and changes.count_after(session, 0) == 0
    host_c = create_app({**{k: host_b.config[k] for k in ("DATABASE_URL", "SECRET_KEY", "TESTING")},
                         "INSTANCE_PATH": str(tmp_path / "host-c"), "HOST_ID": "host-c"})
    with host_c.app_context():
        follow.Follower(host_c).tick()
        assert not search_index.check().any
    assert titles_on(host_c, "locker", staff) == ["Locker first"]
    assert _host("host-c").rebuilds == 1


def test_log_rows_become_visible_in_the_order_of_their_ids(app):
    """A transaction writing the log waits for another one writing it to end (PostgreSQL: an advisory lock
    taken at commit time; SQLite: one writer at a time), so "applied up to N" never skips a row."""
    first = Session(db.engine)
    changes.write(first, [1])
    first.flush()
    second_done = threading.Event()

    def second_writer():
        with Session(db.engine) as second:
            changes.write(second, [2])
            second.commit()
        second_done.set()

    thread = threading.Thread(target=second_writer)
    thread.start()
    time.sleep(0.5)
    assert not second_done.is_set()  # waits for the first to commit
    first.commit()
    first.close()
    thread.join(10)
    assert second_done.is_set()
    with Session(db.engine) as session:
        rows = changes.after(session, 0, 10)
    assert [r.article_id for r in rows] == [1, 2]


def test_the_status_lines_say_where_each_host_is():
    now = utcnow()
    report = status.Status(now=now, head=120, pruned_through=40, kept=80, retention_seconds=7 * 86400, hosts=[
        status.HostStatus("host-a", 120, 0, 0.0, now, now, 0, "index-1", this_host=True),
        status.HostStatus("host-b", 100, 20, 3.5, now - timedelta(seconds=4), now - timedelta(seconds=2), 1, "i2"),
        status.HostStatus("host-c", 30, 90, 900.0, None, now - timedelta(days=9), 0, "i3"),
        status.HostStatus("host-d", 120, 0, 0.0, now, now, 1, "i4")])
    lines = status.lines(report)
    assert lines[0] == "Change log: head 120, 80 changes kept, pruned through 40, retention 7 days."
    a, b, c, d = lines[2:6]
    assert d.endswith("in step, rebuilt its index itself once")
    assert a.startswith("host-a *") and a.endswith("in step") and " 120 " in a
    assert b.split()[:4] == ["host-b", "100", "20", "3.5"] and b.endswith("catching up")
    assert c.endswith("behind the pruned log: rebuilds its index when it runs") and "never" in c


def test_search_status_command_lists_this_host(app, make_article):
    make_article(title="Locker", body="locker")
    result = app.test_cli_runner().invoke(args=["search", "status"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith(current_app.config["HOST_ID"]))
    assert "in step" in line


def test_postgresql_needs_a_shared_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://servicebook@/servicebook")
    with pytest.raises(config.ConfigurationError, match="SECRET_KEY must be set when DATABASE_URL is PostgreSQL"):
        config.load({"INSTANCE_PATH": str(tmp_path)})
    assert not (tmp_path / "secret_key").exists()  # never a key of this host's own
    (tmp_path / "servicebook.cfg.py").write_text("SECRET_KEY = 'from the instance file'\n")
    assert config.load({"INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"] == "from the instance file"
    monkeypatch.setenv("SECRET_KEY", "from the environment")
    monkeypatch.setenv("SERVICEBOOK_HOST", "host-7")
    settings = config.load({"INSTANCE_PATH": str(tmp_path / "other")})
    assert settings["SECRET_KEY"] == "from the environment" and settings["HOST_ID"] == "host-7"


def test_the_site_refuses_to_start_on_postgresql_without_a_secret_key(tmp_path):
    import os
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env |= {"DATABASE_URL": "postgresql+psycopg://servicebook@/nowhere", "SERVICEBOOK_INSTANCE": str(tmp_path)}
    started = subprocess.run([sys.executable, "-c", "import wsgi; wsgi.app"], env=env, capture_output=True,
                             text=True, timeout=120, cwd=os.path.dirname(os.path.dirname(config.__file__)))
    assert started.returncode == 1
    assert started.stderr.strip().startswith("Servicebook cannot start: SECRET_KEY must be set"), started.stderr
    assert "Traceback" not in started.stderr


def _host(name: str) -> SearchHost:
    with Session(db.engine) as session:
        return session.get(SearchHost, name)


def _head() -> int:
    with Session(db.engine) as session:
        return changes.head(session)


@pytest.mark.parametrize("how", ["flask restore's new epoch", "a log behind the index"])
def test_a_host_rebuilds_when_the_database_went_back_in_time(app, host_b, make_article, make_user, how):
    """A restore from a backup brings back an older log: an index made from the later history would skip the
    changes that reuse those ids. `flask restore` gives the log a new epoch; a restore by other means shows as a
    log whose head is behind the index's position. Either way the host rebuilds."""
    changes.new_epoch()  # as the migration made it (the tests empty every table between tests)
    staff = make_user("staff_member", "staff")
    make_article(title="Locker kept", body="locker")
    with host_b.app_context():
        follow.Follower(host_b).tick()
        index = search_index.search_index()
        assert index.epoch() and index.position() == _head()
        if how == "a log behind the index":
            index.set_position(_head() + 50, index.epoch(), index.current_name())
        else:
            changes.new_epoch()
        follow.Follower(host_b).tick()
        assert index.position() == _head()
        assert not search_index.check().any
    assert titles_on(host_b, "locker", staff) == ["Locker kept"]
    assert _host("host-b").rebuilds == 1


def test_a_large_import_on_another_host_is_one_rebuild_aside_not_thousands_of_updates(
        app, host_b, make_article, make_user, monkeypatch):
    staff = make_user("staff_member", "staff")
    make_article(title="Locker first", body="locker")
    with host_b.app_context():
        follow.Follower(host_b).tick()
    monkeypatch.setattr(search_index, "BULK_REBUILD_FROM", 3)  # (1,000 in production)
    with search_index.bulk(db.session()):  # as `flask kb import` on host A: logged, indexed once at its end
        for n in range(4):
            make_article(title=f"Locker imported {n}", body="locker")
    with host_b.app_context():
        follow.Follower(host_b).tick()
        assert not search_index.check().any
    assert _host("host-b").rebuilds == 1
    assert len(titles_on(host_b, "locker", staff)) == 5
