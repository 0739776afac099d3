"""Rule 10, learner strings: a submitted notebook's text is read once, at the boundary
(``notebooks.cells_of``), and every string in it that UTF-8 cannot encode (a lone surrogate,
``"\\ud800"`` in the JSON) becomes U+FFFD there, so nothing downstream in the parent
(nbgrader's checksum of a manual answer, the plan, the judge's frame, the record writer,
the bridge's autograded notebook) meets one. Review 8, F1: a lone surrogate in a manually
graded answer made nbgrader's checksum raise and the record said ``internal``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from graders.engine import Grader
from graders.lab import load_lab
from graders.notebooks import (
    NotebookError,
    cells_of,
    manual_states,
    plan,
    read_source,
    release_checksums,
)
from graders.remote.codec import frame_fits
from graders.submissions import Submission

LONE = "\ud800"
LAB_TOML = """id = "strings"
track = "foundations"
kind = "notebook"
order = 1
points = 3
title = { en = "Strings" }
summary = { en = "Learner strings" }
[limits]
wall_seconds = 30
"""


def _cell(cell: nbformat.NotebookNode, grade_id: str, **flags: object) -> nbformat.NotebookNode:
    cell.metadata["nbgrader"] = {"grade_id": grade_id, "schema_version": 3, "locked": False,
                                 "grade": False, "solution": False, **flags}
    return cell


def _source() -> nbformat.NotebookNode:
    return new_notebook(cells=[
        _cell(new_code_cell("### BEGIN SOLUTION\nanswer = 'ok'\n### END SOLUTION"), "answer",
              solution=True),
        _cell(new_code_cell("assert answer[:2] == 'ok'"), "test-answer", grade=True, points=1),
        _cell(new_markdown_cell("YOUR ANSWER HERE"), "explain", grade=True, solution=True,
              points=2),
    ])


@pytest.fixture(scope="module")
def lab_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lab = tmp_path_factory.mktemp("labs") / "strings"
    (lab / "source").mkdir(parents=True)
    (lab / "lab.toml").write_text(LAB_TOML)
    nbformat.write(_source(), lab / "source" / "strings.ipynb")
    return lab


def honest() -> dict[str, Any]:
    nb = json.loads(nbformat.writes(_source()))
    nb["cells"][0]["source"] = "answer = 'ok'"
    nb["cells"][2]["source"] = "Because it is."
    nb["cells"][0]["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "hi\n"}]
    nb["cells"][2]["metadata"]["northlab"] = {"answer": {"field": "why", "type": "text"}}
    return nb


def places(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """Every string of a JSON value, as (path, "value" | "key")."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key), "key"
            yield from places(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from places(item, (*path, index))
    elif isinstance(value, str):
        yield path, "value"


def with_lone_surrogate(nb: dict[str, Any], path: tuple, what: str) -> bytes:
    """``nb`` as JSON with a lone surrogate put into the string at ``path`` (as the
    ``\\ud800`` escape, as a learner's editor or a hand-made file writes it)."""
    copy = json.loads(json.dumps(nb))
    holder = copy
    for step in path[:-1]:
        holder = holder[step]
    last = path[-1]
    if what == "key":
        holder[last + LONE] = holder.pop(last)
    else:
        holder[last] = holder[last] + LONE
    return json.dumps(copy).encode()  # ensure_ascii: "\ud800" escapes, valid UTF-8 bytes


def variants() -> list[bytes]:
    nb = honest()
    found = [with_lone_surrogate(nb, path, what) for path, what in places(nb)]
    listed = json.loads(json.dumps(nb))  # a source given as a list of lines
    listed["cells"][2]["source"] = ["Because\n", "it is" + LONE]
    raw = nbformat.writes(nbformat.from_dict(nb)).replace("Because", "Bec\\ud800ause")
    return [*found, json.dumps(listed).encode(), raw.encode(),
            # the same surrogate as raw bytes (json decodes bytes with surrogatepass)
            json.dumps(nb, ensure_ascii=False).replace("Because", "Bec\udc80ause").encode(
                "utf-8", "surrogatepass")]


def encodable(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def test_no_learner_string_the_parent_reads_holds_a_lone_surrogate(lab_dir: Path) -> None:
    """Every string of the notebook, value or key, with a lone surrogate: what the parent
    makes of it (cells, plan, manual states through nbgrader's checksum, the judge's
    frame) encodes as UTF-8, and nothing raises."""
    path = lab_dir / "source" / "strings.ipynb"
    source = read_source(path)
    checksums = release_checksums(path, source)
    cases = variants()
    assert len(cases) > 40
    refused = 0
    for data in cases:
        try:
            cells = cells_of(data)
        except NotebookError:  # a surrogate in "cells" or "cell_type": invalid-notebook
            refused += 1
            continue
        steps = plan(source, data, keep=1000)
        states = manual_states(source, checksums, data)
        assert encodable(cells) and encodable(steps)
        assert frame_fits({"plan": steps}, [])
        assert set(states) <= {"explain"}
    assert refused < 5


def test_a_lone_surrogate_in_an_answer_is_graded_like_any_answer(lab_dir: Path) -> None:
    """The review's attack and its neighbours: a lone surrogate in a manually graded answer
    (as a string, as a list of lines, as raw bytes), in a code cell's string literal, in
    the answer's metadata and in an output: graded as the control, the answer pending."""
    nb = honest()
    listed = json.loads(json.dumps(nb))
    listed["cells"][2]["source"] = ["Because\n", "it is" + LONE]
    text = json.dumps(nb)
    cases = {
        "control": text.encode(),
        "answer": text.replace("Because", "Bec\\ud800ause").encode(),
        "lines": json.dumps(listed).encode(),
        "bytes": json.dumps(nb, ensure_ascii=False).replace("Because", "Bec\udc80ause")
        .encode("utf-8", "surrogatepass"),
        "code": text.replace("answer = 'ok'", "answer = 'ok\\udfff'").encode(),
        "meta": text.replace('"why"', '"why\\ud800"').encode(),
        "output": text.replace('"hi\\n"', '"hi\\ud800"').encode(),
    }
    assert len({*cases.values()}) == len(cases)
    subs = [Submission(name, lab_dir, files={"strings.ipynb": data})
            for name, data in cases.items()]
    with Grader(load_lab(lab_dir), workers=1) as grader:
        records = {r["learner"]: r for r in grader.grade_all(subs)}
    for name, record in records.items():
        assert record["error"] is None, (name, record["error"])
        assert (record["score"], record["pending_points"], record["max_score"]) == (1, 2, 3), \
            name
        assert encodable(record)


def test_the_bridge_gives_nbgrader_an_encodable_notebook(lab_dir: Path) -> None:
    """The autograded notebook nbgrader checksums and writes is the same text the engine
    graded: the bridge's notebook holds no lone surrogate either."""
    from graders.notebooks import writable_notebook

    data = json.dumps(honest()).replace("Because", "Bec\\ud800ause")
    nb = nbformat.reads(data, as_version=4)
    clean = writable_notebook(nb)
    assert encodable(clean) and "Bec\ufffdause" in clean.cells[2].source
    from nbgrader.utils import compute_checksum

    compute_checksum(clean.cells[2])
    nbformat.writes(clean)


def test_real_autograde_through_the_bridge_grades_a_surrogate_answer(lab_dir: Path,
                                                                     tmp_path: Path) -> None:
    """Stock ``nbgrader autograde`` with the bridge: its own checksum (SaveAutoGrades) and
    writer meet the encodable text, so the answer waits for a person as in the engine."""
    from graders.nbgrader_course import NbgraderCourse

    root = tmp_path / "course"
    config = ("from graders.nbgrader_bridge import configure\n"
              f"configure(c, labs_dir={str(lab_dir.parent)!r}, "
              f"outbox={str(tmp_path / 'out')!r})")
    course = NbgraderCourse(root, load_lab(lab_dir), extra_config=config)
    course.generate()
    data = json.dumps(honest()).replace("Because", "Bec\\ud800ause").encode()
    course.add_submission("surrogate", {"strings.ipynb": data})
    course.autograde()  # raises with nbgrader's output when it fails
    graded = root / "autograded" / "surrogate" / "strings" / "strings.ipynb"
    assert "Bec\ufffdause" in graded.read_text(encoding="utf-8")
    grades = course.grades()
    assert grades["surrogate", "strings", "test-answer"] == (1.0, 1.0)
    assert grades["surrogate", "strings", "explain"] == (None, 2.0)  # a person grades it
