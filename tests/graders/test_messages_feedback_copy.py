"""The feedback service's copy of a submission refuses it with the grader's own catalogue
sentences, and the refusal keeps its message through the spool (JSON) to the record: a
French learner never reads an English fragment made in code."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from northlab_labkit import NB_LAB, copy_lab  # noqa: E402

from graders.engine import Grader  # noqa: E402
from graders.lab import load_lab  # noqa: E402
from graders.record import messages  # noqa: E402
from graders.submissions import Submission, SubmissionError  # noqa: E402
from hub.services.feedback import grading, snapshot  # noqa: E402

CASES: dict[str, tuple[dict[str, bytes], str, int, str, dict[str, object]]] = {
    # case: (files, cap, its value, message, values)
    "deep": ({"a/b/c/d.txt": b"x"}, "MAX_DEPTH", 2, "error.too-large.depth", {"depth": 2}),
    "entries": ({f"f{i}": b"" for i in range(6)}, "MAX_ENTRIES", 5, "error.too-large.entries",
                {"count": 5}),
    "file": ({"big\x1bname.bin": bytes(2**20 + 1)}, "MAX_FILE_BYTES", 2**20,
             "error.too-large.file", {"name": "big?name.bin", "mb": 1}),
    "total": ({"a": bytes(2**20), "b": bytes(2**20)}, "MAX_TOTAL_BYTES", 2**20,
              "error.too-large.total", {"mb": 1}),
    "files": ({f"f{i}": b"x" for i in range(4)}, "MAX_FILES", 3, "error.too-large.files",
              {"count": 3}),
}


@pytest.fixture(scope="module")
def grader(tmp_path_factory: pytest.TempPathFactory) -> Grader:
    """A grader whose sandboxes never start: a refused copy is never graded."""
    return Grader(load_lab(copy_lab(NB_LAB, tmp_path_factory.mktemp("lab"))), workers=1,
                  autotests=False)


class OneCopy:
    """The spool's one question here: where a request's copy is."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def files(self, request_id: str) -> Path:
        return self.folder


@pytest.mark.parametrize("case", list(CASES))
def test_a_refused_copy_says_why_in_each_language(grader: Grader, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  case: str) -> None:
    files, cap, value, message_id, values = CASES[case]
    monkeypatch.setattr(snapshot, cap, value)
    inbound = tmp_path / "inbound"
    for name, data in files.items():
        (inbound / name).parent.mkdir(parents=True, exist_ok=True)
        (inbound / name).write_bytes(data)
    folder = os.open(inbound, os.O_RDONLY | os.O_DIRECTORY)
    try:
        copied = grading._copy_inbound(folder, os.geteuid())(tmp_path / "copy")
    finally:
        os.close(folder)
    request: dict[str, Any] = {"id": "r1", **json.loads(json.dumps(copied))}  # as spooled
    with pytest.raises(SubmissionError) as refused:
        grading.read_submission(OneCopy(tmp_path / "copy"), request)  # type: ignore[arg-type]
    record = grader.grade(Submission("alice", tmp_path / "copy", error=refused.value))
    expected = messages().all_languages(message_id, **values)
    assert record["error"]["code"] == "too-large"
    assert record["error"]["message"] == expected and expected["fr"] != expected["en"]


def test_a_spool_of_before_reasons_still_reads(grader: Grader, tmp_path: Path) -> None:
    """A request spooled as ``[code, detail]`` is refused with the general sentence."""
    request = {"id": "r1", "copy_error": ["too-large", "more than 20000 entries"]}
    with pytest.raises(SubmissionError) as refused:
        grading.read_submission(OneCopy(tmp_path), request)  # type: ignore[arg-type]
    record = grader.grade(Submission("alice", tmp_path, error=refused.value))
    assert record["error"]["message"] == messages().all_languages("error.too-large")
