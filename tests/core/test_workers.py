"""Worker processes for bulk work (core.workers): they compute in other processes, and they end with the process
that started them, even one killed with kill -9."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from core import workers

ROOT = Path(__file__).resolve().parents[2]
PARENT = """
import os, sys, time
from core import workers
with workers.pool(2) as pool:
    pids = {pool.submit(os.getpid).result() for _ in range(20)} | {pool.submit(os.getpid).result()}
    pool.submit(time.sleep, 60)
    print(" ".join(map(str, sorted(pids))), flush=True)
    time.sleep(60)
"""


def alive(pid: int) -> bool:
    """The process runs (a zombie waiting to be reaped has ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def test_the_workers_compute_in_other_processes():
    with workers.pool(2) as pool:
        pids = {pool.submit(os.getpid).result() for _ in range(10)}
        assert pool.submit(sorted, [3, 1, 2]).result() == [1, 2, 3]
    assert pids and os.getpid() not in pids


def test_one_core_means_no_workers():
    with workers.pool(1) as pool:
        assert pool is None


def test_workers_end_with_their_parent_killed_with_kill_9():
    with subprocess.Popen([sys.executable, "-c", PARENT], cwd=ROOT, stdout=subprocess.PIPE, text=True) as parent:
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert pids and all(alive(p) for p in pids)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(alive(p) for p in pids), "a worker outlived its parent"
