"""Scoring: turn the judge's per-test outcomes into a validated result record.

The grading parent does the arithmetic: points come from the lab (notebook metadata) or
from the judge's collection of ``@pytest.mark.points`` markers; learner feedback comes only
from the lab's bilingual hints and the grader's catalogue, never from test code or
expected values.
"""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from graders.i18n import catalog
from graders.lab import Lab
from graders.notebooks import SourceNotebook
from graders.results import SCHEMA_ID, validate_result
from graders.sandbox.zygote import EXIT_OUTPUT
from graders.submissions import Submission

if TYPE_CHECKING:
    from graders.engine import Outcome


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _base(lab: Lab, submission: Submission, started: float, isolation: str,
          course: str | None) -> dict[str, Any]:
    return {
        "schema": SCHEMA_ID, "learner": submission.learner, "lab": lab.id,
        "track": lab.track, "course": course,
        "submission_id": submission.submission_id if submission.files else "empty",
        "submitted_at": submission.submitted_at, "graded_at": _now(),
        "score": 0, "max_score": lab.points, "duration": 0.0, "isolation": isolation,
        "late": submission.late, "tests": [], "error": None,
    }


def error_record(lab: Lab, submission: Submission, code: str, values: dict[str, Any],
                 started: float, isolation: str, course: str | None) -> dict[str, Any]:
    """A record for a submission that could not be graded."""
    record = _base(lab, submission, started, isolation, course)
    message_id = f"error.{code}" if code in (
        "invalid-notebook", "missing-notebook", "too-large", "bad-learner", "judge-timeout",
    ) else "error.internal"
    record["error"] = {"code": code, "message": catalog().all_languages(message_id, **values)}
    record["duration"] = round(time.monotonic() - started, 3)
    return validate_result(record)


def stop_reason(lab: Lab, outcome: Outcome) -> dict[str, str] | None:
    """The bilingual line saying why the sandbox stopped the learner's code, if it did."""
    cat, limits, worker = catalog(), lab.limits, outcome.worker or {}
    if outcome.wall_hit:
        return cat.all_languages("limit.wall", seconds=_n(limits.wall_seconds))
    if worker.get("exit") == EXIT_OUTPUT:
        return cat.all_languages("limit.output", kb=_n(limits.output_kb))
    if worker.get("signal") == signal.SIGXCPU:
        return cat.all_languages("limit.cpu", seconds=_n(limits.cpu_seconds))
    errors = set(outcome.worker_errors)
    if "MemoryError" in errors:
        return cat.all_languages("limit.memory", mb=_n(limits.memory_mb))
    if "DiskFull" in errors:
        return cat.all_languages("limit.disk", mb=_n(limits.disk_mb))
    if "BlockingIOError" in errors:
        return cat.all_languages("limit.processes", count=_n(limits.processes))
    if worker.get("signal") is not None:
        return cat.all_languages("stopped.signal", signal=worker["signal"])
    if not outcome.stats and worker:
        return cat.all_languages("stopped.exit", status=worker.get("exit"))
    return None


def partial_points(value: float, max_points: float) -> float:
    """nbgrader's partial credit: a number between 0 and the cell's points; a negative or
    NaN number means full points (as nbgrader), more than the points is capped."""
    if not value >= 0.0:
        return max_points
    return min(value, max_points)


def _n(value: float) -> str:
    return f"{value:g}"


def _feedback(hint: dict[str, str], passed: bool, stop: dict[str, str] | None,
              stopped: bool, missing: bool = False) -> dict[str, str]:
    cat = catalog()
    if passed:
        return cat.all_languages("test.passed")
    base = cat.all_languages("test.missing") if missing else {
        lang: hint.get(lang) or hint.get("en") or cat.text("test.failed", lang)
        for lang in cat.languages}
    if stop and stopped:
        return {lang: f"{stop[lang]} {base[lang]}" for lang in base}
    return base


def build_record(lab: Lab, submission: Submission, outcome: Outcome,
                 source: SourceNotebook | None, started: float, isolation: str,
                 course: str | None) -> dict[str, Any]:
    """Score the outcome; the result is validated against ``result.schema.json``."""
    record = _base(lab, submission, started, isolation, course)
    stop = stop_reason(lab, outcome)
    judged = {t.get("id"): t for t in outcome.tests or [] if type(t) is dict}
    tests = []
    if source is not None:
        for test in source.tests.values():
            got = judged.get(test.id)
            passed = bool(got and got.get("passed") is True)
            points = test.points if passed else 0.0
            if passed and got and type(got.get("partial")) is float:
                points = partial_points(got["partial"], test.points)
            tests.append({
                "name": test.id, "points": points, "max_points": test.points,
                "passed": passed, "hidden": test.hidden,
                "feedback": _feedback(test.feedback, passed, stop,
                                      bool(got and got.get("stopped")), missing=got is None)})
    else:
        for got in judged.values():
            points = got.get("points")
            max_points = float(points) if isinstance(points, int | float) and not isinstance(
                points, bool) and points >= 0 else 0.0
            passed = got.get("passed") is True
            tests.append({
                "name": str(got.get("id")), "points": max_points if passed else 0.0,
                "max_points": max_points, "passed": passed, "hidden": True,
                "feedback": _feedback(got.get("feedback") or {}, passed, stop,
                                      bool(got.get("stopped")))})
    if stop is not None:
        tests.append({"name": "sandbox", "points": 0, "max_points": 0, "passed": False,
                      "hidden": False, "feedback": stop})
    record["tests"] = tests
    record["max_score"] = sum(t["max_points"] for t in tests)
    record["score"] = round(min(sum(t["points"] for t in tests), record["max_score"]), 6)
    record["duration"] = round(time.monotonic() - started, 3)
    return validate_result(record)
