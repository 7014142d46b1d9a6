"""Throw-away PostgreSQL server for the test suite (unix socket only, no TCP).

Usage::

    with running_postgres() as url:   # postgresql+psycopg://servicebook@/servicebook_test?host=...
        engine = sqlalchemy.create_engine(url)

Everything (data dir, log, socket) lives in one temp directory that is removed on exit.
When running as root the server runs as the ``postgres`` system user.
"""
from __future__ import annotations

import contextlib
import os
import pathlib
import pwd
import re
import shutil
import subprocess
import tempfile

SUPERUSER = "servicebook"
PORT = 5432  # only names the socket file; each server has its own socket dir
SERVER_OPTIONS = ("-c listen_addresses='' -c fsync=off -c synchronous_commit=off "
                  "-c full_page_writes=off -c max_connections=100")
_DEB_GLOB = "/usr/lib/postgresql/*/bin"


class PostgresUnavailable(Exception):
    """PostgreSQL cannot be started here; the reason is in str(e)."""


def _has_binaries(path: pathlib.Path) -> bool:
    return all((path / name).is_file() for name in ("initdb", "pg_ctl", "postgres"))


def find_pg_bin() -> pathlib.Path | None:
    """Directory holding initdb/pg_ctl/postgres: $PG_BIN, newest Debian install, then PATH."""
    if os.environ.get("PG_BIN"):
        candidate = pathlib.Path(os.environ["PG_BIN"])
        return candidate if _has_binaries(candidate) else None
    versions = [p for p in pathlib.Path("/").glob(_DEB_GLOB.lstrip("/")) if _has_binaries(p)]
    if versions:
        return max(versions, key=lambda p: [int(n) for n in re.findall(r"\d+", p.parent.name)] or [0])
    initdb = shutil.which("initdb")
    if initdb:
        for candidate in (pathlib.Path(initdb).parent, pathlib.Path(initdb).resolve().parent):
            if _has_binaries(candidate):
                return candidate
    return None


def _server_user() -> pwd.struct_passwd | None:
    """The account to run the server as: `postgres` when we are root, else None (ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable("running as root but there is no 'postgres' user to run the server as")


def _run(args: list, user: pwd.struct_passwd | None, cwd: pathlib.Path, timeout: int = 120):
    """Run a PostgreSQL tool (as `user` if given); return the CompletedProcess (never raises on exit code)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(LC_ALL="C", LANG="C")
    kwargs = {}
    if user is not None:
        kwargs = dict(user=user.pw_uid, group=user.pw_gid, extra_groups=[])
        env.update(HOME=user.pw_dir, USER=user.pw_name, LOGNAME=user.pw_name)
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout, **kwargs)


def _log_tail(log: pathlib.Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def _initdb(bin_dir: pathlib.Path, data: pathlib.Path, user, cwd: pathlib.Path) -> None:
    """Create the cluster, trying locale C.UTF-8 first and plain C as a fallback."""
    output = ""
    for locale in ("C.UTF-8", "C"):
        shutil.rmtree(data, ignore_errors=True)
        result = _run([bin_dir / "initdb", "-D", data, "-U", SUPERUSER, "--auth=trust",
                       "--encoding=UTF8", f"--locale={locale}"], user, cwd)
        if result.returncode == 0:
            return
        output += f"--- initdb --locale={locale} ---\n{result.stdout}{result.stderr}"
    raise RuntimeError(f"initdb failed:\n{output}")


def _create_database(sock_dir: pathlib.Path, dbname: str) -> None:
    import psycopg

    with psycopg.connect(host=str(sock_dir), port=PORT, user=SUPERUSER,
                         dbname="postgres", autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{dbname}"')


@contextlib.contextmanager
def running_postgres(dbname: str = "servicebook_test"):
    """Start a fresh server, create `dbname`, yield its SQLAlchemy URL; stop and delete it on exit.

    The URL's ``host`` query parameter is the temp directory (socket dir; data is in ``<host>/data``).
    Raises PostgresUnavailable if no binaries are found, RuntimeError (with the log tail) if start fails.
    """
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise PostgresUnavailable(
            f"no PostgreSQL binaries found (looked in $PG_BIN, {_DEB_GLOB}, PATH)")
    user = _server_user()
    root = pathlib.Path(tempfile.mkdtemp(prefix="sbpg-", dir=tempfile.gettempdir()))
    data, log = root / "data", root / "server.log"
    started = False
    try:
        if len(str(root / f".s.PGSQL.{PORT}")) > 100:
            raise PostgresUnavailable(f"temp dir {root} is too long for a unix socket path")
        if user is not None:
            os.chown(root, user.pw_uid, user.pw_gid)
        _initdb(bin_dir, data, user, root)
        result = _run([bin_dir / "pg_ctl", "-D", data, "-l", log, "-w", "-t", "60",
                       "-o", f"-k {root} -p {PORT} {SERVER_OPTIONS}", "start"], user, root, timeout=90)
        started = True  # even a failed start may leave a postmaster behind; always try to stop
        if result.returncode != 0:
            raise RuntimeError(f"PostgreSQL failed to start ({result.stdout}{result.stderr}).\n"
                               f"Server log tail:\n{_log_tail(log)}")
        _create_database(root, dbname)
        yield f"postgresql+psycopg://{SUPERUSER}@/{dbname}?host={root}&port={PORT}"
    finally:
        if started:
            for mode in ("fast", "immediate"):
                with contextlib.suppress(subprocess.TimeoutExpired):
                    if _run([bin_dir / "pg_ctl", "-D", data, "-m", mode, "-w", "-t", "30", "stop"],
                            user, root, timeout=45).returncode == 0:
                        break
        shutil.rmtree(root, ignore_errors=True)


# --- for the cluster tests: a second database, and an outage of the server under a running site ------------

def _server_of(url: str) -> tuple[pathlib.Path, pathlib.Path, pwd.struct_passwd | None]:
    """(binaries, root folder, server account) of a server `running_postgres` started (its URL names the root)."""
    root = pathlib.Path(re.search(r"[?&]host=([^&]+)", url).group(1))
    return find_pg_bin(), root, _server_user()


def create_database(url: str, dbname: str) -> str:
    """A new, empty database on the server of `url`; returns its URL."""
    _bin, root, _user = _server_of(url)
    _create_database(root, dbname)
    return re.sub(r"@/[^?]+\?", f"@/{dbname}?", url)


def stop_server(url: str, mode: str = "fast") -> None:
    """Stop the server of `url` (`fast`: open connections are cut, as in a restart or a failover)."""
    bin_dir, root, user = _server_of(url)
    result = _run([bin_dir / "pg_ctl", "-D", root / "data", "-m", mode, "-w", "-t", "30", "stop"], user, root, 45)
    if result.returncode != 0:
        raise RuntimeError(f"pg_ctl stop failed: {result.stdout}{result.stderr}")


def start_server(url: str) -> None:
    """Start the server of `url` again, on the same socket and data (after `stop_server`)."""
    bin_dir, root, user = _server_of(url)
    result = _run([bin_dir / "pg_ctl", "-D", root / "data", "-l", root / "server.log", "-w", "-t", "60",
                   "-o", f"-k {root} -p {PORT} {SERVER_OPTIONS}", "start"], user, root, timeout=90)
    if result.returncode != 0:
        raise RuntimeError(f"PostgreSQL failed to start again ({result.stdout}{result.stderr}).\n"
                           f"Server log tail:\n{_log_tail(root / 'server.log')}")
