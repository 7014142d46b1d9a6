"""Demo content: one user per role (password 'servicebook', demo only), the articles in demo/articles and the
demo improvements (demo/improvements.py), feedback and flags (demo/feedback.py), a learning path
(demo/onboarding.py), a knowledge check (demo/checks.py) and the search synonyms in demo/synonyms.txt."""
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import func, select

from accounts import auth
from core.db import db
from demo import checks, feedback, improvements, measured, onboarding
from kb import transfer
from kb.models import Article
from kb.search import synonyms

ARTICLES = Path(__file__).resolve().parent / "articles"
SYNONYMS = Path(__file__).resolve().parent / "synonyms.txt"
PASSWORD = "servicebook"


def load() -> str:
    """Fill an empty database; a database that has articles is left as it is."""
    if db.session.scalar(select(func.count()).select_from(Article)):
        return "The database has articles already; demo content not loaded."
    for role in auth.ROLES:
        if auth.find_user(role) is None:
            user = auth.create_user(role, [role], PASSWORD, display_name=role.replace("_", " ").title())
            user.email = f"{role}@example.com"  # notifications are mailed there (see `make run`)
    try:
        report = transfer.import_folder(ARTICLES, auth.find_user("admin"), current_app.config["MAX_BODY_CHARS"])
    except transfer.ImportFailed as failed:
        db.session.rollback()
        raise click.ClickException("The demo content is broken; nothing was loaded:\n  "
                                   + "\n  ".join(failed.problems)) from None
    loaded = [improvements.load(), feedback.load(), measured.load(), onboarding.load(), checks.load(),
              load_synonyms()]
    db.session.commit()
    return f"Demo content loaded: {len(auth.ROLES)} users, {len(report.created)} articles. {' '.join(loaded)}"


def load_synonyms() -> str:
    """The demo's synonym entries, added as the editor would import them on the Synonyms page."""
    added = synonyms.import_text(SYNONYMS.read_text(encoding="utf-8"), auth.find_user("editor"))
    return f"Demo synonyms: {len(added)} entries (Searches > Synonyms)."


def init_app(app) -> None:
    """`flask init --demo` loads the demo content (core's "demo-content" hook)."""
    from core import hooks
    hooks.register(app, "demo-content", load)
