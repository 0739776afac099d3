"""Fixtures for the credential service tests: a private labs tree, data root, library,
a standalone service subprocess, and the independent JavaScript verifier."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select

from hub.services.credentials.service import Credentials
from hub.services.records import Credential
from northlab.settings import REPO, CredentialSettings
from tests.support.ports import free_port

from .ob_schema import schema_errors

HERE = Path(__file__).parent
JS_VERIFIER = HERE / "verify_with_digitalbazaar.mjs"
TRACK_LABS = ["lab-one", "lab-two", "lab-three", "lab-four"]


@pytest.fixture
def labs_root(tmp_path: Path) -> Path:
    """A cybersecurity track with four labs counting toward one achievement (3 × 70 %)."""
    track = tmp_path / "labs" / "cybersecurity"
    for lab in [*TRACK_LABS, "lab-other"]:
        (track / lab).mkdir(parents=True)
        credential = "other-achievement" if lab == "lab-other" else "cybersecurity-foundations"
        (track / lab / "lab.toml").write_text(
            f'id = "{lab}"\ntrack = "cybersecurity"\ncredential = "{credential}"\n'
        )
    shutil.copy(REPO / "labs" / "cybersecurity" / "achievement.toml", track / "achievement.toml")
    return tmp_path / "labs"


@pytest.fixture
def settings(tmp_path: Path, labs_root: Path) -> CredentialSettings:
    return CredentialSettings(
        data_root=tmp_path / "data",
        public_url="http://127.0.0.1:9/services/credentials",
        labs_root=labs_root,
        node_root=REPO,
        issuer_name="northlab test",
        allow_loopback=True,
    )


def assert_issued_match_the_ob_schema(lib: Credentials) -> None:
    """Every credential ``lib`` issued meets the official OB 3.0 JSON Schema."""
    with lib.sessions() as session:
        documents = session.scalars(select(Credential.document)).all()
    for document in documents:
        assert schema_errors(document) == [], document.get("id")


@pytest.fixture
def library(settings: CredentialSettings) -> Iterator[Credentials]:
    lib = Credentials(settings)
    yield lib
    assert_issued_match_the_ob_schema(lib)
    lib.engine.dispose()


def make_record(learner: str, lab: str, score: float, submission: str = "s1") -> dict[str, Any]:
    return {
        "schema": "northlab.result/1",
        "learner": learner,
        "lab": lab,
        "track": "cybersecurity",
        "course": "test-2026",
        "submission_id": submission,
        "submitted_at": "2026-11-20T10:00:00Z",
        "graded_at": "2026-11-20T10:00:05Z",
        "score": score,
        "max_score": 10,
        "duration": 1.2,
        "isolation": "test",
        "late": False,
        "tests": [
            {
                "name": "test_main",
                "points": score,
                "max_points": 10,
                "passed": score == 10,
                "hidden": False,
                "feedback": {"en": "Check the main step.", "fr": "Vérifiez l'étape principale."},
            }
        ],
        "error": None,
    }


@pytest.fixture
def js_verify(tmp_path: Path) -> Callable[..., list[dict[str, Any]]]:
    """Run the Digital Bazaar verifier on credentials; returns one result per credential."""
    if shutil.which("node") is None or not (REPO / "node_modules" / "@digitalbazaar").is_dir():
        pytest.fail("node and the npm packages are required (run `make install`)")
    counter = iter(range(10_000))

    def run(
        credentials: list[dict], status_lists: list[dict] = (), did_documents: list[dict] = ()
    ) -> list[dict[str, Any]]:
        args = []
        for did_document in did_documents:
            path = tmp_path / f"did-{next(counter)}.json"
            path.write_text(json.dumps(did_document))
            args += ["--did-document", str(path)]
        for status_list in status_lists:
            path = tmp_path / f"status-{next(counter)}.json"
            path.write_text(json.dumps(status_list))
            args += ["--status-list", str(path)]
        for credential in credentials:
            path = tmp_path / f"credential-{next(counter)}.json"
            path.write_text(json.dumps(credential))
            args.append(str(path))
        proc = subprocess.run(
            ["node", str(JS_VERIFIER), *args], capture_output=True, text=True, timeout=300
        )
        lines = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
        assert len(lines) == len(credentials), proc.stderr
        return lines

    return run


class ServiceProcess:
    """The credential service started standalone as a subprocess."""

    def __init__(
        self,
        settings: CredentialSettings,
        port: int,
        token: str,
        prefix: str = "/services/credentials/",
        env: dict[str, str] | None = None,
    ) -> None:
        self.settings = settings
        self.port = port
        self.token = token
        self.prefix = prefix
        self.base = f"http://127.0.0.1:{port}{prefix}"
        self.env = env or {}
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "NORTHLAB_DATA": str(self.settings.data_root),
            "NORTHLAB_LABS_ROOT": str(self.settings.labs_root),
            "NORTHLAB_CREDENTIALS_PUBLIC_URL": self.base.rstrip("/"),
            "NORTHLAB_CREDENTIALS_REPORT_TOKEN": self.token,
            "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{self.port}",
            "NORTHLAB_CONFIG": os.devnull,
            "NORTHLAB_CREDENTIALS_ALLOW_LOOPBACK": "1",
            "JUPYTERHUB_SERVICE_PREFIX": self.prefix,
            **self.env,  # the caller's wins
        }
        env.pop("JUPYTERHUB_API_URL", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hub.services.credentials"], cwd=REPO, env=env
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(self.base + "verify", timeout=1)
                return
            except requests.ConnectionError:
                assert self.proc.poll() is None, "the credential service exited"
                time.sleep(0.1)
        raise TimeoutError("the credential service did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self.proc = None
        if (self.settings.folder / "records.sqlite").exists():
            lib = Credentials(self.settings)
            assert_issued_match_the_ob_schema(lib)
            lib.engine.dispose()


@pytest.fixture
def service(settings: CredentialSettings) -> Iterator[ServiceProcess]:
    port = free_port()
    served = replace(settings, public_url=f"http://127.0.0.1:{port}/services/credentials")
    process = ServiceProcess(served, port, token="grader-secret-token")
    process.start()
    yield process
    process.stop()


def gradebook_with_a_manual_grade(path: Path, lab: str, timestamp: str | None = None) -> Path:
    """nbgrader's gradebook at ``path`` where a person gave ana's manually graded answer
    ``explain`` (notebook ``lab-one`` of assignment ``lab``) 2 points."""
    from nbgrader.api import Gradebook  # slow to import: only the tests that need it

    with Gradebook(f"sqlite:///{path}") as gradebook:
        gradebook.add_assignment(lab)
        gradebook.add_notebook("lab-one", lab)
        gradebook.add_grade_cell("explain", "lab-one", lab, max_score=2, cell_type="markdown")
        gradebook.add_solution_cell("explain", "lab-one", lab)
        gradebook.add_student("ana")
        gradebook.add_submission(lab, "ana", **({"timestamp": timestamp} if timestamp else {}))
        grade = gradebook.find_grade("explain", "lab-one", lab, "ana")
        grade.manual_score, grade.needs_manual_grade = 2.0, False
        gradebook.db.commit()
    return path


def make_pending_record(learner: str, lab: str, *, auto: float = 8, manual: float = 2,
                        notebook: str | None = None, submission: str = "s1",
                        submitted_at: str = "2026-11-20T10:00:00Z") -> dict[str, Any]:
    """A record awaiting a person's grading (the schema's contract, built by hand): one
    autograded test (``auto`` points, all earned) and one manually graded answer
    ``explain`` worth ``manual`` points, pending."""
    place = {"notebook": notebook} if notebook else {}
    record = make_record(learner, lab, auto, submission)
    record.update(
        submitted_at=submitted_at,
        max_score=auto + manual,
        pending_points=manual,
        tests=[
            {**record["tests"][0], "max_points": auto, "passed": True, **place},
            {"name": "explain", "points": 0, "max_points": manual, "passed": False,
             "manual": True, "pending": True, **place,
             "feedback": {"en": "Awaiting your instructor.", "fr": "En attente du formateur."}},
        ],
    )
    if notebook:
        record["notebooks"] = [{"name": notebook, "score": auto, "max_score": auto + manual,
                                "pending_points": manual}]
    return record
