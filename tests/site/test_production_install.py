"""The README's production section, run as it stands: a fresh virtualenv in a copy of the tracked files,
installed from PyPI at the versions in constraints.txt, migrated on a new PostgreSQL database, an admin
created, gunicorn started; the site must answer with its login page."""
import os
import re
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support.gunicorn import free_port

ROOT = Path(__file__).resolve().parents[2]
MARK = "<!-- production-install -->"


def production_block() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    after = readme.split(MARK, 1)[1]
    return re.search(r"```sh\n(.*?)```", after, re.S).group(1)


def tracked_copy(target: Path) -> Path:
    """What a clone has: the files git tracks (as they are in the working tree)."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            (target / name).write_bytes(source.read_bytes())
    return target


@pytest.fixture
def fresh_database(postgres_url):
    url = make_url(postgres_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS servicebook_production"))
        connection.execute(text("CREATE DATABASE servicebook_production"))
    admin.dispose()
    return url.set(database="servicebook_production").render_as_string(hide_password=False)


def test_the_readme_production_commands_install_and_serve_the_site(tmp_path, fresh_database):
    checkout = tracked_copy(tmp_path / "servicebook")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON", "FLASK"))}
    env |= {"DATABASE_URL": fresh_database, "SECRET_KEY": "a shared secret for every worker",
            "SERVICEBOOK_INSTANCE": str(tmp_path / "instance"), "BIND": f"127.0.0.1:{port}"}
    log = tmp_path / "install.log"
    with open(log, "w") as output:
        process = subprocess.Popen(["bash", "-euo", "pipefail", "-c", production_block()], cwd=checkout, env=env,
                                   stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 600
        while True:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10).read().decode()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("the production commands did not serve the site:\n" + log.read_text()[-4000:])
                time.sleep(0.5)
        assert "<h1>" in page and 'name="csrf_token"' in page
        said = log.read_text()
        assert "Database is up to date." in said
        password = re.search(r"Created alice \(admin\) with password (\S+)", said).group(1)
        assert (checkout / ".venv" / "bin" / "gunicorn").exists()
        installed = subprocess.run([str(checkout / ".venv/bin/python"), "-m", "pip", "freeze", "--exclude-editable"],
                                   capture_output=True, text=True, check=True).stdout.lower().split()
        pinned = [line.lower() for line in (ROOT / "constraints.txt").read_text().split() if "==" in line]
        runtime = {"flask", "sqlalchemy", "whoosh-reloaded", "jieba", "gunicorn", "psycopg"}
        assert {p for p in pinned if p.split("==")[0] in runtime} <= set(installed)
        assert password
    finally:
        process.terminate()
        process.wait(timeout=30)
