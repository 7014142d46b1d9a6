"""`flask users`: create and list users, set a password, issue API tokens."""
import secrets

import click
from flask.cli import AppGroup
from sqlalchemy import select

from accounts import auth, people, tokens
from core.db import db
from core.errors import Invalid

users = AppGroup("users", help="Create and list users, set a password.")


@users.command("create")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True,
              help=f"One of {', '.join(auth.ROLES)}; repeat for several.")
@click.option("--password", help="Leave out to have a strong one generated and printed once.")
@click.option("--display-name", default="")
@click.option("--email", default="", help="Where notifications are mailed.")
def create_user(name: str, roles: tuple[str, ...], password: str | None, display_name: str, email: str):
    """Create user NAME with one or more roles."""
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    try:
        people.check_new_password(password, name, field="password")
        people.set_email(auth.create_user(name, list(roles), password, display_name), email, None)
        db.session.commit()
    except Invalid as problem:
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
    except Invalid as problem:
        db.session.rollback()
        raise click.UsageError(str(problem)) from None
    click.echo(f"New password set for {name}" + (f": {password}" if generated else "."))


@users.command("token")
@click.argument("name")
@click.option("--label", default="", help="What the token is for, e.g. 'ticketing side panel'.")
@click.option("--revoke", is_flag=True, help="Revoke every token of NAME instead.")
def token(name: str, label: str, revoke: bool):
    """Issue a personal API token for NAME (sent as 'Authorization: Bearer ...'), or revoke them all."""
    user = auth.find_user(name)
    if user is None:
        raise click.UsageError(f"There is no user named {name!r}.")
    if revoke:
        count = tokens.revoke_tokens(user)
        db.session.commit()
        click.echo(f"Revoked {count} token(s) of {name}.")
        return
    secret = tokens.issue_token(user, label)
    db.session.commit()
    click.echo(f"API token for {name} (shown once, keep it secret):\n{secret}")


@users.command("list")
def list_users():
    """Every user with their roles."""
    for user in db.session.scalars(select(auth.User).order_by(auth.User.username)):
        click.echo(f"{user.username:20} {', '.join(sorted(user.roles))}{'' if user.active else ' (inactive)'}")
