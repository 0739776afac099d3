"""One Assignments-tab request, run by nbgrader's own code in a child of the learner's server.

    python -m hub.assignments.worker '{"action": "fetch", "course_id": ..., "assignment_id": ...}'

Runs in the server's root folder with its environment, so nbgrader reads the same
configuration (``JUPYTER_CONFIG_PATH``) as its own server extensions would. Anything
nbgrader prints goes to stderr; the JSON answer is the one line written to stdout.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from hub.userserver import skip_iri_parser

skip_iri_parser()  # before nbgrader imports jsonschema: a second less per request

from nbgrader.server_extensions.assignment_list.handlers import AssignmentList  # noqa: E402
from nbgrader.server_extensions.validate_assignment.handlers import (  # noqa: E402
    ValidateAssignmentHandler,
)
from tornado.web import HTTPError  # noqa: E402
from traitlets.config import LoggingConfigurable  # noqa: E402


class Validation(LoggingConfigurable):
    """The part of nbgrader's validate handler that does the work, without a request."""

    load_config = ValidateAssignmentHandler.load_config
    validate_notebook = ValidateAssignmentHandler.validate_notebook

    def __init__(self, root_dir: str) -> None:
        super().__init__()
        self.root_dir = root_dir


def handle(request: dict[str, Any], root_dir: str) -> dict[str, Any]:
    """What nbgrader's handler answers to ``request`` (see hub.assignments.handlers)."""
    action = request["action"]
    if action == "validate":
        try:
            return Validation(root_dir).validate_notebook(request["path"])
        except HTTPError as exc:
            return {"success": False, "value": exc.log_message}
    manager = AssignmentList()
    manager.root_dir = root_dir
    if action == "courses":
        return manager.list_courses()
    course_id = request["course_id"]
    if action == "list":
        return manager.list_assignments(course_id=course_id)
    assignment_id = request["assignment_id"]
    if action == "fetch":
        manager.fetch_assignment(course_id, assignment_id)
    elif action == "fetch_feedback":
        manager.fetch_feedback(course_id, assignment_id)
    elif action == "submit":
        output = manager.submit_assignment(course_id, assignment_id)
        if not output["success"]:
            return output
    else:
        raise ValueError(f"unknown action {action!r}")
    return manager.list_assignments(course_id=course_id)


def main(argv: list[str]) -> int:
    answer = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # nbgrader's prints go to stderr
    result = handle(json.loads(argv[1]), os.getcwd())
    answer.write(json.dumps(result) + "\n")
    answer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
