"""Today's date, for every part of the app: the real `date.today()`, unless the process pins one.

Why: a test (or a demo) compares what the app does today with dates it computed itself; when the run crosses
midnight the two disagree ("the due date is before the improvement started"). The tests pin one date for the whole
run in the environment variable `SERVICEBOOK_TODAY` (an ISO date, 2026-11-30), so the app in the test process and
the gunicorn/nginx servers it starts (they inherit the environment) all live on that day. Production leaves it
unset. Timestamps (`core.db.utcnow`) are not pinned: only the calendar date.

A bad value is an error (`ValueError` naming the variable) at start-up (`core.init_app` asks once) or first use,
never a silent fall back to the real date."""
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from functools import lru_cache

VARIABLE = "SERVICEBOOK_TODAY"


def today() -> date:
    """The pinned date when `SERVICEBOOK_TODAY` is set (read at each call, so a test may change it), else the real
    date."""
    value = os.environ.get(VARIABLE, "").strip()
    return _parse(value) if value else date.today()


@lru_cache(maxsize=8)
def _parse(value: str) -> date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):  # one spelling (fromisoformat takes 2026-W48-1 too)
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{VARIABLE}={value!r} is not a date: write it as YYYY-MM-DD (2026-11-30), "
                         f"or unset it to use the real date") from None


@contextmanager
def pinned(day: date) -> Iterator[date]:
    """Within the block the app (this process, and servers started in it) lives on `day`; then as before."""
    before = os.environ.get(VARIABLE)
    os.environ[VARIABLE] = day.isoformat()
    try:
        yield day
    finally:
        if before is None:
            os.environ.pop(VARIABLE, None)
        else:
            os.environ[VARIABLE] = before
