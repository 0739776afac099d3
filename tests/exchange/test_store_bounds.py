"""One learner's submissions to a course take bounded storage (review 10, F3): past the
bound a submission is refused with a clear error and nothing already stored changes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hub.services.exchange import archive
from hub.services.exchange.store import Store, StoreError, disk_cost


def submission(tmp_path: Path, size: int) -> bytes:
    folder = tmp_path / f"work-{size}"
    folder.mkdir()
    (folder / "lab1.ipynb").write_text("{}")
    (folder / "data.bin").write_bytes(os.urandom(size))  # incompressible: size on disk
    return archive.pack(folder)


def test_a_learners_submissions_are_bounded(tmp_path: Path) -> None:
    first, second = submission(tmp_path, 20_000), submission(tmp_path, 30_000)
    room = disk_cost(len(first)) + disk_cost(len(second)) + 1000
    store = Store(tmp_path / "store", learner_bytes=room)
    store.release("north", "lab1", submission(tmp_path, 10), force=False)
    store.submit("north", "lab1", "ana", first)
    store.submit("north", "lab1", "ana", second)
    kept = store.submissions("north", "lab1", "ana")
    with pytest.raises(StoreError) as refused:
        store.submit("north", "lab1", "ana", first)
    assert refused.value.status == 413
    assert refused.value.message_id == "exchange.learner_full"
    assert "north" in refused.value.messages["en"]
    assert refused.value.messages["fr"] != refused.value.messages["en"]
    assert store.submissions("north", "lab1", "ana") == kept  # nothing lost, nothing added
    assert store.submit("north", "lab1", "ben", first)["student_id"] == "ben"
