"""The exchange's archive checks and file store, without a hub."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest
from nbgrader.utils import parse_utc

from hub.services.exchange import archive
from hub.services.exchange.access import Person, courses_of_groups
from hub.services.exchange.store import Store, StoreError
from northlab.i18n import Catalog
from tests.support.archives import member, tar_gz

LOCALE = Path(archive.__file__).parent / "locale"


def test_pack_and_unpack_round_trip(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "data").mkdir(parents=True)
    (src / "lab.ipynb").write_text("{}")
    (src / "data" / "log.csv").write_text("a,b\n")
    (src / ".ipynb_checkpoints").mkdir()
    (src / ".ipynb_checkpoints" / "lab-checkpoint.ipynb").write_text("{}")
    import shutil

    data = archive.pack(src, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    names = archive.unpack(data, tmp_path / "out")
    assert names == ["data/log.csv", "lab.ipynb"]
    assert (tmp_path / "out" / "data" / "log.csv").read_text() == "a,b\n"
    assert archive.notebooks(names) == ["lab"]


@pytest.mark.parametrize(
    "bad",
    [
        member("/etc/passwd"),
        member("../escape.txt"),
        member("a/../../escape.txt"),
        member("link", tarfile.SYMTYPE, "/etc/shadow"),
        member("hard", tarfile.LNKTYPE, "lab.ipynb"),
        member("fifo", tarfile.FIFOTYPE),
    ],
    ids=["absolute", "dotdot", "nested-dotdot", "symlink", "hardlink", "fifo"],
)
def test_unsafe_members_are_refused(bad: tarfile.TarInfo, tmp_path: Path) -> None:
    data = tar_gz((member("lab.ipynb"), b"{}"), (bad, b""))
    with pytest.raises(archive.ArchiveError):
        archive.unpack(data, tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists()


def test_size_budget_and_garbage_are_refused() -> None:
    big = tar_gz((member("big.bin"), b"x" * 2048))
    with pytest.raises(archive.ArchiveError, match="more than 1024 bytes"):
        archive.inspect(big, max_bytes=1024)
    with pytest.raises(archive.ArchiveError, match="cannot be read"):
        archive.inspect(b"not a tar at all")


def lab_archive(tmp_path: Path, text: str = "{}") -> bytes:
    folder = tmp_path / f"lab-{len(text)}"
    folder.mkdir(exist_ok=True)
    (folder / "lab1.ipynb").write_text(text)
    return archive.pack(folder)


def test_store_release_submit_feedback(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    meta = store.release("north", "lab1", lab_archive(tmp_path), force=False)
    assert meta["notebooks"] == ["lab1"]
    with pytest.raises(StoreError) as exists:
        store.release("north", "lab1", lab_archive(tmp_path), force=False)
    assert exists.value.status == 409
    store.release("north", "lab1", lab_archive(tmp_path, "{ }"), force=True)

    first = store.submit("north", "lab1", "ana", lab_archive(tmp_path))
    second = store.submit("north", "lab1", "ana", lab_archive(tmp_path))
    store.submit("north", "lab1", "a/b", lab_archive(tmp_path))
    assert parse_utc(first["timestamp"]) <= parse_utc(second["timestamp"])
    assert [s["submission_id"] for s in store.submissions("north", "lab1", "ana")] == [
        first["submission_id"],
        second["submission_id"],
    ]
    assert {s["student_id"] for s in store.submissions("north")} == {"ana", "a/b"}
    assert not list((tmp_path / "store").rglob("b"))  # "a/b" stays one folder name

    entry = store.put_feedback("north", "lab1", "ana", first["submission_id"], "lab1", b"<p>ok")
    assert entry["timestamp"] == first["timestamp"]
    assert store.feedback("north", "lab1", "ana") == [entry]
    assert store.feedback("north", None, "a/b") == []
    with pytest.raises(StoreError) as missing:
        store.put_feedback("north", "lab1", "ben", first["submission_id"], "lab1", b"x")
    assert missing.value.status == 404


@pytest.mark.parametrize("course", ["..", ".", "a/b", "", "x" * 101, "north."])
def test_store_refuses_bad_ids(course: str, tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    with pytest.raises(StoreError) as refused:
        store.released([course])
    assert refused.value.status == 400


def test_submitting_an_unreleased_assignment_is_refused(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    with pytest.raises(StoreError) as refused:
        store.submit("north", "lab9", "ana", lab_archive(tmp_path))
    assert refused.value.status == 404


def test_errors_speak_english_and_french(tmp_path: Path) -> None:
    assert Catalog(LOCALE).missing() == {}
    with pytest.raises(StoreError) as refused:
        Store(tmp_path / "store").release_meta("north", "lab9")
    assert set(refused.value.messages) >= {"en", "fr"}
    assert "lab9" in refused.value.messages["fr"] and "publié" in str(refused.value)


def test_course_roles_come_from_groups() -> None:
    ana = Person.from_model({"name": "ana", "groups": ["cohort-north", "cohort-east"]})
    ines = Person.from_model({"name": "ines", "groups": ["instructors", "instructors-north"]})
    uma = Person.from_model({"name": "uma", "groups": ["instructors"]})
    ada = Person.from_model({"name": "ada", "admin": True, "groups": []})
    assert ana.learner_courses() == ["east", "north"]
    assert ana.can_read("north") and not ana.can_read("south") and not ana.teaches("north")
    assert ines.teaches("north") and ines.can_read("north") and not ines.is_learner("north")
    assert not ines.teaches("south") and not ines.can_read("south")
    assert not uma.teaches("north") and not uma.can_read("north")  # umbrella group: no course
    assert ada.teaches("south") and ada.can_read("north")
    assert courses_of_groups(["cohort-north", "instructors", "cohort-leads"]) == ["north"]
