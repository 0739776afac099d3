"""Review 11: what submit accepts, collect unpacks, and one learner's submission never stops
a collect (B2); a feedback page showing hidden tests is never released (B4); the learner
quota counts what the disk pays, per learner (B6)."""

from __future__ import annotations

import io
import json
import logging
import tarfile
import threading
from pathlib import Path
from typing import Any

import pytest
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from hub.services.exchange import archive, plugin
from hub.services.exchange.store import Store, StoreError
from northlab.hidden import shows_hidden_tests

NB = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()
LEAKING_PAGE = b"<html><pre>### BEGIN HIDDEN TESTS\nassert real_site == 'a'\n</pre></html>"


def tar(members: list[tuple[str, bytes | None]]) -> bytes:
    """A gzip tar of (name, content) members; content None makes a folder."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as out:
        for name, content in members:
            info = tarfile.TarInfo(name)
            if content is None:
                info.type = tarfile.DIRTYPE
                out.addfile(info)
            else:
                info.size = len(content)
                out.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


UNPACKABLE = {
    "file then a file under it": [("notes", b"1"), ("notes/x", b"2")],
    "a file under it then the file": [("a/b", b"2"), ("a", b"1")],
    "file then folder of the same name": [("a", b"1"), ("a", None)],
    "folder then file of the same name": [("a", None), ("a", b"1")],
    "the same file twice": [("a", b"1"), ("a", b"2")],
    "a file named .": [(".", b"1")],
    "a folder named .": [(".", None)],
    "a . part": [("a/./b", b"1")],
    "an empty part": [("a//b", b"1")],
    "a 300-character name": [("x" * 300, b"1")],
    "a 2100-deep path": [("d/" * 2100 + "f", b"1")],
    "a NUL in a name": [("é\0b", b"1")],  # non-ASCII: written in a pax header
}


@pytest.mark.parametrize("members", UNPACKABLE.values(), ids=UNPACKABLE.keys())
def test_what_cannot_be_unpacked_is_refused_at_submit(members: list, tmp_path: Path) -> None:
    data = tar([("lab1.ipynb", NB), *members])
    with pytest.raises(archive.ArchiveError):
        archive.inspect(data)
    with pytest.raises(archive.ArchiveError):
        archive.unpack(data, tmp_path / "dest")
    assert not (tmp_path / "dest").exists()  # checked before anything is written
    store = Store(tmp_path / "store")
    store.release("north", "lab1", tar([("lab1.ipynb", NB)]), force=False)
    with pytest.raises(StoreError) as refused:
        store.submit("north", "lab1", "ana", data)
    assert refused.value.status == 400
    assert refused.value.messages["fr"] != refused.value.messages["en"]


def test_honest_shapes_still_unpack(tmp_path: Path) -> None:
    data = tar([("lab1.ipynb", NB), ("data", None), ("data/x.csv", b"1"), ("data", None),
                ("deep/er/y.txt", b"2"), ("deep/er", None), ("é" * 100, b"3")])
    names = archive.inspect(data)
    assert archive.unpack(data, tmp_path / "dest") == names
    assert (tmp_path / "dest" / "deep" / "er" / "y.txt").read_bytes() == b"2"


class StoreCollect(plugin.ExchangeCollect):
    """The plugin's collect with its service requests answered by a Store directly."""

    store: Store

    def call(self, method: str, *path: str, raw: bool = False, **kwargs: Any) -> Any:
        params = kwargs.get("params") or {}
        if path[-1] == "archive":
            return self.store.submission_archive(*path[1:-1])
        return self.store.submissions(path[1], params.get("assignment_id") or None,
                                      params.get("student_id") or None)


def collect(store: Store, course_root: Path, update: bool = False) -> StoreCollect:
    config = Config()
    config.CourseDirectory.root = str(course_root)
    config.CourseDirectory.course_id = "north"
    config.CourseDirectory.assignment_id = "lab1"
    config.ExchangeCollect.update = update
    step = StoreCollect(coursedir=CourseDirectory(config=config), authenticator=None,
                        config=config)
    step.store = store
    step.start()
    return step


def test_one_bad_stored_submission_does_not_stop_the_collect(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """An archive stored before this check (or by any other path) that cannot be unpacked is
    skipped with a line naming its learner; everyone else is collected."""
    store = Store(tmp_path / "store")
    store.release("north", "lab1", tar([("lab1.ipynb", NB)]), force=False)
    store.submit("north", "lab1", "ana", tar([("lab1.ipynb", NB)]))
    store.submit("north", "lab1", "ben", tar([("lab1.ipynb", NB)]))
    store.submit("north", "lab1", "zoe", tar([("lab1.ipynb", NB)]))
    collect(store, tmp_path / "course")
    for bad in UNPACKABLE["file then a file under it"], UNPACKABLE["a file named ."]:
        store._store_submission("north", "lab1", "ana", tar([("lab1.ipynb", NB), *bad]), [])
        store.submit("north", "lab1", "ben", tar([("lab1.ipynb", NB), ("more", b"m")]))
        store.submit("north", "lab1", "zoe", tar([("lab1.ipynb", NB), ("more", b"m")]))
        with caplog.at_level(logging.ERROR):
            collect(store, tmp_path / "course", update=True)
        assert any("ana" in r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR)
        submitted = tmp_path / "course" / "submitted"
        for learner in ("ben", "zoe"):
            assert (submitted / learner / "lab1" / "more").read_bytes() == b"m"
        assert (submitted / "ana" / "lab1" / "lab1.ipynb").exists()  # the earlier copy stays
        (submitted / "ben" / "lab1" / "more").unlink()
        (submitted / "zoe" / "lab1" / "more").unlink()


def test_the_hidden_test_check() -> None:
    assert shows_hidden_tests(LEAKING_PAGE)
    assert shows_hidden_tests(b"x ## END HIDDEN TESTS y")
    assert not shows_hidden_tests(b"<html>assert real_site == 'a'</html>")


def test_the_store_never_releases_a_page_showing_hidden_tests(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    store.release("north", "lab1", tar([("lab1.ipynb", NB)]), force=False)
    sub = store.submit("north", "lab1", "ana", tar([("lab1.ipynb", NB)]))["submission_id"]
    with pytest.raises(StoreError) as refused:
        store.put_feedback("north", "lab1", "ana", sub, "lab1", LEAKING_PAGE)
    assert refused.value.status == 422
    assert refused.value.messages["fr"] != refused.value.messages["en"]
    assert store.feedback("north", "lab1", "ana") == []


class StoreReleaseFeedback(plugin.ExchangeReleaseFeedback):
    """The plugin's release_feedback with its uploads recorded."""

    def call(self, method: str, *path: str, raw: bool = False, **kwargs: Any) -> Any:
        self.uploaded.append(path[3])


def test_the_plugin_holds_back_pages_showing_hidden_tests(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    for learner, page in (("ana", LEAKING_PAGE), ("ben", b"<html>fine</html>")):
        for folder in ("feedback", "submitted"):
            (tmp_path / folder / learner / "lab1").mkdir(parents=True)
        (tmp_path / "feedback" / learner / "lab1" / "timestamp.txt").write_text("t")
        (tmp_path / "submitted" / learner / "lab1" / "submission_id.txt").write_text("s1")
        (tmp_path / "feedback" / learner / "lab1" / "lab1.html").write_bytes(page)
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    config.CourseDirectory.course_id = "north"
    config.CourseDirectory.assignment_id = "lab1"
    step = StoreReleaseFeedback(coursedir=CourseDirectory(config=config), authenticator=None,
                                config=config)
    step.uploaded = []
    with caplog.at_level(logging.ERROR):
        step.start()
    assert step.uploaded == ["ben"]
    assert any("ana" in r.getMessage() and "hidden" in r.getMessage()
               for r in caplog.records if r.levelno >= logging.ERROR)


def test_the_quota_counts_what_the_disk_pays(tmp_path: Path) -> None:
    """104-byte archives cost a folder, an archive and a meta file on disk, not 104 bytes."""
    store = Store(tmp_path / "store", learner_bytes=100_000)
    store.release("north", "lab1", tar([("lab1.ipynb", NB)]), force=False)
    tiny = tar([("lab1.ipynb", b"{}")])
    assert len(tiny) < 200
    with pytest.raises(StoreError) as refused:
        for _ in range(100_000 // len(tiny)):
            store.submit("north", "lab1", "ana", tiny)
    assert refused.value.status == 413
    on_disk = sum(p.stat().st_blocks * 512 for p in (tmp_path / "store").rglob("u-ana/**/*"))
    assert on_disk <= 100_000


def test_a_learner_has_a_submission_count_cap(tmp_path: Path) -> None:
    store = Store(tmp_path / "store", learner_submissions=3)
    store.release("north", "lab1", tar([("lab1.ipynb", NB)]), force=False)
    for _ in range(3):
        store.submit("north", "lab1", "ana", tar([("lab1.ipynb", NB)]))
    with pytest.raises(StoreError) as refused:
        store.submit("north", "lab1", "ana", tar([("lab1.ipynb", NB)]))
    assert refused.value.status == 413
    assert refused.value.message_id == "exchange.learner_too_many"
    assert len(store.submissions("north", "lab1", "ana")) == 3
    store.submit("north", "lab1", "ben", tar([("lab1.ipynb", NB)]))  # others unaffected


def test_one_learners_submit_never_waits_for_anothers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ana's submission is held in the middle of being stored; ben's goes through."""
    store = Store(tmp_path / "store")
    store.release("north", "lab1", tar([("lab1.ipynb", NB)]), force=False)
    inside, release = threading.Event(), threading.Event()
    original = Store._store_submission

    def held(self: Store, course: str, assignment: str, learner: str, *rest: Any) -> dict:
        if learner == "ana":
            inside.set()
            release.wait(60)
        return original(self, course, assignment, learner, *rest)

    monkeypatch.setattr(Store, "_store_submission", held)
    ana = threading.Thread(target=store.submit,
                           args=("north", "lab1", "ana", tar([("lab1.ipynb", NB)])))
    ana.start()
    try:
        assert inside.wait(60)
        ben = threading.Thread(target=store.submit,
                               args=("north", "lab1", "ben", tar([("lab1.ipynb", NB)])))
        ben.start()
        ben.join(20)
        assert not ben.is_alive()
        assert len(store.submissions("north", "lab1", "ben")) == 1
    finally:
        release.set()
        ana.join(60)
    assert len(store.submissions("north", "lab1", "ana")) == 1


def test_submitting_does_not_re_read_earlier_submissions(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path / "store")
    store.release("north", "lab1", tar([("lab1.ipynb", NB)]), force=False)
    store.submit("north", "lab1", "ana", tar([("lab1.ipynb", NB)]))
    globs: list[str] = []
    original = Path.glob
    monkeypatch.setattr(Path, "glob", lambda self, pattern: globs.append(pattern)
                        or original(self, pattern))
    for _ in range(5):
        store.submit("north", "lab1", "ana", tar([("lab1.ipynb", NB)]))
    assert globs == []
