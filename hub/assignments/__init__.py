"""The learner's Assignments tab, served without nbgrader living in the idle server.

nbgrader's ``assignment_list`` and ``validate_assignment`` server extensions import all of
nbgrader (about 45 MiB of every learner's idle server, which a learner pays for whether or
not the tab is open). This extension answers the same URLs the ``@jupyter/nbgrader`` lab
extension calls, and runs each request in a short-lived ``python -m hub.assignments.worker``
process as the learner, which calls nbgrader's own code with the same configuration. A
request costs nbgrader's start-up (about a second); the idle server costs nothing.
Instructors keep nbgrader's own extensions (formgrader needs them anyway).
"""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "hub.assignments"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from hub.assignments.handlers import add_handlers

    add_handlers(serverapp)
