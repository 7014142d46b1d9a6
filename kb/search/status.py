"""`flask search status`: where each host's index is against the change log. `read()` gathers the figures
(this host's from its own index folder, the others' from their last report); `lines()` words them (pure)."""
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy.orm import Session

from core.db import db, utcnow
from kb.search import changes
from kb.search import index as search_index


@dataclass
class HostStatus:
    name: str
    position: int
    behind: int  # log rows past its position
    lag_seconds: float  # how old the oldest of those is (0 when in step)
    caught_up_at: datetime | None
    seen_at: datetime | None
    rebuilds: int
    index_name: str
    this_host: bool = False


@dataclass
class Status:
    now: datetime
    head: int
    pruned_through: int
    kept: int  # rows in the log
    retention_seconds: float
    hosts: list[HostStatus]


def read() -> Status:
    me = current_app.config["HOST_ID"]
    index = search_index.search_index()
    now = utcnow()
    with Session(db.engine) as session:
        head = changes.head(session)
        reported = {h.name: h for h in changes.hosts(session)}
        positions = {name: h.position for name, h in reported.items()}
        positions[me] = index.position()  # this host's own index: exact, not its last report
        hosts = []
        for name in sorted(positions):
            row, position = reported.get(name), positions[name]
            oldest = changes.oldest_after(session, position)
            hosts.append(HostStatus(
                name=name, position=position, behind=changes.count_after(session, position),
                lag_seconds=(now - oldest).total_seconds() if oldest else 0.0,
                caught_up_at=row.caught_up_at if row else None, seen_at=row.seen_at if row else None,
                rebuilds=row.rebuilds if row else 0,
                index_name=(index.current_name() or "(none yet)") if name == me else (row.index_name if row else ""),
                this_host=name == me))
        pruned = changes.floor(session)
        kept = changes.count_after(session, 0)
    return Status(now, head, pruned, kept, current_app.config["SEARCH_CHANGE_RETENTION_SECONDS"], hosts)


def lines(status: Status) -> list[str]:
    """The status as a few lines of text: the log, then one line per host."""
    out = [f"Change log: head {status.head}, {status.kept} changes kept, pruned through {status.pruned_through}, "
           f"retention {_duration(status.retention_seconds)}.",
           f"{'host':<20} {'position':>9} {'behind':>7} {'lag':>8}  {'last catch-up':<19}  {'last seen':<10}  state"]
    for host in status.hosts:
        out.append(f"{host.name + (' *' if host.this_host else ''):<20} {host.position:>9} {host.behind:>7} "
                   f"{_duration(host.lag_seconds):>8}  {_when(host.caught_up_at):<19}  "
                   f"{_ago(status.now, host.seen_at):<10}  {_state(status, host)}")
    out.append("* this host. Lag: how old the oldest change it has not applied is.")
    return out


def _state(status: Status, host: HostStatus) -> str:
    if host.position < status.pruned_through:
        return "behind the pruned log: rebuilds its index when it runs"
    if host.seen_at is not None and (status.now - host.seen_at).total_seconds() > status.retention_seconds:
        return "gone (not seen within the retention period; no longer holds the log back)"
    if host.behind:
        return "catching up"
    times = "once" if host.rebuilds == 1 else f"{host.rebuilds} times"
    return "in step" + (f", rebuilt its index itself {times}" if host.rebuilds else "")


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "never"


def _ago(now: datetime, moment: datetime | None) -> str:
    return f"{_duration(max(0.0, (now - moment).total_seconds()))} ago" if moment else "never"
