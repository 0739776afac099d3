"""Take-home kits end to end: build, install and work with no network, hand in, grade,
gradebook and credential; then the hand-ins that must be refused or change nothing."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import nbformat
import pytest

from graders.outbox import Outbox
from graders.submissions import find_submissions
from hub.config.settings import REPO
from hub.kit.build import build_kit
from hub.kit.collect import SIDECAR, grade_hand_in, hand_in
from hub.kit.manifest import ManifestError
from hub.services.credentials.service import Credentials
from hub.services.gradebook import queries
from northlab.settings import CredentialSettings
from tests.support.ports import free_port

from .conftest import LABS, LEARNER, TRACK, WHEEL_CACHE, copy_to_laptop

pytestmark = pytest.mark.slow


def solve(settings, laptop, lab: str) -> None:
    """Write the instructor's answers into the learner's copy of ``lab`` (solution cells
    only: the released test cells stay as they were given)."""
    source = nbformat.read(settings.labs_root / TRACK / lab / "source" / f"{lab}.ipynb", 4)
    answers = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in source.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    path = laptop.kit / "work" / lab / f"{lab}.ipynb"
    notebook = nbformat.read(path, 4)
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in answers:
            cell.source = answers[grade_id]
    nbformat.write(notebook, path)
    os.chown(path, 65534, 65534)


def processes_using(folder: Path) -> list[int]:
    """Processes whose command line mentions ``folder``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(folder).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_start_becomes_jupyterlab_on_localhost_and_leaves_nothing(laptop):
    port = free_port()
    # JupyterLab's log goes to a file: a pipe nobody reads fills up and stalls the server
    log = laptop.home.parent / "start.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            laptop.offline(str(laptop.kit / "northlab-kit"), "start", "--no-browser",
                           f"--ServerApp.port={port}", "--IdentityProvider.token=kit-test"),
            env=laptop.env(), stdout=out, stderr=subprocess.STDOUT)
    try:
        probe = ("import urllib.request, json, time\n"
                 "for _ in range(600):\n"  # a cold offline venv starts slowly on a busy box
                 "    try:\n"
                 f"        r = urllib.request.urlopen('http://127.0.0.1:{port}/api/contents"
                 "?token=kit-test', timeout=5); print(r.status, r.read().decode()); break\n"
                 "    except OSError: time.sleep(0.5)\n")
        # nsenter joins the namespace the process is in *now*: wait until `unshare` has made
        # the laptop's own (joining earlier probes the host's loopback, where nothing listens)
        host = os.readlink("/proc/self/ns/net")
        for _ in range(600):
            if os.readlink(f"/proc/{process.pid}/ns/net") != host:
                break
            time.sleep(0.1)
        seen = subprocess.run(
            ["nsenter", "-t", str(process.pid), "-n", sys.executable, "-c", probe],
            capture_output=True, text=True, timeout=420, env={"PATH": "/usr/bin:/bin"})
        assert seen.stdout.startswith("200 "), (seen.stdout + seen.stderr
                                                + log.read_text(errors="replace")[-4000:])
        listing = {item["name"] for item in json.loads(seen.stdout[4:])["content"]}
        assert set(LABS) <= listing  # JupyterLab opens in the kit's work/ folder
        # the launcher exec'd: the process we started *is* JupyterLab (nothing in between)
        cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes()
        assert b"jupyter-lab" in cmdline and b"--ServerApp.ip=127.0.0.1" in cmdline
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
    for _ in range(60):
        if not processes_using(laptop.home):
            break
        time.sleep(0.5)
    assert processes_using(laptop.home) == []  # kernels and servers all gone


@pytest.fixture(scope="module")
def handed_in(settings, cohort, laptop):
    """The learner solved the labs offline; the kit came back and was collected."""
    for lab in LABS:
        solve(settings, laptop, lab)
        done = laptop.run(str(laptop.venv / "bin" / "jupyter"), "nbconvert", "--to",
                          "notebook", "--execute", "--inplace",
                          str(laptop.kit / "work" / lab / f"{lab}.ipynb"),
                          cwd=str(laptop.kit / "work" / lab))
        assert done.returncode == 0, done.stderr[-3000:]
    return hand_in(settings, laptop.kit)


def test_solved_offline_collected_graded_in_gradebook_and_credentialed(settings, cohort,
                                                                        handed_in):
    assert {lab.lab: lab.status for lab in handed_in.labs} == dict.fromkeys(LABS, "collected")
    for lab in LABS:
        landed = settings.courses_root / cohort / "submitted" / LEARNER / lab
        assert (landed / f"{lab}.ipynb").is_file() and (landed / "timestamp.txt").is_file()
        stamps = json.loads((landed / SIDECAR).read_text())
        assert stamps["counted"] == "hub" and stamps["received_at"]
    records = grade_hand_in(settings, handed_in)
    assert sorted(r["lab"] for r in records) == sorted(LABS)
    for record in records:
        assert record["error"] is None and record["score"] == record["max_score"], record
        assert record["course"] == cohort and record["learner"] == LEARNER
    credentials = Credentials(CredentialSettings(
        data_root=settings.data_root, labs_root=settings.labs_root, node_root=REPO,
        public_url="https://kits.example.org/services/credentials"))
    try:
        def send(record):
            credentials.record_result(record, reported_by="northlab-grader")
            return 201

        report = Outbox(settings.data_root / "outbox").deliver(send)
        assert len(report.sent) == len(LABS) and not report.rejected
        with credentials.engine.connect() as conn:
            attempts = queries.attempts_of(conn, LEARNER)
            earned = queries.credentials_of(conn, LEARNER)
    finally:
        credentials.engine.dispose()
    assert sorted(a.lab for a in attempts) == sorted(LABS)
    assert all(a.percent == 100 for a in attempts)
    assert [c.achievement for c in earned] == ["cybersecurity-foundations"]


def test_same_kit_twice_changes_nothing(settings, cohort, laptop, handed_in):
    landed = settings.courses_root / cohort / "submitted" / LEARNER / LABS[0]
    before = (landed / "timestamp.txt").read_text()
    again = hand_in(settings, laptop.kit)
    assert {lab.status for lab in again.labs} == {"duplicate"}
    assert again.landed == []
    assert (landed / "timestamp.txt").read_text() == before


def test_kit_of_another_learner_is_refused(settings, laptop, handed_in):
    with pytest.raises(ManifestError) as refused:
        hand_in(settings, laptop.kit, learner="someone-else")
    assert refused.value.message_id == "kit.error.wrong_learner"


def test_edited_manifest_is_refused_and_nothing_lands(settings, cohort, laptop, handed_in,
                                                      tmp_path):
    forged = tmp_path / "forged"
    shutil.copytree(laptop.kit, forged, ignore=shutil.ignore_patterns("wheels"))
    manifest = json.loads((forged / "manifest.json").read_text())
    manifest["learner"] = "mallory"  # hand kitana's work in as someone else's
    (forged / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ManifestError) as refused:
        hand_in(settings, forged)
    assert refused.value.message_id == "kit.error.bad_signature"
    assert not (settings.courses_root / cohort / "submitted" / "mallory").exists()
    northlab = str(Path(sys.executable).parent / "northlab")
    cli = subprocess.run([northlab, "kit", "collect", str(forged), "--lang", "fr"],
                         capture_output=True, text=True, timeout=120,
                         env=dict(os.environ, NORTHLAB_DATA=str(settings.data_root),
                                  NORTHLAB_CONFIG=os.devnull))
    assert cli.returncode == 2 and "Traceback" not in cli.stderr
    assert cli.stderr.strip().splitlines() == [
        "northlab: error: Le manifeste de cette trousse n'est pas signé par ce hub (il a été "
        "modifié, ou fait par un autre serveur) ; rien n'a été récupéré."]


def test_edited_released_test_refuses_that_lab_only(settings, cohort, kit, handed_in):
    other = copy_to_laptop(kit.folder)
    try:
        lab = LABS[0]
        path = other.kit / "work" / lab / f"{lab}.ipynb"
        notebook = nbformat.read(path, 4)
        test_cell = next(c for c in notebook.cells
                         if c.metadata.get("nbgrader", {}).get("grade")
                         and not c.metadata["nbgrader"].get("solution"))
        test_cell.source = "assert True"
        nbformat.write(notebook, path)
        data = other.kit / "work" / LABS[1] / "data"
        edited_data = next(p for p in sorted(data.rglob("*")) if p.is_file())
        edited_data.write_text("made up\n")
        (other.kit / "work" / LABS[2] / "scratch.py").write_text("print('mine')\n")
        result = hand_in(settings, other.kit)
    finally:
        shutil.rmtree(other.kit.parent, ignore_errors=True)
    outcome = {item.lab: item for item in result.labs}
    assert outcome[LABS[0]].status == "tampered"
    assert outcome[LABS[1]].status == "tampered"
    assert outcome[LABS[1]].values["file"] == edited_data.relative_to(
        other.kit / "work" / LABS[1]).as_posix()
    assert outcome[LABS[2]].status == "collected"  # the valid lab still lands
    replaced = settings.data_root / "kits" / "replaced" / cohort / LEARNER / LABS[2]
    assert len(list(replaced.iterdir())) == 1  # the earlier hand-in was kept, not deleted


def test_course_chooses_which_clock_counts_for_lateness(settings, cohort, tmp_path):
    kit = build_kit(settings, cohort=cohort, track=TRACK, out=tmp_path / "kit",
                    wheel_cache=WHEEL_CACHE)  # a cohort kit: no learner named
    with pytest.raises(ManifestError) as refused:
        hand_in(settings, kit.folder)
    assert refused.value.message_id == "kit.error.need_learner"
    lab = LABS[0]
    (kit.folder / "work" / lab / "notes.txt").write_text("worked at home\n")
    claimed = datetime(2026, 11, 1, tzinfo=UTC).timestamp()  # the laptop's clock says so
    for path in (kit.folder / "work" / lab).rglob("*"):
        os.utime(path, (claimed, claimed))
    received = datetime(2026, 12, 2, 12, tzinfo=UTC)
    due = datetime(2026, 12, 1, tzinfo=UTC)
    for learner, clock in (("pat", "kit"), ("quinn", "hub")):
        result = hand_in(settings, kit.folder, learner=learner, clock=clock,
                         now=lambda: received)
        assert result.landed == [lab]
        landed = settings.courses_root / cohort / "submitted" / learner / lab
        stamps = json.loads((landed / SIDECAR).read_text())
        assert (stamps["claimed_at"], stamps["received_at"]) == (
            "2026-11-01T00:00:00Z", "2026-12-02T12:00:00Z")
        [submission] = [s for s in find_submissions(
            settings.courses_root / cohort / "submitted", lab, due=due) if s.learner == learner]
        assert submission.late == (clock == "hub")
