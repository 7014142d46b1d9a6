"""`flask kb import DIR`, `flask kb export DIR` and `flask kb rerender`."""
import contextlib
import sys
import time
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
@click.option("--batch", default=500, show_default=True, type=click.IntRange(1, 100_000),
              help="Files committed together; an interrupted import run again goes on from the last batch.")
def import_articles(folder: Path, username: str, batch: int):
    """Create or update articles from FOLDER/*.md; nothing is imported if any file is bad.

    Thousands of files: committed in batches, indexed once at the end (by a rebuild aside, in one segment,
    when they are most of the index), with a progress bar. Run it again after an interruption: articles
    are matched by slug, so nothing is duplicated."""
    actor = find_user(username)
    if actor is None:
        raise click.UsageError(f"No user named {username!r}; pass --as with an existing user.")
    files = sum(1 for _ in folder.rglob("*.md")) if folder.is_dir() else 0
    try:
        with search_index.bulk(db.session), progress_bar(files, "Importing", "files") as step:
            report = transfer.import_folder(folder, actor, current_app.config["MAX_BODY_CHARS"], batch, step)
            db.session.commit()
    except transfer.ImportFailed as failed:
        db.session.rollback()
        click.echo("Nothing was imported:", err=True)
        for problem in failed.problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        db.session.rollback()
        click.echo("\nInterrupted: the batches committed so far are kept; run the same command again for the rest.",
                   err=True)
        _index_imported()
        raise SystemExit(130) from None
    click.echo(f"{len(report.created)} created, {len(report.updated)} updated, "
               f"{len(report.unchanged)} unchanged.")
    _index_imported()


def _index_imported() -> None:
    pending = search_index.pending_count()
    if pending:
        with progress_bar(pending, "Indexing", "articles") as step:
            done = search_index.index_bulk(progress=step)
        click.echo(f"Indexed {done} articles.")


@contextlib.contextmanager
def progress_bar(length: int, label: str, unit: str):
    """click's progress bar with the count and the rate; yields `step(n)`."""
    started = time.monotonic()
    done = 0

    def rate(_item) -> str:
        seconds = time.monotonic() - started
        return f"{done:,} {unit}, {done / seconds:,.0f}/s" if seconds > 0 and done else ""

    with click.progressbar(length=length, label=label, show_pos=True, item_show_func=rate, file=sys.stderr) as bar:
        def step(n: int) -> None:
            nonlocal done
            done += n
            bar.update(n, done)
        yield step
    seconds = time.monotonic() - started
    click.echo(f"{label}: {done:,} {unit} in {seconds:,.1f} s ({done / max(seconds, 0.001):,.0f}/s)", err=True)


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
    with search_index.bulk(db.session()):  # its commits log the changes; they are indexed once, below
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
        with search_index.bulk(db.session()):
            rerender.mark_for_reindexing(drift.missing + drift.stale)
            db.session.commit()
        indexed += search_index.catch_up(wait=60)
        click.echo(f"Reindexed {indexed} articles; "
                   f"{search_index.pending_count()} still pending ('flask search update' indexes them).")
