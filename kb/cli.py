"""`flask kb import DIR` and `flask kb export DIR`."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from accounts.auth import find_user
from core.db import db
from kb import transfer

group = AppGroup("kb", help="Import and export articles as Markdown files.")


@group.command("import")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--as", "username", default="admin", show_default=True, help="Who the revisions are by.")
def import_articles(folder: Path, username: str):
    """Create or update articles from FOLDER/*.md; nothing is imported if any file is bad."""
    actor = find_user(username)
    if actor is None:
        raise click.UsageError(f"No user named {username!r}; pass --as with an existing user.")
    try:
        report = transfer.import_folder(folder, actor, current_app.config["MAX_BODY_CHARS"])
        db.session.commit()
    except transfer.ImportFailed as failed:
        db.session.rollback()
        click.echo("Nothing was imported:", err=True)
        for problem in failed.problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(1) from None
    click.echo(f"{len(report.created)} created, {len(report.updated)} updated, "
               f"{len(report.unchanged)} unchanged.")


@group.command("export")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
def export_articles(folder: Path):
    """Write every article to FOLDER/<slug>.md with its front matter."""
    count = transfer.export_folder(folder)
    click.echo(f"Exported {count} articles to {folder}.")
