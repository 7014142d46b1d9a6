"""The site under gunicorn for a test: the project's gunicorn.conf.py, 2 sync workers, the test's database
and instance folder (so its search index is the one `make_article` writes to)."""
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_gunicorn(app, database_url: str, log: Path):
    """gunicorn with 2 sync workers (and the project's gunicorn.conf.py) on the test's database and
    instance folder; yields (base URL, master process) and stops it gracefully afterwards."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env |= {"DATABASE_URL": database_url, "SERVICEBOOK_INSTANCE": app.config["INSTANCE_PATH"],
            "SERVICEBOOK_ENV": "development"}
    if database_url.startswith("postgresql"):  # required there (one key for every host); SQLite makes its own
        env["SECRET_KEY"] = "a key shared by every host of the test"
    with open(log, "w") as log_file:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
             "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log_file)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(base, process, log)
        yield base, process
    finally:
        stop_process(process, timeout=20)


def stop_process(process: subprocess.Popen, timeout: float, sig: int = signal.SIGTERM) -> None:
    """Ask a server to stop (`sig`: its graceful way), and kill it if it has not within `timeout` seconds."""
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def live_server(app, database_url, tmp_path):
    """The site under gunicorn on the test's database and instance folder (so its search index is the
    one `make_article` writes to); yields the base URL."""
    with running_gunicorn(app, database_url, tmp_path / "gunicorn.log") as (base, _process):
        yield base


def _wait_until_answering(base: str, process: subprocess.Popen, log: Path) -> None:
    """Until /login answers (a worker's first request may take seconds: imports, jieba's dictionary)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/login", timeout=15).close()
            return
        except OSError:  # refused, reset, timed out (URLError is an OSError too)
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("gunicorn did not start:\n" + log.read_text(), pytrace=False)
            time.sleep(0.1)
