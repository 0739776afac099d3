"""Scoring: turn the judge's per-test outcomes into a validated result record.

The grading parent does the arithmetic: it knows every test of the lab and its maximum
before grading (notebook metadata; for code labs the ``@pytest.mark.points`` markers the
judge listed at start, before any submission); it names tests, caps and rounds points
from that list only, never from a judge's report. Learner feedback comes only from the
lab's bilingual hints and the grader's catalogue, never from test code or expected values.

A lab that is an nbgrader assignment of several notebooks is graded one notebook at a time
(a fresh kernel each, as nbgrader); the record holds the lab total, each notebook's subtotal
(``notebooks``) and each test's ``notebook``. Parts a person grades (nbgrader's manually
graded answers and tasks) are tests with ``manual: true``; those waiting for the person are
``pending`` (0 points now, counted in ``max_score`` and ``pending_points``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graders.lab import Lab
from graders.notebooks import SourceNotebook
from graders.submissions import Submission
from northlab.i18n import DEFAULT_LANGUAGE, Catalog, catalog
from northlab.results import SCHEMA_ID, validate_result

if TYPE_CHECKING:
    from graders.engine import Outcome

#: the grader's own messages: feedback, errors, summaries
LOCALE = Path(__file__).with_name("locale")
MAX_NAME = 300  #: longest test name kept from a code lab's listing
MAX_HINT = 2000  #: longest hint kept per language
#: error codes with messages of their own (any other code: the grader's ``internal``)
ERROR_CODES = ("invalid-notebook", "missing-notebook", "too-large", "bad-learner",
               "judge-timeout")


def messages() -> Catalog:
    """The grader's (cached) message catalogue."""
    return catalog(LOCALE)


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
                 started: float, isolation: str, course: str | None, reason: str = ""
                 ) -> dict[str, Any]:
    """A record for a submission that could not be graded: its message is the catalogue's
    ``error.<code>.<reason>`` with ``values`` (``error.<code>`` for an unknown reason)."""
    record = _base(lab, submission, started, isolation, course)
    message_id = "error.internal"
    if code in ERROR_CODES:
        detailed = f"error.{code}.{reason}"
        message_id = detailed if reason and detailed in messages().messages[
            DEFAULT_LANGUAGE] else f"error.{code}"
    record["error"] = {"code": code, "message": messages().all_languages(message_id, **values)}
    record["duration"] = round(time.monotonic() - started, 3)
    return validate_result(record)


@dataclass(frozen=True)
class LabTest:
    """One test of the lab, as the parent knows it before grading."""

    name: str
    max_points: float
    hidden: bool
    feedback: dict[str, str]
    notebook: str | None = None  #: its notebook, when records name notebooks
    manual: bool = False  #: graded by a person (nbgrader manually graded answer or task)


@dataclass
class Part:
    """One notebook's grading (a code lab has one part, named None)."""

    notebook: str | None
    outcome: Outcome | None  #: None: the notebook is not in the submission
    #: manually graded parts present in the notebook -> whether a person has to grade them
    manual: dict[str, bool] = field(default_factory=dict)


def notebook_tests(source: SourceNotebook, notebook: str | None = None) -> list[LabTest]:
    """The test cells and manually graded parts of one source notebook, in its order."""
    tests = []
    for grade_id in source.order:
        if grade_id in source.tests:
            test = source.tests[grade_id]
            tests.append(LabTest(test.id, float(test.points), test.hidden,
                                 dict(test.feedback), notebook))
        else:
            tests.append(LabTest(grade_id, float(source.manual[grade_id].points), False, {},
                                 notebook, manual=True))
    return tests


def code_tests(collected: list[dict[str, Any]]) -> list[LabTest]:
    """A code lab's tests from the judge's listing at start (before any submission):
    unique string ids, points that are finite numbers >= 0 (else 0), text hints."""
    tests: dict[str, LabTest] = {}
    for item in collected:
        name, points, hint = item.get("id"), item.get("points"), item.get("feedback")
        if type(name) is not str or not 0 < len(name) <= MAX_NAME or name in tests:
            continue
        worth = float(points) if type(points) in (int, float) and math.isfinite(points) \
            and points >= 0 else 0.0
        feedback = {k: v[:MAX_HINT] for k, v in hint.items() if type(k) is str
                    and type(v) is str} if type(hint) is dict else {}
        tests[name] = LabTest(name, worth, True, feedback)
    return list(tests.values())


def precision(tests: list[LabTest]) -> int:
    """Decimals kept in points: those the lab's own maxima need, plus three for partial
    credit (so 1/3 of a point is 0.333), at most six."""
    needed = max((len(f"{t.max_points:.6f}".rstrip("0").split(".")[1]) for t in tests),
                 default=0)
    return min(6, needed + 3)


def stop_reason(lab: Lab, outcome: Outcome) -> dict[str, str] | None:
    """The bilingual line saying how the learner's code was stopped, if it was. A limit
    line comes only from the parent's own measurements: its wall clock, the kernel's
    cgroup counters (memory, processes, CPU), the zygote's count of the output bytes and
    its ``wait4`` CPU time of the child. How the code ended otherwise (an exit status, a
    signal: which the learner's code may choose) is said as such, never as a limit; an
    error the learner's code raised (``MemoryError``...) says nothing at all."""
    cat, limits, worker = messages(), lab.limits, outcome.worker
    if outcome.judge_limit is not None:  # the tests' own sandbox stopped them (rule 9)
        return cat.all_languages(f"limit.judge-{outcome.judge_limit}")
    if outcome.wall_hit:
        return cat.all_languages("limit.wall", seconds=_n(limits.wall_seconds))
    if outcome.usage.memory_hit:
        return cat.all_languages("limit.memory", mb=_n(limits.memory_mb))
    if outcome.usage.pids_hit:
        return cat.all_languages("limit.processes", count=_n(limits.processes))
    if worker is None:
        return cat.all_languages("stopped.unknown")
    if worker.get("output_exceeded") is True:
        return cat.all_languages("limit.output", kb=_n(limits.output_kb))
    ended = type(worker.get("signal")) is int or outcome.early
    if ended and cpu_used(outcome) >= float(limits.cpu_seconds):
        return cat.all_languages("limit.cpu", seconds=_n(limits.cpu_seconds))
    if type(worker.get("signal")) is int:
        return cat.all_languages("stopped.signal", signal=worker["signal"])
    if outcome.early:
        return cat.all_languages("stopped.exit", status=worker.get("exit"))
    return None


def cpu_used(outcome: Outcome) -> float:
    """CPU seconds the submission used, as the kernel counted them for the parent: its
    cgroup's accounting, or the zygote's ``wait4`` of the child."""
    seconds = [outcome.usage.cpu_seconds,
               (outcome.worker or {}).get("cpu_seconds")]
    return max((s for s in seconds if type(s) is float and math.isfinite(s)), default=0.0)


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
    cat = messages()
    if passed:
        return cat.all_languages("test.passed")
    base = cat.all_languages("test.missing") if missing else {
        lang: hint.get(lang) or hint.get("en") or cat.text("test.failed", lang)
        for lang in cat.languages}
    if stop and stopped:
        return {lang: f"{stop[lang]} {base[lang]}" for lang in base}
    return base


def _manual_row(test: LabTest, state: bool | None) -> dict[str, Any]:
    """A part a person grades: pending when answered (``state`` True), else 0 at once
    (unanswered as released, or missing from the notebook)."""
    message = "manual.pending" if state else "manual.unanswered" if state is False \
        else "manual.missing"
    return {"name": test.name, "points": 0, "max_points": test.max_points, "passed": False,
            "hidden": False, "manual": True, "pending": state is True,
            "feedback": messages().all_languages(message)}


def _part_rows(lab: Lab, part: Part, tests: list[LabTest], digits: int
               ) -> list[dict[str, Any]]:
    """The rows of one notebook (or code lab run): a judged test counts only under a name
    the lab has, for at most its maximum, rounded to ``digits``."""
    outcome = part.outcome
    stop = stop_reason(lab, outcome) if outcome is not None else None
    judged: dict[str, dict[str, Any]] = {}
    for got in (outcome.tests or []) if outcome is not None else []:
        if type(got) is dict and type(got.get("id")) is str:
            judged.setdefault(got["id"], got)
    rows = []
    for test in tests:
        if test.manual:
            rows.append(_manual_row(test, part.manual.get(test.name)))
            continue
        got = judged.get(test.name)
        passed = got is not None and got.get("passed") is True
        points = test.max_points if passed else 0.0
        if passed and type(got.get("partial")) is float:  # type: ignore[union-attr]
            points = partial_points(got["partial"], test.max_points)  # type: ignore[index]
        feedback = messages().all_languages("notebook.missing", name=f"{part.notebook}.ipynb") \
            if outcome is None else _feedback(
                test.feedback, passed, stop, got is not None and got.get("stopped") is True,
                missing=got is None and lab.kind == "notebook")
        rows.append({
            "name": test.name, "points": round(min(points, test.max_points), digits),
            "max_points": test.max_points, "passed": passed, "hidden": test.hidden,
            "feedback": feedback})
    if stop is not None:
        rows.append({"name": "sandbox", "points": 0, "max_points": 0, "passed": False,
                     "hidden": False, "feedback": stop})
    if lab.named_notebooks and part.notebook is not None:
        for row in rows:
            row["notebook"] = part.notebook
    return rows


def _total(rows: list[dict[str, Any]], digits: int) -> dict[str, float]:
    most = sum(row["max_points"] for row in rows)
    return {"score": round(min(sum(row["points"] for row in rows), most), digits),
            "max_score": most,
            "pending_points": sum(row["max_points"] for row in rows if row.get("pending"))}


def build_record(lab: Lab, submission: Submission, parts: list[Part] | Outcome,
                 tests: list[LabTest], started: float, isolation: str, course: str | None
                 ) -> dict[str, Any]:
    """Score each part (one outcome: a code lab or a lab of one notebook) against the lab's
    own ``tests`` (those of its notebook): tests the judge reported that the lab does not
    have are ignored, missing ones fail; the lab total is the sum, with per-notebook
    subtotals when the lab names its notebooks and ``pending_points`` when it has parts a
    person grades. The result is validated against ``result.schema.json``."""
    if not isinstance(parts, list):
        parts = [Part(None, parts)]
    record = _base(lab, submission, started, isolation, course)
    digits = precision(tests)
    named = lab.named_notebooks
    rows, notebooks = [], []
    for part in parts:
        part_rows = _part_rows(lab, part, [t for t in tests if t.notebook == (
            part.notebook if named else None)], digits)
        rows.extend(part_rows)
        if named and part.notebook is not None:
            notebooks.append({"name": part.notebook, **_total(part_rows, digits)})
    total = _total(rows, digits)
    record["tests"] = rows
    record["max_score"], record["score"] = total["max_score"], total["score"]
    if any(test.manual for test in tests):
        record["pending_points"] = total["pending_points"]
    if notebooks:
        record["notebooks"] = notebooks
    record["duration"] = round(time.monotonic() - started, 3)
    return validate_result(record)
