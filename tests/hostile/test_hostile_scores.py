"""Class 3: the judge's report never decides which tests exist, what they are worth, or
what they are called. Every forged report (extra tests, renamed tests, huge, negative,
infinite or NaN points, partial credit above the maximum, ids of the wrong type) scores
at most what the lab allows; the test list and the maxima come from the lab."""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graders"))
from northlab_labkit import CODE_LAB, NB_LAB, copy_lab  # noqa: E402

from graders.engine import Grader, Outcome  # noqa: E402
from graders.lab import load_lab  # noqa: E402
from graders.notebooks import read_source  # noqa: E402
from graders.record import LabTest, build_record, code_tests, notebook_tests  # noqa: E402
from graders.submissions import Submission  # noqa: E402

NB = load_lab(NB_LAB)
NB_TESTS = notebook_tests(read_source(NB.notebook))
NAMES = [t.name for t in NB_TESTS]
BIG = [1e308, float("inf"), 10**400 // 10**300, 3000, 2**63]
BAD_NUMBERS = [*BIG, -1, -1e308, float("-inf"), float("nan"), True, "6", None, [6], {"x": 6}]


def record_for(tests: list, lab=NB, lab_tests=NB_TESTS) -> dict:
    outcome = Outcome(tests=tests, worker={"exit": 0, "signal": None, "killed": False})
    return build_record(lab, Submission("forger", lab.path, files={"a": b"1"}), outcome,
                        lab_tests, time.monotonic(), "test", None)


def honest_max(lab_tests: list[LabTest]) -> float:
    return sum(t.max_points for t in lab_tests)


def assert_bounded(record: dict, lab_tests: list[LabTest]) -> None:
    lab_names = {t.name for t in lab_tests}
    maxima = {t.name: t.max_points for t in lab_tests}
    assert record["max_score"] == honest_max(lab_tests)
    assert 0 <= record["score"] <= honest_max(lab_tests)
    for row in record["tests"]:
        assert row["name"] in lab_names | {"sandbox"}
        if row["name"] != "sandbox":
            assert row["max_points"] == maxima[row["name"]]
            assert 0 <= row["points"] <= row["max_points"]
    assert [r["name"] for r in record["tests"] if r["name"] != "sandbox"] == \
        [t.name for t in lab_tests]


FORGERIES = {
    "extra-tests": [{"id": n, "passed": True} for n in NAMES]
    + [{"id": f"bonus-{i}", "passed": True, "points": 1000} for i in range(50)],
    "renamed-tests": [{"id": n.upper(), "passed": True} for n in NAMES]
    + [{"id": n + " ", "passed": True} for n in NAMES],
    "duplicated-tests": [{"id": NAMES[0], "passed": True}] * 100,
    "ids-of-other-types": [{"id": i, "passed": True} for i in (1, None, [NAMES[0]], 2.5)],
    "passed-not-true": [{"id": n, "passed": p}
                        for n, p in zip(NAMES, ("yes", 1, [1]), strict=True)],
    "not-dicts": [NAMES[0], [NAMES[1], True], 7, None],
    **{f"partial-{v!r}"[:40]: [{"id": n, "passed": True, "partial": v} for n in NAMES]
       for v in BAD_NUMBERS},
    **{f"points-{v!r}"[:40]: [{"id": n, "passed": True, "points": v, "max_points": v}
                              for n in NAMES] for v in BAD_NUMBERS},
}


@pytest.mark.parametrize("name", list(FORGERIES))
def test_a_forged_notebook_report_is_bounded_by_the_lab(name: str) -> None:
    assert_bounded(record_for(FORGERIES[name]), NB_TESTS)


def test_partial_credit_is_rounded_to_the_labs_precision() -> None:
    record = record_for([{"id": NAMES[0], "passed": True, "partial": 1 / 3}])
    points = record["tests"][0]["points"]
    assert points == 0.333 and record["score"] == 0.333


def test_honest_reports_keep_their_scores() -> None:
    record = record_for([{"id": n, "passed": True} for n in NAMES])
    assert record["score"] == record["max_score"] == NB.points


def test_code_lab_tests_come_from_the_listing_at_start() -> None:
    listing = [{"id": "t::a", "points": 2, "feedback": {"en": "A", "fr": "A"}},
               {"id": "t::b", "points": -3}, {"id": "t::c", "points": float("nan")},
               {"id": "t::a", "points": 99}, {"id": 5, "points": 1}, {"points": 1},
               {"id": "x" * 5000, "points": 1}, {"id": "t::d", "points": True}]
    tests = code_tests(listing)
    assert [(t.name, t.max_points) for t in tests] == [
        ("t::a", 2.0), ("t::b", 0.0), ("t::c", 0.0), ("t::d", 0.0)]
    code = load_lab(CODE_LAB)
    forged = [{"id": "t::a", "passed": True, "points": 1e9},
              {"id": "t::zzz", "passed": True, "points": 3000}]
    assert_bounded(record_for(forged, code, tests), tests)


def test_a_code_lab_is_listed_before_grading_and_forged_reports_cannot_add(
        tmp_path: Path) -> None:
    lab = load_lab(copy_lab(CODE_LAB, tmp_path, {"wall_seconds": 10}))
    with Grader(lab, workers=1) as grader:
        tests = list(grader.tests)
        # the judge's listing, from the lab's own markers, before any submission
        assert sum(t.max_points for t in tests) == lab.points
        assert all(t.name.startswith("test_game.py::") for t in tests)
        forged = [{"id": t.name, "passed": True, "points": 1000} for t in tests] + [
            {"id": f"test_game.py::extra{i}", "passed": True, "points": 1000}
            for i in range(10)]
        record = record_for(forged, lab, tests)
        assert record["score"] == lab.points and math.isfinite(record["score"])
        assert_bounded(record, tests)
