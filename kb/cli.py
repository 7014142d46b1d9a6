"""`flask kb import DIR`, `flask kb export DIR` and `flask kb rerender`."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from accounts.auth import find_user
from core.db import db
from kb import rerender, transfer
from kb.search import index as search_index

group = AppGroup("kb", help="Import and export articles as Markdown files; render them again.")


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


@group.command("rerender")
@click.option("--dry-run", is_flag=True, help="List the articles whose shown text would change; change nothing.")
def rerender_articles(dry_run: bool):
    """Render every article again with today's Markdown rules; list those whose shown text changes, reindex them."""
    total = rerender.Batch()
    for batch in rerender.rerender(write=not dry_run):
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
        for change in batch.changes:
            click.echo(f"{change.article_id}\t{change.title}\t+{change.gained} -{change.lost} words")
        total.add(batch)
    verb = "would change" if dry_run else "changed"
    click.echo(f"{total.rendered} articles rendered again: the HTML of {total.html_changed} {verb}, the words "
               f"of {len(total.changes)} (+{sum(c.gained for c in total.changes)} "
               f"-{sum(c.lost for c in total.changes)} words), the spacing only of "
               f"{total.text_changed - len(total.changes)}.")
    if not dry_run:
        indexed = search_index.catch_up(wait=60)
        drift = search_index.check()  # and what was indexed under older rules for the shown text
        rerender.mark_for_reindexing(drift.missing + drift.stale)
        db.session.commit()
        indexed += search_index.catch_up(wait=60)
        click.echo(f"Reindexed {indexed} articles; "
                   f"{search_index.pending_count()} still pending ('flask search update' indexes them).")
