"""Back up and restore the database (the search index is derived: it is rebuilt after a restore).

SQLite: the online backup API, a consistent copy while the site runs. PostgreSQL: pg_dump's custom
format and pg_restore, which must be on PATH (or in $PG_BIN).
"""
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupFailed(Exception):
    pass


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    return Path(parsed.database) if parsed.get_backend_name() == "sqlite" and parsed.database else None


def _pg_tool(name: str) -> str:
    for folder in filter(None, (os.environ.get("PG_BIN"), *sorted(Path("/usr/lib/postgresql").glob("*/bin"),
                                                                  reverse=True))):
        if (Path(folder) / name).exists():
            return str(Path(folder) / name)
    found = shutil.which(name)
    if not found:
        raise BackupFailed(f"{name} is not installed; install the PostgreSQL client tools (or set PG_BIN).")
    return found


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _schema_revision(connection: sqlite3.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def backup(url: str, target: Path) -> None:
    """Write a consistent copy of the database to `target` (written aside, then renamed into place)."""
    target = Path(target)
    if target.exists():
        raise BackupFailed(f"{target} exists already; choose a new file name.")
    partial = target.with_name(target.name + ".partial")
    source = _sqlite_path(url)
    try:
        if source is not None:
            with closing(sqlite3.connect(source, timeout=30)) as live, closing(sqlite3.connect(partial)) as copy:
                live.backup(copy)
        else:
            done = subprocess.run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}",
                                   _libpq_url(url)], capture_output=True, text=True)
            if done.returncode:
                raise BackupFailed(f"pg_dump failed: {done.stderr.strip()}")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def restore(url: str, source: Path) -> None:
    """Replace the database's content with the backup in `source` (refused unless it is one of ours)."""
    source = Path(source)
    if not source.is_file():
        raise BackupFailed(f"There is no file {source}.")
    target = _sqlite_path(url)
    if target is not None:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as backup_copy:
            if _schema_revision(backup_copy) is None:
                raise BackupFailed(f"{source} is not a Servicebook SQLite backup (no schema revision in it).")
            with closing(sqlite3.connect(target, timeout=30)) as live:
                backup_copy.backup(live)
        return
    done = subprocess.run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                           f"--dbname={_libpq_url(url)}", str(source)], capture_output=True, text=True)
    if done.returncode:
        raise BackupFailed(f"pg_restore failed (nothing was changed): {done.stderr.strip()[:2000]}")
