"""`flask notify send`: write the reminders due today, then mail what is due (single messages and daily
digests), with retries; run it every few minutes from cron or a systemd timer."""
import click
from flask.cli import AppGroup

from notify import sender

group = AppGroup("notify", help="Send notification e-mails and reminders.")


@group.command("send")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Send at most this many single messages.")
def send(limit: int | None):
    """Write due reminders and send due e-mails; exit 1 when the mail server was unavailable."""
    report = sender.send_due(limit=limit)
    click.echo(f"reminders written: {report.reminders}; sent: {report.sent} notifications "
               f"({report.digests} digests); to retry: {report.retried}; failed: {report.failed}; "
               f"recovered from a stopped sender: {report.recovered} (in doubt, not resent: {report.in_doubt}); "
               f"{report.seconds:.1f} s")
    for problem in report.problems:
        click.echo(problem, err=True)
    if any("unavailable" in p for p in report.problems):
        raise SystemExit(1)
