"""Configuration: defaults, then the environment, then an optional instance file.

SERVICEBOOK_INSTANCE  folder for the SQLite database, the search index and uploads (instance/)
DATABASE_URL          SQLAlchemy URL; default SQLite in the instance folder (WAL, foreign keys)
SECRET_KEY            required with PostgreSQL (every host must sign with the same key); with SQLite,
                      generated into the instance folder on first run when unset
SERVICEBOOK_ENV       production (default: secure cookies) or development
SERVICEBOOK_HOST      this host's name among several (default: the machine's name)
SEARCH_FOLLOW_SECONDS, SEARCH_CHANGE_RETENTION_SECONDS: how often a host looks for other hosts' changes
                      (PostgreSQL also tells it at once), and how long the log keeps changes a stopped host
                      has not applied (past that, the host rebuilds its index when it returns)
"""
import os
import secrets
import socket
from pathlib import Path

MAX_BODY_CHARS = 1_000_000


def instance_path() -> Path:
    return Path(os.environ.get("SERVICEBOOK_INSTANCE", "instance")).resolve()


class ConfigurationError(Exception):
    """A setting the site cannot start without; the message says which and how to set it."""


SHARED_KEY_NEEDED = ("SECRET_KEY must be set when DATABASE_URL is PostgreSQL: every host behind the load balancer "
                     "must sign sessions with the same key, or people are logged out whenever their requests move "
                     "between hosts. Set the same long random value on every host, for example the output of "
                     "`python3 -c 'import secrets; print(secrets.token_hex(32))'`.")


def _secret_key(folder: Path, database_url: str) -> str:
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    if database_url.startswith("postgresql"):  # never a per-host generated key
        raise ConfigurationError(SHARED_KEY_NEEDED)
    key_file = folder / "secret_key"
    if not key_file.exists():  # written aside, then linked in: workers starting together agree on one key
        folder.mkdir(parents=True, exist_ok=True)
        draft = folder / f".secret_key.{os.getpid()}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
        try:
            os.link(draft, key_file)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return key_file.read_text().strip()


def load(overrides: dict | None = None) -> dict:
    """Every setting the app uses, as a plain dict (testable without Flask)."""
    overrides = overrides or {}
    folder = Path(overrides.get("INSTANCE_PATH") or instance_path())
    folder.mkdir(parents=True, exist_ok=True)
    production = os.environ.get("SERVICEBOOK_ENV", "production") == "production"
    settings = {
        "INSTANCE_PATH": str(folder),
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'servicebook.db'}",
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "HOST_ID": os.environ.get("SERVICEBOOK_HOST") or socket.gethostname(),
        # proxies in front whose X-Forwarded-For/-Proto/-Host are believed (1 behind one nginx); 0: none, the
        # headers are ignored (anyone could send them)
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES") or 0),
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 4 * 1024 * 1024,  # Flask's 500 kB default would refuse a long body sent as multipart
        "MAX_BODY_CHARS": MAX_BODY_CHARS,
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).resolve().parent.parent / "translations"),
        "LANGUAGES": {"en": "English", "zh": "简体中文"},
        "DATABASE_BUSY_SECONDS": 5.0,
        "DATABASE_CONNECT_TIMEOUT_SECONDS": 5.0,  # PostgreSQL: a request in an outage fails fast (core/db.py)
        "PASSWORD_METHOD": "scrypt",
        "LOGIN_FAILURE_LIMIT": 5,
        "LOGIN_FAILURE_WINDOW_MINUTES": 15,
        "SEARCH_INDEX_PATH": os.environ.get("SEARCH_INDEX_PATH") or str(folder / "search"),
        "SEARCH_LOCK_WAIT_SECONDS": 5.0,  # how long a write waits for another worker's index update
        "SEARCH_PAGE_SIZE": 10,
        "SEARCH_MERGE_ABOVE_SEGMENTS": 8,  # an index with more segments is merged into one in the background
        # a rebuild's writer holds up to this many MB of postings in memory before it sorts runs to disk and merges
        # them (about 300 MB for the 1x corpus of 1,803 articles, 3 GB for the 10x: at 2048 the 10x rebuild spilled
        # to disk and took 273 s instead of 175 s)
        "SEARCH_REBUILD_MEMORY_MB": 4096,
        "SEARCH_MATCH_CAP": 1000,  # matches counted exactly up to this many ("1,000+" beyond), as are the facets
        "SEARCH_FOLLOW_SECONDS": float(os.environ.get("SEARCH_FOLLOW_SECONDS") or 2.0),  # see the top
        "SEARCH_CHANGE_RETENTION_SECONDS": float(os.environ.get("SEARCH_CHANGE_RETENTION_SECONDS") or 7 * 86400),
        "SEARCH_LOG_FLUSH_SECONDS": 2.0,  # searches are logged in batches at most this old (kb/search/log.py)
        "VIEW_COUNT_FLUSH_SECONDS": 5.0,  # article views are written in batches at most this old (kb/view_counts.py)
    }
    instance_file = folder / "servicebook.cfg.py"
    if instance_file.exists():
        namespace: dict = {}
        exec(compile(instance_file.read_text(), str(instance_file), "exec"), namespace)
        settings.update({k: v for k, v in namespace.items() if k.isupper()})
    settings.update(overrides)
    if not settings["SECRET_KEY"]:  # from the environment, the instance file or the caller; else made here
        settings["SECRET_KEY"] = _secret_key(folder, settings["DATABASE_URL"])
    return settings
