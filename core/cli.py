"""Flask commands shared by the whole site: `init`, `backup` and `restore`."""
from pathlib import Path

import click
from flask import Flask, current_app

from core import backup, hooks, migrate
from core.db import db


def init_app(app: Flask) -> None:
    """Add the commands. The packages fill two hooks: "demo-content" fills an empty database with the demo
    content, "database-restored" rebuilds what is derived from the database (the search index)."""

    @app.cli.command("backup")
    @click.argument("file", type=click.Path(path_type=Path))
    def backup_command(file: Path):
        """Write a consistent copy of the database to FILE (while the site runs)."""
        try:
            backup.backup(current_app.config["DATABASE_URL"], file)
        except backup.BackupFailed as problem:
            raise click.ClickException(str(problem)) from None
        click.echo(f"Backup written to {file} ({file.stat().st_size:,} bytes).")

    @app.cli.command("restore")
    @click.argument("file", type=click.Path(path_type=Path))
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    def restore_command(file: Path, yes: bool):
        """Replace the database's content with the backup in FILE, then rebuild the search index."""
        if not yes:
            click.confirm(f"Replace everything in the database with {file}?", abort=True)
        db.session.remove()
        db.engine.dispose()
        try:
            backup.restore(current_app.config["DATABASE_URL"], file)
        except backup.BackupFailed as problem:
            raise click.ClickException(str(problem)) from None
        migrate.upgrade(current_app.config["DATABASE_URL"])  # a backup from an older release
        click.echo(f"Database restored from {file}.")
        for said in hooks.results("database-restored"):
            click.echo(said)

    @app.cli.command("init")
    @click.option("--demo", is_flag=True, help="Load the demo content when the database has none.")
    def init(demo: bool):
        """Apply the database migrations (and load the demo content)."""
        migrate.upgrade(current_app.config["DATABASE_URL"])
        click.echo("Database is up to date.")
        if demo:
            for said in hooks.results("demo-content"):
                click.echo(said)

