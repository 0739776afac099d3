"""The kit service under a learner who syncs again and again (review 10, F3): one grading
job waits per learner and lab, replaced hand-ins and a learner's storage are bounded, the
lab's attempts apply and lateness comes from the lab's due date and the hub's clock.

The real kit app and collector; only the hub's identity lookup is a stub, and grading is
counted (not run) where only the queue is under test."""

from __future__ import annotations

import io
import json
import os
import tarfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from graders.lab import load_lab
from hub.config.settings import Settings, load_settings
from hub.kit import collect, manifest
from hub.kit.sync import app as kit_app
from tests.support.web import serving_in_thread

LAB = "cipher-breaking"
TRACK = "cybersecurity"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = load_settings({"NORTHLAB_DATA": str(tmp_path / "data"),
                              "NORTHLAB_CONFIG": os.devnull})
    (settings.courses_root / "north").mkdir(parents=True)
    (settings.courses_root / "north" / "nbgrader_config.py").write_text("")
    return settings


def signed_manifest(settings: Settings) -> bytes:
    body = {"schema": manifest.SCHEMA, "kit_id": "k1", "cohort": "north", "track": TRACK,
            "learner": "ana", "labs": [{"id": LAB, "files": {}}]}
    return json.dumps(manifest.sign(body, manifest.signing_key(settings.hub_dir))).encode()


def notebook(settings: Settings) -> bytes:
    return (settings.labs_root / TRACK / LAB / "source" / f"{LAB}.ipynb").read_bytes()


def kit_folder(settings: Settings, folder: Path, note: bytes) -> Path:
    """A kit as the laptop holds it: the signed manifest and the started lab."""
    (folder / "work" / LAB).mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_bytes(signed_manifest(settings))
    (folder / "work" / LAB / f"{LAB}.ipynb").write_bytes(notebook(settings))
    (folder / "work" / LAB / "note.txt").write_bytes(note)
    return folder


def kit_archive(settings: Settings, note: bytes) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in (("manifest.json", signed_manifest(settings)),
                           (f"work/{LAB}/{LAB}.ipynb", notebook(settings)),
                           (f"work/{LAB}/note.txt", note)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def landed(settings: Settings) -> Path:
    return settings.courses_root / "north" / "submitted" / "ana" / LAB


def test_replaced_hand_ins_are_pruned(settings: Settings, tmp_path: Path) -> None:
    for n in range(6):
        result = collect.hand_in(settings, kit_folder(settings, tmp_path / "kit", b"v%d" % n),
                                 learner="ana")
        assert [lab.status for lab in result.labs] == ["collected"]
    kept = settings.data_root / "kits" / "replaced" / "north" / "ana" / LAB
    assert len(list(kept.iterdir())) == collect.KEEP_REPLACED
    assert sorted((p / "note.txt").read_bytes() for p in kept.iterdir()) == [b"v3", b"v4"]
    assert (landed(settings) / "note.txt").read_bytes() == b"v5"


def test_a_learners_storage_is_bounded(settings: Settings, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the bound a hand-in is refused with a clear message; nothing landed changes."""
    first = collect.hand_in(settings, kit_folder(settings, tmp_path / "kit", b"first"),
                            learner="ana")
    assert [lab.status for lab in first.labs] == ["collected"]
    monkeypatch.setattr(collect, "LEARNER_QUOTA",
                        collect.stored_bytes(settings, "north", "ana") + 4096)
    big = collect.hand_in(settings, kit_folder(settings, tmp_path / "kit", b"x" * 8192),
                          learner="ana")
    assert [lab.status for lab in big.labs] == ["full"]
    message = kit_app.LOCALE.all_languages(big.labs[0].message_id, **big.labs[0].values)
    assert LAB in message["en"] and message["en"] != message["fr"]
    assert (landed(settings) / "note.txt").read_bytes() == b"first"


class StubAuth:
    async def get_user(self, handler, sync: bool = False) -> dict:
        return {"name": "ana", "kind": "user", "groups": ["cohort-north"]}


@pytest.fixture
def service(settings: Settings) -> Iterator[tuple[str, dict]]:
    """The real kit app on a port of its own, in a thread: (hand-in URL, its settings)."""
    with serving_in_thread(lambda: kit_app.make_app(settings, StubAuth(), "/services/kit/"),
                           max_body_size=kit_app.MAX_UPLOAD + (1 << 20)) as (url, held):
        yield f"{url}/services/kit/handin", held
        idle(held)


def idle(app_settings: dict) -> None:
    """Wait until every queued grading job has run (the grading thread is first in, first out)."""
    grading = app_settings["grading"]
    getattr(grading, "pool", grading).submit(lambda: None).result(timeout=300)


def test_one_grading_job_waits_per_learner_and_lab(service: tuple[str, dict],
                                                   settings: Settings,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """While ana's first hand-in is graded, her next five make one more job, not five."""
    url, app_settings = service
    grading, release, graded = threading.Event(), threading.Event(), []

    def counted(kit_settings: Settings, result: collect.HandIn, **_: object) -> list:
        graded.append((landed(settings) / "note.txt").read_bytes())
        grading.set()
        release.wait(120)
        return []

    monkeypatch.setattr(kit_app, "grade_hand_in", counted)
    try:
        first = requests.post(url, data=kit_archive(settings, b"v0"), timeout=120)
        assert first.status_code == 200
        assert grading.wait(120)
        for n in range(1, 6):
            assert requests.post(url, data=kit_archive(settings, b"v%d" % n),
                                 timeout=120).status_code == 200
    finally:
        release.set()
    idle(app_settings)
    assert graded == [b"v0", b"v5"]  # the waiting job graded the newest hand-in


def test_the_labs_attempts_apply(service: tuple[str, dict], settings: Settings,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    url, app_settings = service
    attempts = load_lab(settings.labs_root / TRACK / LAB).feedback.attempts
    graded = []
    monkeypatch.setattr(kit_app, "grade_hand_in",
                        lambda kit_settings, result, **_: graded.append(result.learner))
    answers = []
    for n in range(attempts + 2):
        answer = requests.post(url, data=kit_archive(settings, b"v%d" % n), timeout=120)
        assert answer.status_code == 200
        answers.append(answer.json()["messages"][0])
        idle(app_settings)
    assert len(graded) == attempts
    over = answers[-1]
    assert str(attempts) in over["en"] and LAB in over["en"] and over["fr"] != over["en"]
    assert (landed(settings) / "note.txt").read_bytes() == b"v%d" % (attempts + 1)


def test_lateness_comes_from_the_labs_due_date(settings: Settings, tmp_path: Path) -> None:
    """The course gradebook's due date (past) makes a hand-in stamped now late."""
    from nbgrader.api import Gradebook

    database = settings.courses_root / "north" / "gradebook.db"
    with Gradebook(f"sqlite:///{database}", course_id="north") as gradebook:
        gradebook.add_assignment(LAB, duedate=datetime.now(UTC).replace(tzinfo=None)
                                 - timedelta(days=1))
    result = collect.hand_in(settings, kit_folder(settings, tmp_path / "kit", b"late"),
                             learner="ana")
    records = collect.grade_hand_in(settings, result)
    assert [record["late"] for record in records] == [True]
    assert collect.course_due(settings, "north", LAB, "ana") < datetime.now(UTC)


def test_a_gradebook_without_the_course_gives_no_due_date(settings: Settings) -> None:
    """Read only, nbgrader cannot add the course entry it wants: no due date, no failure
    (grading goes on, as before the gradebook existed)."""
    from nbgrader.api import Gradebook

    database = settings.courses_root / "north" / "gradebook.db"
    with Gradebook(f"sqlite:///{database}", course_id="another") as gradebook:
        gradebook.add_assignment(LAB, duedate=datetime(2020, 1, 1))
    assert collect.course_due(settings, "north", LAB, "ana") is None
