"""Worker processes for bulk work done while this process writes (an import renders Markdown ahead, a rebuild
analyses articles ahead), one per core.

Forked: the workers start at once with everything loaded, and only ever compute (no database, no files).
Ctrl-C reaches every process of the terminal; the workers ignore it, and the bulk work stops them itself. A
worker ends with the process that started it, even one killed with `kill -9` (a gunicorn worker rebuilding its
index, say), instead of waiting for work forever."""
import contextlib
import ctypes
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor

PR_SET_PDEATHSIG = 1  # Linux's prctl option: a signal for this process when its parent ends


@contextlib.contextmanager
def pool(processes: int | None = None, initializer=None, initargs: tuple = ()):
    """A pool of `processes` forked workers (default: one per core), or None with one core or where processes
    cannot be forked: then the caller does the work itself. `initializer(*initargs)` runs in each worker."""
    processes = (os.cpu_count() or 1) if processes is None else processes
    if processes < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield None
        return
    workers = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork"),
                                  initializer=_start, initargs=(os.getpid(), initializer, initargs))
    try:
        yield workers
    finally:
        workers.shutdown(wait=True, cancel_futures=True)


def _start(parent: int, initializer, initargs: tuple) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _end_with(parent)
    if initializer is not None:
        initializer(*initargs)


def _end_with(parent: int) -> None:
    """SIGKILL for this worker when its parent ends (Linux's prctl; where there is none, nothing)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent ended before the line above
        os._exit(0)
