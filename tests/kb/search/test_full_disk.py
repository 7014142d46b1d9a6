"""A full disk for real: the search index lives on a 1 MB tmpfs that is filled up. Edits made while the
disk is full are saved in the database (the page answers normally) and stay marked for indexing; once
there is room again, the next write catches the index up and `flask search check` finds no drift.

Needs permission to mount a tmpfs (root in these CI containers); skipped with the reason otherwise.
The injected-ENOSPC variant that runs everywhere is in test_search.py."""
import errno
import gc
import os
import subprocess

import pytest
from sqlalchemy import func, select

from core.db import db
from kb.models import Article
from kb.search import index as search_index


@pytest.fixture
def tiny_disk(tmp_path, monkeypatch):
    mountpoint = tmp_path / "tiny-disk"
    mountpoint.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mountpoint)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    monkeypatch.setenv("SEARCH_INDEX_PATH", str(mountpoint / "search"))
    yield mountpoint
    subprocess.run(["umount", "-l", str(mountpoint)], check=True)


@pytest.fixture
def app(tiny_disk, app):  # the conftest app, made after the index folder moved to the tiny disk
    return app


def fill(disk) -> None:
    """Write a filler file until the disk refuses another byte."""
    filler = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(filler, b"\0" * 4096):
            pass
    except OSError as full:
        assert full.errno == errno.ENOSPC
    finally:
        os.close(filler)


def save_article(client, title: str, category_id: int):
    return client.submit("/kb/articles/new", {
        "title": title, "body": "## Issue\n\nThe parcel locker does not open.\n" + "filler words " * 400,
        "type": "knowledge_article", "audience": "staff", "language": "en", "owner_id": "1",
        "category_id": str(category_id), "save": "Save"}, token_from="/kb/articles/new")


def titles_found(client, words: str) -> list[str]:
    answer = client.get("/api/v1/search", query_string={"q": words})
    return sorted(hit["title"] for hit in answer.get_json()["hits"])


# Whoosh leaves a few files of the half-written segment open when the disk is full (its close fails half
# way); they are closed when the writer is garbage-collected, which the test forces so the warning is its own
@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
def test_edits_made_while_the_index_disk_is_full_are_kept_and_indexed_once_there_is_room(
        app, client, login_as, make_article, tiny_disk):
    assert search_index.search_index().root.is_relative_to(tiny_disk)
    first = make_article(title="Locker before the disk filled", body="parcel locker")
    login_as("editor")
    fill(tiny_disk)

    answer = save_article(client, "Locker while the disk was full", first.category_id)
    assert answer.status_code == 302, answer.text  # the editor is told it was saved: it was
    assert db.session.scalar(select(func.count()).select_from(Article)) == 2
    assert search_index.pending_count() >= 1  # in the change log, not yet applied to the index
    drift = search_index.check()
    assert drift.missing and drift.pending >= 1
    assert titles_found(client, "locker") == ["Locker before the disk filled"]  # the old index still answers

    gc.collect()
    (tiny_disk / "filler").unlink()
    assert save_article(client, "Locker after the disk was freed", first.category_id).status_code == 302
    assert search_index.pending_count() == 0
    assert not search_index.check().any
    assert titles_found(client, "locker") == ["Locker after the disk was freed", "Locker before the disk filled",
                                              "Locker while the disk was full"]
    assert app.test_cli_runner().invoke(args=["search", "check"]).exit_code == 0
