"""Flask commands shared by the whole site: `init` and `users`."""
import secrets
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from accounts import auth, people
from core import backup, migrate
from core.db import db

users = AppGroup("users", help="Create and list users, set a password.")


@users.command("create")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True,
              help=f"One of {', '.join(auth.ROLES)}; repeat for several.")
@click.option("--password", help="Leave out to have a strong one generated and printed once.")
@click.option("--display-name", default="")
def create_user(name: str, roles: tuple[str, ...], password: str | None, display_name: str):
    """Create user NAME with one or more roles."""
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    try:
        people.check_new_password(password, name, field="password")
        auth.create_user(name, list(roles), password, display_name)
        db.session.commit()
    except ValueError as problem:
        db.session.rollback()
        raise click.UsageError(str(problem)) from None
    click.echo(f"Created {name} ({', '.join(roles)})" + (f" with password {password}" if generated else ""))


@users.command("password")
@click.argument("name")
@click.option("--password", help="Leave out to have a strong one generated and printed once.")
def set_password(name: str, password: str | None):
    """Give user NAME a new password (for someone who forgot theirs)."""
    user = auth.find_user(name)
    if user is None:
        raise click.UsageError(f"There is no user named {name!r}.")
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    try:
        people.set_password(user, password, actor=None)
        db.session.commit()
    except ValueError as problem:
        db.session.rollback()
        raise click.UsageError(str(problem)) from None
    click.echo(f"New password set for {name}" + (f": {password}" if generated else "."))


@users.command("token")
@click.argument("name")
@click.option("--label", default="", help="What the token is for, e.g. 'ticketing side panel'.")
@click.option("--revoke", is_flag=True, help="Revoke every token of NAME instead.")
def token(name: str, label: str, revoke: bool):
    """Issue a personal API token for NAME (sent as 'Authorization: Bearer ...'), or revoke them all."""
    from core import api
    user = auth.find_user(name)
    if user is None:
        raise click.UsageError(f"There is no user named {name!r}.")
    if revoke:
        count = api.revoke_tokens(user)
        db.session.commit()
        click.echo(f"Revoked {count} token(s) of {name}.")
        return
    secret = api.issue_token(user, label)
    db.session.commit()
    click.echo(f"API token for {name} (shown once, keep it secret):\n{secret}")


@users.command("list")
def list_users():
    """Every user with their roles."""
    from sqlalchemy import select
    for user in db.session.scalars(select(auth.User).order_by(auth.User.username)):
        click.echo(f"{user.username:20} {', '.join(sorted(user.roles))}{'' if user.active else ' (inactive)'}")


def register(app: Flask, demo_loader=None, after_restore=None) -> None:
    """Add the commands; `demo_loader()` fills an empty database with the demo content and
    `after_restore()` rebuilds what is derived from the database (the search index)."""

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
        if after_restore:
            click.echo(after_restore())

    @app.cli.command("init")
    @click.option("--demo", is_flag=True, help="Load the demo content when the database has none.")
    def init(demo: bool):
        """Apply the database migrations (and load the demo content)."""
        migrate.upgrade(current_app.config["DATABASE_URL"])
        click.echo("Database is up to date.")
        if demo and demo_loader:
            click.echo(demo_loader())

    app.cli.add_command(users)
