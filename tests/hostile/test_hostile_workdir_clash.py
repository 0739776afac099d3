"""Rule 10, learner paths against the release (review 11, B3): the release's files always
win. A learner path that clashes with them (the same file, a file where the release has a
folder, a folder where it has a file, at any depth) is ignored by the grading parent before
any sandbox work, as nbgrader's autograde overwrites the learner's copies with the source's.
A learner file named ``data`` where the release has ``data/`` made the worker child fail to
build its working copy, and the record said the grader failed (``internal``); a learner
folder ``data/values.txt/`` got the lab's file put inside it, so the lab's tests read the
learner's folder instead of the lab's data."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graders"))
from northlab_labkit import NB_LAB, SOLUTIONS, copy_lab, notebook  # noqa: E402

from graders.engine import Grader  # noqa: E402
from graders.lab import load_lab  # noqa: E402
from graders.submissions import Submission  # noqa: E402

DATA = (NB_LAB / "source" / "data" / "values.txt").read_bytes()
#: the learner's extra files, by shape; every one clashes with the release
CLASHES = {
    "file-for-folder": {"data": b"not a folder"},
    "file-for-empty-folder": {"empty": b"not a folder"},
    "file-for-deep-folder": {"deep/a": b"not a folder"},
    "folder-for-file": {"data/values.txt/x": b"1\n"},
    "deep-folder-for-file": {"deep/a/b/c.txt/d/e": b"1\n"},
    "same-file": {"data/values.txt": b"999\n"},
    "all-at-once": {"empty": b"x", "deep/a/b/c.txt/d": b"x", "data/values.txt": b"999\n"},
}
#: a learner file that only adds to a release folder, kept in every submission
OWN = {"data/mine.txt": b"mine", "deep/a/mine.txt": b"mine"}


@pytest.fixture(scope="module")
def grader(tmp_path_factory: pytest.TempPathFactory) -> Grader:
    lab_dir = copy_lab(NB_LAB, tmp_path_factory.mktemp("lab"))
    (lab_dir / "source" / "empty").mkdir()
    (lab_dir / "source" / "deep" / "a" / "b").mkdir(parents=True)
    (lab_dir / "source" / "deep" / "a" / "b" / "c.txt").write_text("the lab's")
    with Grader(load_lab(lab_dir), workers=1) as grader:
        yield grader


def submission(name: str, files: dict[str, bytes]) -> Submission:
    nb = notebook(SOLUTIONS).encode()
    return Submission(name, NB_LAB, files={"nb-basics.ipynb": nb, **OWN, **files})


@pytest.fixture(scope="module")
def records(grader: Grader) -> dict[str, dict]:
    subs = [submission(shape, files) for shape, files in CLASHES.items()]
    return {r["learner"]: r for r in grader.grade_all(subs)}


@pytest.mark.parametrize("shape", sorted(CLASHES))
def test_the_parent_leaves_out_each_clashing_learner_path(grader: Grader, shape: str) -> None:
    _, files = grader.runs(submission(shape, CLASHES[shape]))
    assert sorted(files) == sorted(OWN)


@pytest.mark.parametrize("shape", sorted(CLASHES))
def test_a_clash_is_graded_with_the_releases_files_never_a_grader_failure(
        records: dict[str, dict], shape: str) -> None:
    record = records[shape]
    assert record.get("error") is None, record.get("error")
    assert record["score"] == record["max_score"] > 0  # answer-total read the lab's data
