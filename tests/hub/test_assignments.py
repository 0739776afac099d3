"""The learner's Assignments tab (hub.assignments) in a real Jupyter server with the
learner's configuration: nbgrader's answers, computed in a worker, never in the server.

List, fetch and submit through the real hub and exchange are in test_hub_e2e.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import nbformat
import pytest
import requests

from .learner_server import learner_server

TOKEN = "assignments-test-token"


@dataclass
class Server:
    url: str
    root: Path
    log: Path

    def get(self, path: str, **params: str) -> requests.Response:
        return requests.get(self.url + path, params=params, timeout=120,
                            headers={"Authorization": f"token {TOKEN}"})

    def post(self, path: str, body: dict) -> requests.Response:
        return requests.post(self.url + path, json=body, timeout=120,
                             headers={"Authorization": f"token {TOKEN}"})


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """``jupyter server`` as a learner's would run (config path and NORTHLAB_* variables),
    with Python's import log on, so the test can see what the server itself imported."""
    tmp = tmp_path_factory.mktemp("assignments")
    root, exchange = tmp / "home", tmp / "exchange"
    (root / "cybersecurity").mkdir(parents=True)
    exchange.mkdir()
    log = tmp / "server.log"
    with learner_server(root, "cybersecurity", exchange, root / "cybersecurity", TOKEN, log,
                        PYTHONPROFILEIMPORTTIME="1") as url:
        yield Server(url, root, log)


def graded_notebook(path: Path, solution: str) -> None:
    """A two-cell nbgrader notebook: a solution cell and a 1-point test cell."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell(solution, metadata={"nbgrader": {
            "grade": False, "solution": True, "locked": False, "grade_id": "answer",
            "schema_version": 3}}),
        nbformat.v4.new_code_cell("assert double(21) == 42", metadata={"nbgrader": {
            "grade": True, "solution": False, "locked": True, "grade_id": "test",
            "points": 1, "schema_version": 3}}),
    ]
    nbformat.write(nb, path)


def test_validate_runs_nbgraders_validator(server):
    graded_notebook(server.root / "cybersecurity" / "good.ipynb",
                    "def double(x):\n    return 2 * x")
    graded_notebook(server.root / "cybersecurity" / "bad.ipynb",
                    "def double(x):\n    return x")
    good = server.post("/assignments/validate", {"path": "cybersecurity/good.ipynb"})
    assert good.status_code == 200 and good.json() == {"success": True, "value": {}}
    bad = server.post("/assignments/validate", {"path": "cybersecurity/bad.ipynb"}).json()
    assert bad["success"] is True
    assert [cell["source"] for cell in bad["value"]["failed"]] == ["assert double(21) == 42"]


def test_paths_outside_the_home_are_refused(server):
    answer = server.post("/assignments/validate", {"path": "../../../etc/passwd"}).json()
    assert answer["success"] is False and "outside" in answer["value"]


def test_missing_arguments_are_a_400(server):
    assert server.get("/assignments").status_code == 400
    assert server.post("/assignments/fetch", {"course_id": "demo"}).status_code == 400
    assert server.post("/assignments/unknown", {}).status_code == 404


def test_courses_and_an_empty_list(server):
    assert server.get("/courses").json() == {"success": True, "value": []}
    assert server.get("/assignments", course_id="demo").json() == {"success": True,
                                                                   "value": []}


def test_version_check(server):
    installed = version("nbgrader")
    assert server.get("/nbgrader_version", version=installed).json() == {"success": True}
    other = server.get("/nbgrader_version", version="0.0.1").json()
    assert other["success"] is False
    assert installed in other["message"] and "does not match" in other["message"]  # no cookie: en


def test_requests_need_the_token(server):
    response = requests.get(server.url + "/assignments", params={"course_id": "demo"},
                            timeout=30, allow_redirects=False)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = requests.post(server.url + "/assignments/submit", timeout=30,
                             json={"course_id": "demo", "assignment_id": "lab"})
    assert response.status_code == 403


def test_the_server_never_imported_nbgrader(server):
    """After every request above, nbgrader was only ever imported by workers."""
    server.get("/courses")
    imported = {line.rsplit("|", 1)[1].strip() for line in server.log.read_text().splitlines()
                if line.startswith("import time:")}
    assert {"hub.assignments.handlers", "jupyterlab"} <= imported
    assert not [name for name in imported if name.split(".")[0] == "nbgrader"]
