"""Rules 7 and 10, oversize: what the parent accepts is what the sandbox can hold. A
submission whose files (with the lab's release) do not fit the worker's scratch tmpfs, by
inodes or by size, gets a ``too-large`` record before any sandbox work; and a worker child
that cannot build its working copy is never reported as the learner's exit (no learner
code ran): ``too-large`` when the scratch was full, else the grader's ``internal``.
Review 8, F3: 1990 files in nested folders passed the parent's caps, hit the 4096-inode
cap, and the record said "your code ended the grading process early (exit status 87)"."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graders"))
from northlab_labkit import NB_LAB, SOLUTIONS, copy_lab, notebook  # noqa: E402

from graders.engine import Grader  # noqa: E402
from graders.lab import load_lab  # noqa: E402
from graders.notebooks import plan  # noqa: E402
from graders.sandbox.namespaces import scratch_inodes  # noqa: E402
from graders.submissions import MAX_ENTRIES, MAX_FILES, MAX_TOTAL_BYTES, Submission  # noqa: E402

DATA = (NB_LAB / "source" / "data" / "values.txt").read_bytes()
DISK_MB = 16
LIMITS = {"wall_seconds": 20, "cpu_seconds": 15, "memory_mb": 256, "disk_mb": DISK_MB}


def nested(count: int, per_folder: int = 5) -> dict[str, bytes]:
    """``count`` small files, ``per_folder`` to a folder: about 1.2 inodes a file."""
    return {f"d{i // per_folder}/f{i}.txt": b"x" for i in range(count)}


@pytest.fixture(scope="module")
def grader(tmp_path_factory: pytest.TempPathFactory) -> Grader:
    lab = load_lab(copy_lab(NB_LAB, tmp_path_factory.mktemp("lab"), LIMITS))
    with Grader(lab, workers=1) as grader:
        yield grader


def submission(name: str, **files: bytes) -> Submission:
    nb = notebook(SOLUTIONS).encode()
    return Submission(name, NB_LAB, files={"nb-basics.ipynb": nb, "data/values.txt": DATA,
                                           **files})


def test_the_parents_caps_hold_no_more_than_the_default_sandbox() -> None:
    """The reader's own caps are inside what the default scratch holds (64 MB), so an
    honest submission near them is graded rather than refused."""
    assert MAX_FILES < scratch_inodes(64) and MAX_TOTAL_BYTES < 64 * 2**20
    assert MAX_ENTRIES > scratch_inodes(64)  # the entry cap is about reading, not holding


def test_a_submission_over_the_sandboxs_inodes_or_size_is_too_large(grader: Grader) -> None:
    inodes = scratch_inodes(DISK_MB)
    cases = [
        submission("many", **nested(inodes)),  # the review's shape: nested small files
        submission("flat", **{f"f{i}": b"" for i in range(inodes)}),  # empty files
        submission("folders", **nested(inodes // 2, per_folder=1)),  # one folder a file
        submission("big", **{f"b{i}.bin": bytes(2**20) for i in range(DISK_MB + 1)}),
        submission("pages", **{f"p{i}": b"x" for i in range(DISK_MB * 256 + 1)}),  # 4 KB a page
    ]
    records = grader.grade_all(cases)
    for record in records:
        assert record["error"] is not None, record["learner"]
        assert record["error"]["code"] == "too-large", (record["learner"], record["error"])
        assert "sandbox" in record["error"]["message"]["en"]
    fits = grader.grade(submission("fits", **nested(inodes // 2)))
    assert fits["error"] is None and fits["score"] == 6


def test_a_working_copy_that_cannot_be_built_is_never_the_learners_exit(
        grader: Grader) -> None:
    """Past the parent's check (run directly), the child itself says why it could not build
    the working copy: a full scratch is too-large, anything else the grader's fault; never
    an exit status of the learner's."""
    steps = plan(grader.sources["nb-basics"], notebook(SOLUTIONS).encode())
    files = {"data/values.txt": DATA, **nested(scratch_inodes(DISK_MB))}
    full = grader.run_plan("full", files, "nb-basics", steps)
    assert full.failure == "too-large" and full.tests is None
    # a file and a folder of the same name: no reader of a real folder makes this
    clash = grader.grade(Submission("clash", NB_LAB, files={
        "nb-basics.ipynb": notebook(SOLUTIONS).encode(), "data/values.txt": DATA,
        "x": b"1", "x/y": b"2"}))
    assert clash["error"] is not None and clash["error"]["code"] == "internal", clash
    after = grader.grade(submission("after"))  # the slot grades the next one normally
    assert after["error"] is None and after["score"] == 6
