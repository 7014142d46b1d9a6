"""`flask improvement ...`: import measurements from a CSV file."""
import re
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from accounts import auth
from core import clock
from core.db import db
from core.errors import Invalid
from improvement import measurements_csv, metrics
from improvement.models import Metric

group = AppGroup("improvement", help="The improvement register: import measurements.")


@group.command("import-measurements")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--metric", "metric_name", required=True, help="The metric's name in the catalogue (or its id).")
@click.option("--as", "username", default=None, help="Record the import as this user.")
def import_measurements(file: Path, metric_name: str, username: str | None):
    """Add the measurements in FILE (date,value[,denominator][,note]); any bad row imports nothing."""
    metrics.catalogue()
    metric = db.session.scalar(select(Metric).where(
        (func.lower(Metric.name) == metric_name.lower()) |
        (Metric.id == (int(metric_name) if re.fullmatch(r"[0-9]{1,9}", metric_name) else -1))))
    if metric is None:
        names = ", ".join(m.name for m in metrics.catalogue())
        raise click.UsageError(f"No metric named {metric_name!r}; the catalogue has: {names}.")
    actor = auth.find_user(username) if username else None
    if username and actor is None:
        raise click.UsageError(f"There is no user named {username!r}.")
    try:
        readings = measurements_csv.parse(measurements_csv.decode(file.read_bytes()), metric, clock.today())
        added = metrics.add_readings(metric, readings, actor, f"file {file.name}"[:80])
    except Invalid as refusal:
        db.session.rollback()
        raise click.ClickException("Nothing was imported:\n  " + "\n  ".join(refusal.problems)) from None
    db.session.commit()
    click.echo(f"Imported {len(added)} measurements of {metric.name}.")
