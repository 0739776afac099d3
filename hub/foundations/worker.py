"""One Foundations request, run by nbgrader's own code in a child of the learner's server.

    python -m hub.foundations.worker '{"action": "activities"}'

Fetch and hand in are the Assignments tab's own requests (:func:`hub.assignments.worker.handle`:
the same nbgrader exchange, configuration and folders). ``activities`` lists every
released activity of the learner's courses with its state, week and title; ``check`` runs
nbgrader's validator on the learner's notebook (the visible tests, in the track's kernel,
as the learner, exactly like the Assignments tab's Validate) and reports each test cell's
points and the lab's own feedback instead of a traceback. The JSON answer is the one line
written to stdout; anything nbgrader prints goes to stderr.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from hub.userserver import skip_iri_parser

skip_iri_parser()  # before nbgrader imports jsonschema: a second less per request

from nbformat import read as read_notebook  # noqa: E402
from nbgrader import utils  # noqa: E402
from nbgrader.validator import Validator  # noqa: E402

from hub.assignments.worker import Validation, handle  # noqa: E402
from hub.foundations.answers import activity_meta  # noqa: E402


def activities(root_dir: str) -> dict[str, Any]:
    """Every released activity of every course the learner is in, one entry each."""
    listed = handle({"action": "list", "course_id": ""}, root_dir)  # "": every course
    if not listed["success"]:
        return listed
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for item in listed["value"]:
        key = (item["course_id"], item["assignment_id"])
        entry = found.setdefault(key, {"course": key[0], "id": key[1], "fetched": False,
                                       "handed_in": 0, "feedback": False, "notebook": ""})
        if item["status"] == "submitted":
            submissions = item.get("submissions") or [{}]
            entry["handed_in"] += len(submissions)
            entry["feedback"] |= any(s.get("has_exchange_feedback") or s.get(
                "has_local_feedback") for s in submissions)
            continue
        entry["fetched"] = item["status"] == "fetched"
        notebooks = item.get("notebooks") or []
        if notebooks:
            entry["notebook"] = notebooks[0]["path"] if entry["fetched"] else ""
            entry["meta"] = activity_meta(Path(root_dir, notebooks[0]["path"]))
    return {"success": True, "value": list(found.values())}


class FormativeCheck(Validator):
    """nbgrader's validator, answering per test cell instead of printing."""

    def check(self, path: str) -> dict[str, Any]:
        notebook_dir, name = os.path.split(path)
        with utils.chdir(notebook_dir):
            notebook = read_notebook(name, as_version=4)
            if self._get_type_changed_cells(notebook):
                return {"success": False, "value": "changed"}
            notebook = self._preprocess(notebook)
        tests = []
        for cell in notebook.cells:
            if not utils.is_grade(cell):
                continue
            score, max_score = utils.determine_grade(cell, self.log)
            feedback = cell.metadata.get("northlab", {}).get("feedback", {})
            tests.append({
                "id": cell.metadata.nbgrader.get("grade_id", ""),
                "points": score, "max_points": max_score, "manual": score is None,
                "passed": score is not None and score >= max_score and not (
                    max_score == 0 and utils.has_failed(cell)),
                "feedback": feedback if isinstance(feedback, dict) else {},
            })
        changed = bool(self._get_changed_cells(notebook))
        return {"success": True, "value": {"tests": tests, "changed": changed}}


def check(root_dir: str, path: str) -> dict[str, Any]:
    """Run the visible tests of the learner's notebook ``path`` (relative to the root)."""
    root = Path(root_dir).resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or target.suffix != ".ipynb":
        return {"success": False, "value": "outside"}
    checker = FormativeCheck(config=Validation(root_dir).load_config())
    return checker.check(str(target))


def main(argv: list[str]) -> int:
    answer = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # nbgrader's prints go to stderr
    request, root_dir = json.loads(argv[1]), os.getcwd()
    if request["action"] == "activities":
        result = activities(root_dir)
    elif request["action"] == "check":
        result = check(root_dir, request["path"])
    else:
        result = handle(request, root_dir)
    answer.write(json.dumps(result) + "\n")
    answer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
