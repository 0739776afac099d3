"""Class 6: every field of a submission is parsed defensively and the batch always
completes; lateness comes only from a time the learner cannot write (the collector's
timestamp in nbgrader's ``submitted/`` layout), else the record says it is unknown."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graders"))
from northlab_labkit import NB_LAB, honest, write_submission  # noqa: E402

from graders.engine import Grader  # noqa: E402
from graders.lab import load_lab  # noqa: E402
from graders.submissions import LayoutError, _timestamp, find_submissions  # noqa: E402
from northlab.results import validate_result  # noqa: E402

DUE = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
STAMPS: dict[str, bytes | None] = {
    "year-one-east-of-utc": b"0001-01-01 00:00:00+01:00",
    "year-9999-west-of-utc": b"9999-12-31 23:59:59-05:00",
    "year-one-utc": b"0001-01-01 00:00:00 UTC",
    "garbage": b"next friday, probably",
    "binary": bytes(range(256)),
    "nul-bytes": b"2026-03-01\x00 10:00:00",
    "bad-utf8": b"2026-03-01 10:00:00 \xff\xfe",
    "offset-overflow": b"2026-03-01 10:00:00+99:99",
    "empty": b"",
}


def plant(folder: Path, name: str) -> None:
    """Put the hostile ``timestamp.txt`` called ``name`` into ``folder``."""
    target = folder / "timestamp.txt"
    if name == "huge":
        with open(target, "wb") as out:
            out.truncate(2**40)  # a sparse terabyte: only its start may be read
    elif name == "fifo":
        os.mkfifo(target)  # reading it would block forever
    elif name == "symlink":
        target.symlink_to("/etc/hostname")
    elif name == "folder":
        target.mkdir()
    else:
        target.write_bytes(STAMPS[name] or b"")


HOSTILE = [*STAMPS, "huge", "fifo", "symlink", "folder"]


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_timestamp_is_unknown(tmp_path: Path, name: str) -> None:
    plant(tmp_path, name)
    assert _timestamp(tmp_path) is None


def test_a_sane_collector_timestamp_is_read(tmp_path: Path) -> None:
    (tmp_path / "timestamp.txt").write_text("2026-03-01 10:00:01.000000 UTC")
    assert _timestamp(tmp_path) == "2026-03-01T10:00:01Z"


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """A course whose submitted/ folder holds every hostile timestamp, hostile learner and
    file names, and two honest submissions around the due date, graded in one batch."""
    course = tmp_path_factory.mktemp("course")
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    submitted = course / "submitted"
    for name in HOSTILE:
        plant(write_submission(submitted / name, "nb-basics", honest()), name)
    for name, stamp in (("on-time", "2026-03-01 09:59:59 UTC"),
                        ("late", "2026-03-01 11:00:00+01:00")):  # 10:00 UTC: not late
        folder = write_submission(submitted / name, "nb-basics", honest())
        (folder / "timestamp.txt").write_text(stamp)
    folder = write_submission(submitted / "after", "nb-basics", honest())
    (folder / "timestamp.txt").write_text("2026-03-01 10:00:01 UTC")
    odd = write_submission(submitted / "odd-file-names", "nb-basics", honest())
    (odd / os.fsdecode(b"bad-\xff-name.py")).write_text("x = 1")
    os.makedirs(os.path.join(os.fsencode(submitted), b"not-utf8-\xff", b"nb-basics"))
    (submitted / ("x" * 200) / "nb-basics").mkdir(parents=True)
    (submitted / "new\nline").mkdir()
    subs = find_submissions(course, "nb-basics", due=DUE)
    with Grader(load_lab(NB_LAB), workers=2) as grader:
        return {r["learner"]: r for r in grader.grade_all(subs)}


def test_the_batch_completes_with_a_valid_record_each(batch: dict[str, dict]) -> None:
    assert len(batch) == len(HOSTILE) + 7
    for record in batch.values():
        validate_result(record)
    for name in HOSTILE:
        assert batch[name]["submitted_at"] is None and batch[name]["late"] is None
        if name == "huge":  # a terabyte file: the submission is refused, the batch goes on
            assert batch[name]["error"]["code"] == "too-large"
        else:
            assert batch[name]["score"] == 6 and batch[name]["error"] is None
    assert batch["odd-file-names"]["score"] == 6
    bad = [r for r in batch.values() if r["error"] and r["error"]["code"] == "bad-learner"]
    assert len(bad) == 3 and all(len(r["learner"]) <= 40 for r in bad)


def test_lateness_comes_from_the_collectors_time(batch: dict[str, dict]) -> None:
    assert batch["on-time"]["late"] is False and batch["late"]["late"] is False
    assert batch["after"]["late"] is True


def test_a_learners_own_timestamp_decides_nothing(tmp_path: Path) -> None:
    """One folder per learner: every file is the learner's, so the time is unknown."""
    folder = write_submission(tmp_path, "mallory", honest())
    (folder / "timestamp.txt").write_text("2020-01-01 00:00:00 UTC")
    (sub,) = find_submissions(tmp_path, "nb-basics", due=DUE)
    assert sub.submitted_at is None and sub.late is None
    (sub,) = find_submissions(tmp_path, "nb-basics")
    assert sub.late is False  # no due date: nothing is late


def test_the_credential_service_accepts_an_unknown_lateness(batch: dict[str, dict]) -> None:
    from hub.services.credentials.service import Credentials

    record = batch["garbage"]
    assert record["late"] is None
    row = Credentials._result_row(validate_result(record), reported_by=None)
    assert row.late is False and row.score == 6


# Layout (F5): decided by the caller or by what a learner cannot create, never by a name.
COURSE_FOLDERS = ("nb-basics", "source", "release", "feedback", "autograded", "submitted")


def _forged_submitted(root: Path) -> None:
    """A learner folder called ``submitted`` holding fake learners with forged stamps."""
    for name in ("alice", "bob"):
        write_submission(root / name, "nb-basics", honest())
    for fake in ("mallory", "victim_alice"):
        folder = write_submission(root / "submitted" / fake, "nb-basics", honest())
        (folder / "timestamp.txt").write_text("2020-01-01 00:00:00 UTC")


def test_a_learner_called_submitted_does_not_choose_the_layout(tmp_path: Path) -> None:
    _forged_submitted(tmp_path)
    with pytest.raises(LayoutError, match="--layout"):
        find_submissions(tmp_path, "nb-basics", due=DUE)
    subs = find_submissions(tmp_path, "nb-basics", due=DUE, layout="learners")
    assert [s.learner for s in subs] == ["alice", "bob", "submitted"]
    assert all(s.submitted_at is None and s.late is None for s in subs)


@pytest.mark.parametrize("learner", COURSE_FOLDERS)
def test_a_learner_named_like_a_course_folder_grades_no_course_folder(
        tmp_path: Path, learner: str) -> None:
    course = tmp_path / "course"
    for folder in ("source", "release", "feedback", "autograded"):
        write_submission(course / folder, "nb-basics", honest())
    for name in ("alice", learner):
        folder = write_submission(course / "submitted" / name, "nb-basics", honest())
        (folder / "timestamp.txt").write_text("2026-03-01 09:00:00 UTC")
    with pytest.raises(LayoutError):  # no nbgrader_config.py: the caller must say
        find_submissions(course, "nb-basics")
    for layout in ("auto", "course"):
        (course / "nbgrader_config.py").write_text("")
        subs = find_submissions(course, "nb-basics", due=DUE, layout=layout)
        assert sorted(s.learner for s in subs) == sorted({"alice", learner})
        assert all(s.path.parent.parent == course / "submitted" for s in subs)
        assert all(s.submitted_at == "2026-03-01T09:00:00Z" and s.late is False
                   for s in subs)
    subs = find_submissions(course / "submitted", "nb-basics", due=DUE)
    assert sorted(s.learner for s in subs) == sorted({"alice", learner})


def test_nbgrader_layout_needs_the_lab_folder(tmp_path: Path) -> None:
    """In submitted/, a learner's files are in <learner>/<lab>/: stray files next to it
    (a forged timestamp included) are not the submission."""
    folder = write_submission(tmp_path / "submitted", "mallory", honest())
    (folder / "timestamp.txt").write_text("2020-01-01 00:00:00 UTC")
    (sub,) = find_submissions(tmp_path / "submitted", "nb-basics", due=DUE)
    assert sub.files == {} and sub.submitted_at is None and sub.late is None


def test_an_unknown_layout_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LayoutError, match="unknown layout"):
        find_submissions(tmp_path, "nb-basics", layout="guess")
