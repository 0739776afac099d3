"""Learners see hidden tests only as one total, on feedback pages too (review 11, B5).

With our course config, ``nbgrader generate_feedback`` already left out every hidden line,
but each hidden test cell still had nbgrader's heading ("Grade cell: <name>", its score),
an entry in the page's list of scores, and, when it failed, its hint: one oracle answer per
hidden test at each feedback release. Now a hidden test cell shows only what the release
shows (no name, score or hint); the visible tests keep theirs, and the hidden tests' points
are one line, through the grader's catalogue (en, fr).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_hostile_feedback_hidden import page_text  # noqa: E402

from graders.lab import load_lab  # noqa: E402
from graders.nbgrader_bridge import FAILED  # noqa: E402
from graders.nbgrader_course import NbgraderCourse  # noqa: E402
from graders.notebooks import hidden_lines  # noqa: E402
from graders.record import messages  # noqa: E402
from graders.release import release_notebook  # noqa: E402

LABS = Path(__file__).resolve().parents[2] / "labs"
LAB = LABS / "cybersecurity" / "password-hashing"
NAME = "password-hashing"
LEARNERS = ("solved", "blank")


def lab_tests() -> dict[str, tuple[bool, float]]:
    """grade_id -> (hidden, points) of the lab's test cells."""
    nb = nbformat.read(str(LAB / "source" / f"{NAME}.ipynb"), as_version=4)
    return {c.metadata.nbgrader["grade_id"]: (bool(hidden_lines(c.source)),
                                               float(c.metadata.nbgrader["points"]))
            for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
            and not c.metadata.nbgrader.get("solution")}


def hints(learner: str, course: Path) -> dict[str, str]:
    """grade_id -> the hint the autograded notebook holds for each failed test."""
    nb = nbformat.read(str(course / "autograded" / learner / NAME / f"{NAME}.ipynb"),
                       as_version=4)
    return {c.metadata.nbgrader["grade_id"]: re.sub(r"\s+", " ", o.evalue) for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade_id") for o in c.get("outputs", [])
            if o.get("ename") == FAILED}


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A course whose feedback pages are in ``pages/<learner>.<language>.html``."""
    work = tmp_path_factory.mktemp("detail")
    config = ("from graders.nbgrader_bridge import configure\n"
              f"configure(c, labs_dir={str(LABS)!r}, outbox={str(work / 'outbox')!r})")
    course = NbgraderCourse(work / "course", load_lab(LAB), extra_config=config)
    course.generate()
    data = {f"data/{p.name}": p.read_bytes() for p in (LAB / "source" / "data").iterdir()}
    blank = json.dumps(release_notebook(LAB / "source" / f"{NAME}.ipynb")).encode()
    solved = (LAB / "source" / f"{NAME}.ipynb").read_bytes()
    for learner, nb in {"solved": solved, "blank": blank}.items():
        course.add_submission(learner, {f"{NAME}.ipynb": nb, **data})
    assert course.autograde().returncode == 0
    (course.root / "pages").mkdir()
    for language in ("en", "fr", "all"):  # "all": the course config's default
        done = course.nbgrader("generate_feedback", NAME, "--force",
                               *([f"--NorthlabFeedback.language={language}"]
                                 if language != "all" else []))
        assert done.returncode == 0, done.stderr[-2000:]
        for learner in LEARNERS:
            page = course.root / "feedback" / learner / NAME / f"{NAME}.html"
            page.rename(course.root / "pages" / f"{learner}.{language}.html")
    return course.root


@pytest.mark.slow
@pytest.mark.parametrize("learner", LEARNERS)
def test_hidden_tests_show_no_name_score_or_hint_visible_tests_keep_theirs(
        course: Path, learner: str) -> None:
    page = (course / "pages" / f"{learner}.en.html").read_text(encoding="utf-8")
    tests = lab_tests()
    hidden = sorted(t for t, (h, _) in tests.items() if h)
    visible = sorted(t for t, (h, _) in tests.items() if not h)
    assert len(hidden) >= 3 and len(visible) >= 3
    assert [t for t in hidden if t in page] == []
    assert all(f"Grade cell: <code>{t}</code>" in page for t in visible)
    assert page.count("Grade cell:") == len(visible)
    listed = re.findall(r'<li><a href="#([^"]+)">', page)  # the page's list of scores
    assert sorted(t for t in listed if t in tests) == visible
    assert "Test cell" not in page  # listed by lab section (NorthlabFeedbackExporter)
    text = page_text(course / "pages" / f"{learner}.en.html")
    failed = hints(learner, course)
    if learner == "blank":  # every test failed, each with its hint in the autograded copy
        assert set(failed) == set(tests)
    shown = {failed[t] for t in visible if t in failed}
    assert all(hint in text for hint in shown)
    assert [failed[t] for t in hidden
            if t in failed and failed[t] not in shown and failed[t] in text] == []


@pytest.mark.slow
@pytest.mark.parametrize("learner", LEARNERS)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_hidden_tests_are_one_line_of_points(course: Path, learner: str,
                                                 language: str) -> None:
    points = sum(p for h, p in lab_tests().values() if h)
    score = points if learner == "solved" else 0
    lines = {lang: messages().text("feedback.hidden-total", lang, score=f"{score:g}",
                                   max_score=f"{points:g}") for lang in ("en", "fr")}
    assert lines["fr"] != lines["en"]
    text = page_text(course / "pages" / f"{learner}.{language}.html")
    assert text.count(lines[language]) == 1


@pytest.mark.slow
@pytest.mark.parametrize("learner", LEARNERS)
def test_by_default_the_hidden_line_is_in_every_language(course: Path, learner: str) -> None:
    """nbgrader does not know a learner's language: the line is there in each, once."""
    points = sum(p for h, p in lab_tests().values() if h)
    score = points if learner == "solved" else 0
    text = page_text(course / "pages" / f"{learner}.all.html")
    for lang in ("en", "fr"):
        line = messages().text("feedback.hidden-total", lang, score=f"{score:g}",
                               max_score=f"{points:g}")
        assert text.count(line) == 1
