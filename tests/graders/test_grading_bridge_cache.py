"""The nbgrader bridge keeps one warm engine per lab *and course*: a process that grades two
courses (or two copies of a lab) never stamps one course's records with the other's id."""

from __future__ import annotations

from pathlib import Path

import pytest

from graders import nbgrader_bridge
from graders.lab import load_lab

LAB = Path(__file__).resolve().parents[2] / "labs" / "cybersecurity" / "password-hashing"


class FakeGrader:
    """Stands in for the sandboxed engine: remembers what it was started with."""

    def __init__(self, lab, *, workers, course, cell_outputs):
        self.lab, self.course = lab, course

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


@pytest.fixture
def fake_engine(monkeypatch):
    monkeypatch.setattr(nbgrader_bridge, "Grader", FakeGrader)
    monkeypatch.setattr(nbgrader_bridge, "_GRADERS", {})


def test_each_course_gets_its_own_engine(fake_engine) -> None:
    lab = load_lab(LAB)
    first = nbgrader_bridge._grader(lab, 1, "cohort-a")
    second = nbgrader_bridge._grader(lab, 1, "cohort-b")
    assert (first.course, second.course) == ("cohort-a", "cohort-b")
    assert nbgrader_bridge._grader(lab, 1, "cohort-a") is first  # still warm per course
