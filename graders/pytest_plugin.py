"""The pytest plugin for code-lab graders: the ``learner`` fixture and two markers.

    @pytest.mark.points(2)
    @pytest.mark.feedback(en="...", fr="...")
    def test_moves_right(learner):
        game = learner.module("game")   # remote proxy to the learner's game.py (sandboxed)

Outcomes are collected through pytest hooks (``pytest_runtest_logreport``), never by
parsing pytest's output.
"""

from __future__ import annotations

from typing import Any

import pytest

from graders.judge.faults import is_grader_fault
from graders.remote.proxy import Connection, Remote, plain_data


class Learner:
    """What a grader test sees of the learner's submission."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def module(self, name: str) -> Remote:
        """Import the learner's module ``name`` in the sandbox and return a proxy to it."""
        return self._conn.request("import", module=name)

    @staticmethod
    def data(value: Any) -> Any:
        """``value`` if it is plain data all the way down; a learner object inside it fails
        the test (its ``repr``/``str`` would be the learner's to write). Use it on every
        reply a test reads as a whole (``repr(reply)``, ``str``, an f-string, ``json``)."""
        return plain_data(value)


class NorthlabPlugin:
    """Registered by the judge with ``pytest.main(..., plugins=[NorthlabPlugin(conn)])``."""

    def __init__(self, conn: Connection | None) -> None:
        self.conn = conn
        self.tests: dict[str, dict[str, Any]] = {}
        #: why the judge itself failed (a grader module it could not collect or import)
        self.grader_fault: str | None = None

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "points(n): points this test is worth")
        config.addinivalue_line("markers", "feedback(en, fr): hint shown when the test fails")

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            points = item.get_closest_marker("points")
            feedback = item.get_closest_marker("feedback")
            self.tests[item.nodeid] = {
                "id": item.nodeid,
                "points": points.args[0] if points and points.args else None,
                "feedback": dict(feedback.kwargs) if feedback else {},
                "passed": None,
                "error": None,
                "stopped": False,
            }

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        test = self.tests.get(report.nodeid)
        if test is None:
            return
        if report.failed or report.skipped:
            test["passed"] = False
            if test["error"] is None:
                test["error"] = report.when if report.skipped else _error_name(report)
        elif report.when == "call" and test["passed"] is None:
            test["passed"] = True
        if self.conn is not None and self.conn.gone:
            test["stopped"] = True

    def pytest_exception_interact(self, node: pytest.Item | pytest.Collector,
                                  call: pytest.CallInfo[Any], report: Any) -> None:
        exc = call.excinfo.value if call.excinfo is not None else None
        if isinstance(report, pytest.CollectReport):
            fault: str | None = f"{node.nodeid} could not be collected: {_error_name(report)}"
        else:
            fault = f"{node.nodeid}: {exc!r}" if exc and is_grader_fault(exc) else None
        self.grader_fault = self.grader_fault or fault

    @pytest.fixture
    def learner(self) -> Learner:
        if self.conn is None:
            raise RuntimeError("the learner fixture only works inside the northlab judge")
        return Learner(self.conn)


def _error_name(report: pytest.TestReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(crash, "message", "") or ""
    return message.split(":")[0][:80] or "failed"


def pytest_configure(config: pytest.Config) -> None:
    """Loaded with ``-p graders.pytest_plugin`` (e.g. in an instructor's own checks)."""
    config.addinivalue_line("markers", "points(n): points this test is worth")
    config.addinivalue_line("markers", "feedback(en, fr): hint shown when the test fails")
