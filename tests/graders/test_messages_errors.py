"""Every error a record can carry is a whole sentence of the grader's catalogue in each
language: a French learner never reads an English fragment (a detail made in code) inside
a French sentence. Each error path is walked through :meth:`Grader.grade` without starting
any sandbox (all of them are refused before grading)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from northlab_labkit import NB_LAB, SOLUTIONS, copy_lab, notebook  # noqa: E402

from graders import engine, notebooks, submissions  # noqa: E402
from graders.engine import Grader, Outcome  # noqa: E402
from graders.lab import load_lab  # noqa: E402
from graders.record import messages  # noqa: E402
from graders.sandbox.namespaces import scratch_inodes  # noqa: E402
from graders.submissions import Submission, find_submissions  # noqa: E402

DISK_MB = 16


@pytest.fixture(scope="module")
def grader(tmp_path_factory: pytest.TempPathFactory) -> Grader:
    """A grader whose sandboxes never start: every case here is refused before them."""
    lab = load_lab(copy_lab(NB_LAB, tmp_path_factory.mktemp("lab"), {"disk_mb": DISK_MB}))
    grader = Grader(lab, workers=1, autotests=False)
    grader.checksums = {name: {} for name in grader.sources}
    return grader


def folder_of(tmp_path: Path, files: dict[str, bytes]) -> Submission:
    """The one submission of a learners-layout folder holding ``files`` for alice."""
    for name, data in files.items():
        path = tmp_path / "subs" / "alice" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (found,) = find_submissions(tmp_path / "subs", "lab")
    return found


def honest() -> bytes:
    return notebook(SOLUTIONS).encode()


def cells(*items: Any) -> bytes:
    return json.dumps({"cells": list(items), "metadata": {}, "nbformat": 4,
                       "nbformat_minor": 5}).encode()


CODE = {"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": []}
MARKDOWN = {"cell_type": "markdown", "metadata": {}, "source": "Notes"}
INVALID = "invalid-notebook"
#: case -> (how to make the submission, the record's error code, its message, the values)
Case = tuple[Callable[[Path, pytest.MonkeyPatch], Submission], str, str, dict[str, object]]


def limit(name: str, value: int, module: Any = submissions
          ) -> Callable[[pytest.MonkeyPatch], None]:
    return lambda mp: mp.setattr(module, name, value)


def read(files: dict[str, bytes], *limits: Callable[[pytest.MonkeyPatch], None]
         ) -> Callable[[Path, pytest.MonkeyPatch], Submission]:
    def make(tmp_path: Path, mp: pytest.MonkeyPatch) -> Submission:
        for set_limit in limits:
            set_limit(mp)
        return folder_of(tmp_path, files)
    return make


def notebook_of(data: bytes, *limits: Callable[[pytest.MonkeyPatch], None]
                ) -> Callable[[Path, pytest.MonkeyPatch], Submission]:
    return read({"nb-basics.ipynb": data}, *limits)


def unreadable(tmp_path: Path, mp: pytest.MonkeyPatch) -> Submission:
    def refuse(folder: Path) -> dict[str, bytes]:
        raise PermissionError(folder)
    mp.setattr(submissions, "read_files", refuse)
    return folder_of(tmp_path, {"nb-basics.ipynb": honest()})


def bad_learner(tmp_path: Path, mp: pytest.MonkeyPatch) -> Submission:
    (tmp_path / "subs" / "not a name!").mkdir(parents=True)
    (found,) = find_submissions(tmp_path / "subs", "lab")
    return found


def never_fits(name: str) -> Callable[[pytest.MonkeyPatch], None]:
    return lambda mp: mp.setattr(engine, name, lambda *args: False)


CASES: dict[str, Case] = {
    "deep": (read({"a/b/c/d.txt": b"x"}, limit("MAX_DEPTH", 2)),
             "too-large", "error.too-large.depth", {"depth": 2}),
    "entries": (read({f"f{i}": b"" for i in range(6)}, limit("MAX_ENTRIES", 5)),
                "too-large", "error.too-large.entries", {"count": 5}),
    # the name as shown_name shows it: an unprintable character becomes "?"
    "big-file": (read({"big<&>\u202e.bin": bytes(2 * 2**20)}, limit("MAX_FILE_BYTES", 2**20)),
                 "too-large", "error.too-large.file", {"name": "big<&>?.bin", "mb": 1}),
    "total": (read({"a": bytes(2**20), "b": bytes(2**20)}, limit("MAX_TOTAL_BYTES", 2**20)),
              "too-large", "error.too-large.total", {"mb": 1}),
    "files": (read({f"f{i}": b"x" for i in range(4)}, limit("MAX_FILES", 3)),
              "too-large", "error.too-large.files", {"count": 3}),
    "sandbox": (read({"nb-basics.ipynb": honest()}, never_fits("scratch_fits")),
                "too-large", "error.too-large.sandbox",
                {"mb": DISK_MB, "count": scratch_inodes(DISK_MB)}),
    "encoded": (read({"nb-basics.ipynb": honest()}, never_fits("frame_fits")),
                "too-large", "error.too-large.encoded", {}),
    "no-notebook": (read({"other.txt": b"x"}), "missing-notebook", "error.missing-notebook",
                    {"name": "nb-basics.ipynb"}),
    "bad-learner": (bad_learner, "bad-learner", "error.bad-learner", {}),
    "unreadable": (unreadable, "unreadable", "error.internal", {}),
    "notebook-size": (notebook_of(cells({**MARKDOWN, "source": "x" * 2**20}),
                                  limit("MAX_NOTEBOOK_BYTES", 2**20, notebooks)),
                      INVALID, "error.invalid-notebook.size", {"mb": 1}),
    "json-at": (notebook_of(b'{"cells": [}'), INVALID, "error.invalid-notebook.json-at",
                {"line": 1, "column": 12}),
    "json": (notebook_of(b"\xff\xfe\x00"), INVALID, "error.invalid-notebook.json", {}),
    "nested": (notebook_of(b"[" * 100_000), INVALID, "error.invalid-notebook.json", {}),
    "no-cells": (notebook_of(b'{"cells": 3}'), INVALID, "error.invalid-notebook.no-cells", {}),
    "many-cells": (notebook_of(cells(CODE, CODE, CODE), limit("MAX_CELLS", 2, notebooks)),
                   INVALID, "error.invalid-notebook.many-cells", {"count": 2}),
    "cell": (notebook_of(cells(3)), INVALID, "error.invalid-notebook.cell", {}),
    "metadata": (notebook_of(cells({**CODE, "metadata": []})),
                 INVALID, "error.invalid-notebook.metadata", {}),
    "source": (notebook_of(cells({**CODE, "source": 5})),
               INVALID, "error.invalid-notebook.source", {}),
    "long-cell": (notebook_of(cells(CODE, {**CODE, "source": "y" * 11}),
                              limit("MAX_CELL_CHARS", 10, notebooks)),
                  INVALID, "error.invalid-notebook.long-cell", {"count": 10}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_error_is_one_catalogue_sentence_in_each_language(
        grader: Grader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    make, code, message_id, values = CASES[case]
    submission = make(tmp_path, monkeypatch)
    monkeypatch.setattr(grader, "_run", lambda *args: pytest.fail("no sandbox run"))
    record = grader.grade(submission)
    cat = messages()
    assert message_id in cat.messages["fr"], f"{message_id}: no French translation"
    assert record["error"]["message"] == cat.all_languages(message_id, **values)
    assert record["error"]["message"]["fr"] != record["error"]["message"]["en"]
    assert record["error"]["code"] == code


def test_a_full_scratch_says_so_in_each_language(grader: Grader,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker child's scratch had no room for the working copy (no learner code ran)."""
    monkeypatch.setattr(grader, "_run", lambda *args: Outcome(failure="too-large"))
    record = grader.grade(Submission("alice", NB_LAB, files={"nb-basics.ipynb": honest()}))
    expected = messages().all_languages("error.too-large.sandbox", mb=DISK_MB,
                                        count=scratch_inodes(DISK_MB))
    assert record["error"]["code"] == "too-large"
    assert record["error"]["message"] == expected and expected["fr"] != expected["en"]


def test_a_long_or_unprintable_file_name_is_shown_shortened(grader: Grader, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    monkeypatch.setattr(submissions, "MAX_FILE_BYTES", 2**20)
    name = "a\x1b[31m" + "b" * 60
    submission = folder_of(tmp_path, {name: bytes(2**20 + 1)})
    message = grader.grade(submission)["error"]["message"]
    shown = submissions.shown_name(name)
    assert len(shown) == 40 and "\x1b" not in shown
    assert message == messages().all_languages("error.too-large.file", name=shown, mb=1)
    assert all("\x1b" not in text and "b" * 41 not in text for text in message.values())


def test_no_error_message_takes_a_free_detail() -> None:
    """No error sentence has a ``{detail}`` slot, where text made in code would go."""
    english = messages().messages["en"]
    assert not [m for m, text in english.items() if m.startswith("error.") and "{detail}" in text]
