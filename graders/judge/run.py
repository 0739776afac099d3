"""Entry point of a judge child (inside the judge sandbox): grade one submission."""

from __future__ import annotations

import os
import resource
import socket
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from graders.judge.faults import GraderFault
from graders.judge.introspect import install as install_introspection
from graders.judge.lab_names import LabCode
from graders.judge.learner_files import ENVIRONMENT, materialise
from graders.judge.notebook import run_plan
from graders.judge.strict import install as install_strict_comparisons
from graders.notebooks import read_source
from graders.pytest_plugin import NorthlabPlugin
from graders.remote.codec import recv_frame, send_frame
from graders.remote.proxy import Connection


def run_pytest(conn: Connection, grader: Path) -> list[dict[str, Any]]:
    plugin = NorthlabPlugin(conn)
    os.chdir(grader)
    sys.dont_write_bytecode = True
    pytest.main(
        ["-q", "-p", "no:cacheprovider", "-p", "no:stepwise", "--rootdir", str(grader),
         "-c", os.devnull, "-o", "python_files=test_*.py", str(grader)],
        plugins=[plugin],
    )
    if plugin.grader_fault is not None:
        raise GraderFault(plugin.grader_fault)
    return list(plugin.tests.values())


def lab_code(lab: Path, notebook: str | None = None) -> LabCode:
    """What the lab's own source notebook ``notebook`` (the parent names it; default: the
    one named like the lab) binds, read from the judge's copy of the lab."""
    if notebook is None:
        notebook = tomllib.loads((lab / "lab.toml").read_text(encoding="utf-8"))["id"]
    return read_source(lab / "source" / f"{notebook}.ipynb").code


def enter_notebook_folder(lab: Path, notebook: str | None) -> None:
    """Test cells run as nbgrader runs them: in the notebook's folder (the judge's read-only
    copy of the lab's files: ``open("data.txt")``, ``from tests import ...`` find the lab's
    own), with ``NBGRADER_EXECUTION=autograde``."""
    folder = (lab / "source" / f"{notebook or 'x'}.ipynb").parent
    os.chdir(folder)
    sys.path.insert(0, str(folder))
    os.environ["NBGRADER_EXECUTION"] = "autograde"


install_strict_comparisons()  # in the judge zygote, before any fork
install_introspection()

JUDGE_MEMORY = 2048 * 1024 * 1024  #: address space the judge may add (decoding learner data)


def judge_main(channel: socket.socket, control: socket.socket, settings: dict[str, Any]) -> int:
    setup, buffers = recv_frame(control)
    vm = int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (vm + JUDGE_MEMORY, vm + JUDGE_MEMORY))
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        os.dup2(devnull, fd)
    lab = Path(settings["lab"])
    os.environ[ENVIRONMENT] = str(materialise(
        Path(settings["scratch"]) / "learner-files", setup.get("files"), buffers,
        lab / "source" if setup["kind"] == "notebook" else None))
    del buffers
    conn = Connection(channel)
    fault = None
    outputs: list[list[Any]] = []  #: learner cells' outputs, when the plan keeps them
    try:
        if setup["kind"] == "notebook":
            code = lab_code(lab, setup.get("notebook"))
            enter_notebook_folder(lab, setup.get("notebook"))
            tests = run_plan(conn, setup["plan"], code, outputs)
        else:
            tests = run_pytest(conn, lab / "grader")
    except GraderFault as exc:  # the parent gives an error record, never a score
        tests, fault = [], str(exc)[:500]
    channel.close()
    send_frame(control, result_report(conn, tests, fault, outputs))
    return 0


def result_report(conn: Connection, tests: list[dict[str, Any]], fault: str | None,
                  outputs: list[list[Any]] | None = None) -> dict[str, Any]:
    """The judge's report to the parent (read up to ``graders.engine.RESULT_LIMIT``)."""
    return {"op": "result", "tests": tests, "grader_fault": fault,
            "worker_errors": sorted(conn.errors), "outputs": outputs or []}
