"""`flask search rebuild | update | status | check | optimize`: make, follow and verify the index."""
import time

import click
from flask.cli import AppGroup

from kb.search import index as search_index
from kb.search import status as search_status

group = AppGroup("search", help="Build, update and check the search index (derived from the database).")


@group.command("rebuild")
def rebuild():
    """Index every article into a new folder (one segment), then swap it in (searches go on meanwhile)."""
    started = time.perf_counter()
    count = search_index.rebuild()
    click.echo(f"Indexed {count} articles in {time.perf_counter() - started:.1f} s.")


@group.command("update")
def update():
    """Apply the change log to this host's index (after a failed or interrupted update); rebuild if pruned past."""
    count = search_index.catch_up(wait=60)
    left = search_index.pending_count()
    click.echo(f"Indexed {count} articles." + (f" {left} changes still to apply: the index is busy." if left else ""))
    if left:
        raise SystemExit(1)


@group.command("status")
def status():
    """Each host's index: how far it has applied the change log, how far behind it is, its last catch-up."""
    report = search_status.read()
    for line in search_status.lines(report):
        click.echo(line)


@group.command("check")
def check():
    """List articles missing from, stale in, or extra in the index; exit code 1 on any drift."""
    drift = search_index.check()
    for label, ids in (("missing from the index", drift.missing), ("stale in the index", drift.stale),
                       ("in the index but not in the database", drift.extra)):
        if ids:
            click.echo(f"{len(ids)} {label}: {', '.join(map(str, ids[:50]))}{' …' if len(ids) > 50 else ''}")
    if drift.pending:
        click.echo(f"{drift.pending} changes in the log not yet applied ('flask search update' applies them).")
    if drift.any:
        click.echo("The index has drifted from the database: run 'flask search update' or 'flask search rebuild'.")
        raise SystemExit(1)
    click.echo("The index matches the database.")


@group.command("optimize")
def optimize():
    """Merge the index's segments into one (faster searches after many small updates)."""
    search_index.optimize()
    click.echo("Index optimised.")
