"""Nothing a learner receives as feedback holds a lab's hidden tests (review 9, G2).

``nbgrader generate_feedback`` (what formgrader's "generate feedback" button runs, and what
feedback release hands to learners) made the learner's HTML from the autograded notebook,
whose test cells nbgrader restores with their hidden regions: every hidden assert and
expected value reached the learner word for word. With our course config, on a real lab
whose test cells mix visible and hidden lines: no hidden line appears in any learner's
feedback page (nor a traceback quoting one, as stock's Execute would write), while the
visible tests and the scores still do.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from traitlets.config import Config

from graders.lab import load_lab
from graders.nbgrader_bridge import NorthlabFeedback
from graders.nbgrader_course import NbgraderCourse
from graders.notebooks import hidden_lines
from graders.release import release_notebook
from hub.config.settings import load_settings
from hub.courses.folders import course_config

LABS = Path(__file__).resolve().parents[2] / "labs"
LAB = LABS / "cybersecurity" / "password-hashing"
NAME = "password-hashing"


class _Text(HTMLParser):
    """A page's text as a reader sees it (code highlighting splits lines into spans)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.skip += tag in ("style", "script")

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag in ("style", "script")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def page_text(path: Path) -> str:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return re.sub(r"\s+", " ", "".join(parser.parts))


def lab_test_cells() -> dict[str, str]:
    nb = nbformat.read(str(LAB / "source" / f"{NAME}.ipynb"), as_version=4)
    return {c.metadata.nbgrader["grade_id"]: c.source for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade")
            and not c.metadata.nbgrader.get("solution")}


def hidden_text() -> list[str]:
    """Every line of a hidden region of the lab's tests (markers, asserts, expected values)
    that the release does not show elsewhere (``import hashlib as _hl`` is also visible)."""
    release = release_notebook(LAB / "source" / f"{NAME}.ipynb")
    shown = {re.sub(r"\s+", " ", line.strip())
             for cell in release.cells for line in cell.source.splitlines()}
    out = []
    for source in lab_test_cells().values():
        lines = source.splitlines()
        out += [re.sub(r"\s+", " ", lines[n - 1].strip()) for n in sorted(hidden_lines(source))]
    return [line for line in out if len(line) > 12 and line not in shown]


def visible_text() -> list[str]:
    out = []
    for source in lab_test_cells().values():
        hidden = hidden_lines(source)
        out += [re.sub(r"\s+", " ", line.strip())
                for n, line in enumerate(source.splitlines(), 1)
                if n not in hidden and line.strip().startswith("assert")]
    return out


@pytest.fixture(scope="module")
def feedback(tmp_path_factory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("feedback")
    config = ("from graders.nbgrader_bridge import configure\n"
              f"configure(c, labs_dir={str(LABS)!r}, outbox={str(work / 'outbox')!r})")
    course = NbgraderCourse(work / "course", load_lab(LAB), extra_config=config)
    course.generate()
    data = {f"data/{p.name}": p.read_bytes() for p in (LAB / "source" / "data").iterdir()}
    source = (LAB / "source" / f"{NAME}.ipynb").read_bytes()  # solutions: every test passes
    blank = json.dumps(release_notebook(LAB / "source" / f"{NAME}.ipynb")).encode()
    for learner, nb in {"solved": source, "blank": blank}.items():
        course.add_submission(learner, {f"{NAME}.ipynb": nb, **data})
    course.autograde()
    # what stock's Execute leaves in a failed hidden test cell: a traceback quoting the line
    autograded = course.root / "autograded" / "blank" / NAME / f"{NAME}.ipynb"
    nb = nbformat.read(str(autograded), as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "test_check_hidden":
            quoted = [line for n, line in enumerate(cell.source.splitlines(), 1)
                      if n in hidden_lines(cell.source) and "assert" in line][0]
            cell.outputs = [nbformat.v4.new_output(
                "error", ename="AssertionError", evalue="",
                traceback=["Traceback (most recent call last)", f"----> 2 {quoted}"]),
                nbformat.v4.new_output("stream", name="stdout", text=quoted)]
    nbformat.write(nb, str(autograded))
    course.nbgrader("generate_feedback", NAME, "--force")
    return {learner: course.root / "feedback" / learner / NAME / f"{NAME}.html"
            for learner in ("solved", "blank")}


@pytest.mark.slow
@pytest.mark.parametrize("learner", ["solved", "blank"])
def test_feedback_holds_no_hidden_test(feedback: dict[str, Path], learner: str) -> None:
    text = page_text(feedback[learner])
    hidden = hidden_text()
    assert len(hidden) >= 10 and "BEGIN HIDDEN TESTS" in "".join(hidden)
    leaked = [line for line in hidden if line in text]
    assert leaked == []
    assert "HIDDEN" not in feedback[learner].read_text(encoding="utf-8")
    # the visible tests and the scores still show
    visible = visible_text()
    assert len(visible) >= 8 and all(line in text for line in visible), [
        line for line in visible if line not in text]
    score = "16.0" if learner == "solved" else "0.0"
    assert f"Score: {score} / 16.0" in text, text[:600]


def test_the_hubs_course_config_filters_feedback(tmp_path: Path) -> None:
    """The config the hub writes for every course (what formgrader's "Generate feedback"
    and ``nbgrader generate_feedback`` load) runs the filter, after nbgrader's GetGrades."""
    config = Config()
    settings = load_settings({"NORTHLAB_DATA": str(tmp_path / "data")})
    exec(compile(course_config(settings, "c1"), "nbgrader_config.py", "exec"),
         {"get_config": lambda: config})
    steps = [getattr(step, "__name__", step) for step in config.GenerateFeedback.preprocessors]
    assert steps[:2] == ["GetGrades", NorthlabFeedback.__name__]
    assert config.NorthlabFeedback.labs_dir == str(settings.labs_root)
