"""Grade exports: one row per learner x lab, and one row per learner shaped for an LMS.

``grade_rows`` and ``summary_rows`` are plain dicts (the JSON API returns them as they
are); ``*_csv`` turn them into UTF-8 CSV (with a byte-order mark so spreadsheet programs
read accents right). Summary layouts:

``generic``      Username, Cohort, totals, then one "<lab title> (%)" column per lab.
``moodle``       "Username" then one points column per lab (Moodle: Grades > Import > CSV,
                 map "Username" to the username field).
``canvas``       Student, ID, SIS User ID, SIS Login ID, Section, then one column per lab
                 (Canvas matches learners on SIS Login ID = hub username).
``brightspace``  Username, "<lab> Points Grade <Numeric MaxPoints:N>" columns (the suffix
                 lets the import create missing grade items) and the End-of-Line Indicator.

A lab with work a person has not graded yet has status ``awaiting`` and its
``pending_points`` (points still possible); the LMS layouts leave its cell empty until
graded rather than import a partial mark as the grade.

Cells that a spreadsheet would run as a formula (``= + - @``) are prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from .catalogue import LabInfo
from .queries import Cell
from .views import CohortView

LMS_LAYOUTS = ("generic", "moodle", "canvas", "brightspace")
_FORMULA_STARTS = frozenset("=+-@\t\r")
ROW_FIELDS = ("username", "cohort", "lab", "lab_title", "track", "status", "score",
              "max_score", "percent", "attempts", "late", "last_activity", "pending_points")


def grade_rows(views: Iterable[CohortView], language: str, pass_percent: float) -> list[dict]:
    """One dict per learner x lab of each cohort (labs never submitted are ``missing``)."""
    rows = []
    for view in views:
        titles = [(lab, lab.title_in(language)) for lab in view.labs]
        for learner in view.rows:
            for lab, title in titles:
                cell = learner.cells.get(lab.id)
                base = {"username": learner.learner, "cohort": view.id, "lab": lab.id,
                        "lab_title": title, "track": lab.track}
                if cell is None:
                    rows.append({**base, "status": "missing", "score": None, "max_score": None,
                                 "percent": None, "attempts": 0, "late": False,
                                 "last_activity": None, "pending_points": None})
                    continue
                rows.append({
                    **base, "status": _status(cell, pass_percent),
                    "score": cell.best_score, "max_score": cell.max_score,
                    "percent": round(cell.best_percent, 1), "attempts": cell.attempts,
                    "late": cell.late, "last_activity": cell.last_activity.isoformat(),
                    "pending_points": cell.pending_points,
                })
    return rows


def _status(cell: Cell, pass_percent: float) -> str:
    if cell.pending_points > 0:  # as for credentials: not counted until graded
        return "awaiting"
    return "completed" if cell.best_percent >= pass_percent else "attempted"


def summary_rows(views: Iterable[CohortView], credentials: dict[str, int]) -> list[dict]:
    """One dict per learner: totals and each lab's best mark (percent and points)."""
    rows = []
    for view in views:
        for learner in view.rows:
            rows.append({
                "username": learner.learner, "cohort": view.id,
                "labs_completed": learner.completed, "labs_attempted": len(learner.cells),
                "labs_total": len(view.labs),
                "average_percent": None if learner.average is None else round(learner.average, 1),
                "credentials": credentials.get(learner.learner, 0),
                "last_activity": learner.last_activity.isoformat()
                if learner.last_activity else None,
                "labs": {
                    lab.id: {"percent": round(c.best_percent, 1), "score": c.best_score,
                             "max_score": c.max_score, "pending_points": c.pending_points}
                    for lab in view.labs if (c := learner.cells.get(lab.id)) is not None
                },
            })
    return rows


def summary_for(views: Sequence[CohortView], credentials: dict[str, int], language: str,
                layout: str) -> str:
    """The per-learner summary CSV of ``views``, one column per lab in course order."""
    labs: dict[str, LabInfo] = {}
    points: dict[str, float] = {}
    for view in views:
        labs.update((lab.id, lab) for lab in view.labs)
        for row in view.rows:
            for lab_id, cell in row.cells.items():
                points[lab_id] = max(points.get(lab_id, 0.0), cell.max_score)
    titles = {lab.id: lab.title_in(language)
              for lab in sorted(labs.values(), key=lambda info: info.sort_key)}
    return summary_csv(summary_rows(views, credentials), titles, points, layout)


def grade_rows_csv(rows: Sequence[dict]) -> str:
    return _csv([list(ROW_FIELDS)] + [[row[f] for f in ROW_FIELDS] for row in rows])


def summary_csv(rows: Sequence[dict], lab_titles: dict[str, str],
                lab_points: dict[str, float], layout: str) -> str:
    """The per-learner summary in one of :data:`LMS_LAYOUTS`; ``lab_titles`` keeps column order."""
    labs = list(lab_titles)

    def points(row: dict, lab: str) -> object:
        mark = row["labs"].get(lab)
        return "" if mark is None or mark["pending_points"] > 0 else mark["score"]

    if layout == "moodle":
        header = ["Username", *lab_titles.values()]
        body = [[r["username"], *(points(r, lab) for lab in labs)] for r in rows]
    elif layout == "canvas":
        header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                  *(f"{lab_titles[lab]} ({lab})" for lab in labs)]
        body = [[r["username"], "", "", r["username"], r["cohort"],
                 *(points(r, lab) for lab in labs)] for r in rows]
    elif layout == "brightspace":
        header = ["Username",
                  *(f"{lab_titles[lab]} Points Grade <Numeric MaxPoints:{lab_points[lab]:g}>"
                    for lab in labs), "End-of-Line Indicator"]
        body = [[r["username"], *(points(r, lab) for lab in labs), "#"] for r in rows]
    else:
        header = ["Username", "Cohort", "Labs completed", "Labs attempted", "Labs",
                  "Average (%)", "Credentials", "Last activity",
                  *(f"{title} (%)" for title in lab_titles.values())]
        body = [[r["username"], r["cohort"], r["labs_completed"], r["labs_attempted"],
                 r["labs_total"], r["average_percent"], r["credentials"], r["last_activity"],
                 *("" if (m := r["labs"].get(lab)) is None else m["percent"] for lab in labs)]
                for r in rows]
    return _csv([header, *body])


def _csv(table: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    for row in table:
        writer.writerow([_safe(value) for value in row])
    return out.getvalue()


def _safe(value: object) -> object:
    if value.__class__ is str:
        return "'" + value if value[:1] in _FORMULA_STARTS else value
    if value is None:
        return ""
    if value is True or value is False:
        return "yes" if value else "no"
    return value
