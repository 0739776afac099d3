"""The full nbgrader flow through the exchange service, with learners in separate homes.

Instructor ines releases, collects, autogrades and returns feedback with the nbgrader CLI;
learners ana and ben fetch and submit through their own single-user servers (the
Assignments tab's API); cal, in another course, sees none of it.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
import requests

from hub.services.exchange import archive
from hub.services.exchange.hubconfig import ACCESS_SCOPE
from tests.exchange.conftest import BIN, Hub, write_nbgrader_config

pytestmark = pytest.mark.slow

SOLUTION = "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
ANSWER = "def double(x):\n    return 2 * x\n"


def source_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("Write `double`. / Écrivez `double`."),
        nbformat.v4.new_code_cell(SOLUTION),
        nbformat.v4.new_code_cell("assert double(2) == 4\nassert double(-3) == -6"),
    ]
    meta = {"schema_version": 3, "locked": False}
    nb.cells[1].metadata["nbgrader"] = {
        **meta,
        "grade_id": "double",
        "solution": True,
        "grade": False,
    }
    nb.cells[2].metadata["nbgrader"] = {
        **meta,
        "grade_id": "test_double",
        "solution": False,
        "grade": True,
        "points": 2,
        "locked": True,
    }
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


class Person:
    """Runs nbgrader commands as one hub user, from their own folder."""

    def __init__(self, hub: Hub, name: str, folder: Path, extra_config: str = "") -> None:
        self.name, self.folder = name, folder
        write_nbgrader_config(folder, extra_config)
        self.token = hub.token(name, [ACCESS_SCOPE])
        self.env = {
            **os.environ,
            "HOME": str(folder),
            "PATH": f"{BIN}:{os.environ['PATH']}",
            "JUPYTERHUB_API_TOKEN": self.token,
            "NORTHLAB_EXCHANGE_URL": hub.exchange_url,
        }
        self.env.pop("JUPYTER_DATA_DIR", None)

    def nbgrader(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(BIN / "nbgrader"), *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if ok:
            assert result.returncode == 0, result.stdout + result.stderr
        return result


class Server:
    """A learner's real single-user server, driven through its Assignments API."""

    def __init__(self, hub: Hub, name: str) -> None:
        self.hub, self.name = hub, name
        self.token = hub.token(name, [f"access:servers!user={name}"])
        self.home = hub.root / "home" / name
        write_nbgrader_config(self.home)
        hub.api("POST", f"users/{name}/server").raise_for_status()
        deadline = time.monotonic() + 120
        while not hub.api("GET", f"users/{name}").json()["servers"].get("", {}).get("ready"):
            assert time.monotonic() < deadline, f"{name}'s server did not start"
            time.sleep(0.5)

    def call(self, method: str, path: str, **data: str) -> list[dict]:
        url = f"{self.hub.url}/user/{self.name}/{path}"
        headers = {"Authorization": f"token {self.token}"}
        if method == "GET":
            response = requests.get(url, params=data, headers=headers, timeout=120)
        else:
            response = requests.post(url, data=data, headers=headers, timeout=120)
        response.raise_for_status()
        body = response.json()
        assert body["success"], body
        return body["value"]

    def assignments(self, course: str) -> list[dict]:
        return self.call("GET", "assignments", course_id=course)

    def action(self, verb: str, course: str, assignment: str) -> list[dict]:
        return self.call("POST", f"assignments/{verb}", course_id=course, assignment_id=assignment)


def exchange_get(hub: Hub, token: str, path: str, **params: str) -> requests.Response:
    return requests.get(
        f"{hub.exchange_url}api/{path}",
        params=params,
        headers={"Authorization": f"token {token}"},
        timeout=60,
    )


def test_release_fetch_submit_collect_grade_feedback(hub: Hub) -> None:
    course_root = hub.root / "instructor" / "north"
    ines = Person(
        hub,
        "ines",
        course_root,
        f'c.CourseDirectory.course_id = "north"\nc.CourseDirectory.root = "{course_root}"\n',
    )
    nbformat.write(source_notebook(), _mkdirs(course_root / "source" / "lab1") / "lab1.ipynb")
    ines.nbgrader("generate_assignment", "lab1", "--force")
    ines.nbgrader("release_assignment", "lab1")
    again = ines.nbgrader("release_assignment", "lab1", ok=False)
    assert again.returncode != 0 and "--force" in again.stdout + again.stderr

    ana, ben = Server(hub, "ana"), Server(hub, "ben")
    [listed] = ana.assignments("north")
    assert (listed["assignment_id"], listed["status"]) == ("lab1", "released")

    # cal learns in course south: he neither sees nor fetches course north's lab.
    cal = Person(hub, "cal", hub.root / "cal")
    assert "lab1" not in cal.nbgrader("list").stdout + cal.nbgrader("list").stderr
    refused = cal.nbgrader("fetch_assignment", "lab1", "--course", "north", ok=False)
    assert refused.returncode != 0
    assert "not in course north" in refused.stdout + refused.stderr
    assert not (cal.folder / "lab1").exists()
    blank = (course_root / "release" / "lab1").resolve()
    body = archive.pack(blank)
    as_cal = {"Authorization": f"token {cal.token}"}
    api = f"{hub.exchange_url}api"
    sneaky = requests.post(f"{api}/submissions/north/lab1", data=body, headers=as_cal, timeout=30)
    assert sneaky.status_code == 403 and "not a learner" in sneaky.json()["message"]
    hijack = requests.put(f"{api}/assignments/south/lab1", data=body, headers=as_cal, timeout=30)
    assert hijack.status_code == 403
    unknown = requests.get(
        f"{api}/assignments", params={"course_id": "nowhere"}, headers=as_cal, timeout=30
    )
    assert unknown.status_code == 404

    # Learners fetch into their own homes and submit; ana answers, ben submits blank.
    for learner in (ana, ben):
        after = learner.action("fetch", "north", "lab1")
        assert any(a["status"] == "fetched" for a in after)
    notebook_path = ana.home / "lab1" / "lab1.ipynb"
    nb = nbformat.read(notebook_path, as_version=4)
    [cell] = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "double"]
    assert "raise NotImplementedError" in cell.source
    cell.source = ANSWER
    nbformat.write(nb, notebook_path)
    (ana.home / "lab1" / "timestamp.txt").write_text("2000-01-01 00:00:00.000000 UTC")
    before = time.time()
    ana.action("submit", "north", "lab1")
    ben.action("submit", "north", "lab1")
    submitted = [a for a in ana.assignments("north") if a["status"] == "submitted"]
    assert [a["student_id"] for a in submitted] == ["ana"]

    # Homes share nothing: ben never sees ana's answer, and the exchange refuses him.
    ben_files = "".join(p.read_text(errors="ignore") for p in ben.home.rglob("*.ipynb"))
    assert "return 2 * x" not in ben_files
    assert not set(ana.home.rglob("*")) & set(ben.home.rglob("*"))
    assert exchange_get(hub, ben.token, "submissions/north", student_id="ana").status_code == 403
    ben_exchange = Person(hub, "ben", hub.root / "ben-cli")
    assert (
        exchange_get(hub, ben_exchange.token, "submissions/north", student_id="ana").status_code
        == 403
    )
    own = exchange_get(hub, ben_exchange.token, "submissions/north").json()
    assert [s["student_id"] for s in own] == ["ben"]
    assert requests.get(f"{hub.exchange_url}api/courses", timeout=30).status_code == 403

    # The instructor collects: the service's timestamp wins over the learner's file.
    ines.nbgrader("collect", "lab1")
    for name in ("ana", "ben"):
        assert (course_root / "submitted" / name / "lab1" / "lab1.ipynb").exists()
    stamp = (course_root / "submitted" / "ana" / "lab1" / "timestamp.txt").read_text()
    assert not stamp.startswith("2000")
    from nbgrader.utils import parse_utc

    assert abs(parse_utc(stamp).timestamp() - before) < 120

    ines.nbgrader("autograde", "lab1")
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course_root / 'gradebook.db'}", "north") as gb:
        scores = {s: gb.find_submission("lab1", s).score for s in ("ana", "ben")}
    assert scores == {"ana": 2.0, "ben": 0.0}

    ines.nbgrader("generate_feedback", "lab1")
    ines.nbgrader("release_feedback", "lab1")
    [mine] = [a for a in ana.assignments("north") if a["status"] == "submitted"]
    assert mine["submissions"][-1]["has_exchange_feedback"]
    ana.action("fetch_feedback", "north", "lab1")
    feedback = list((ana.home / "lab1" / "feedback").rglob("lab1.html"))
    assert len(feedback) == 1 and "double" in feedback[0].read_text()
    assert not (ben.home / "lab1" / "feedback").exists() or not list(
        (ben.home / "lab1" / "feedback").rglob("*.html")
    )


def _mkdirs(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
