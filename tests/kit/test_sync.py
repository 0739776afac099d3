"""``./northlab-kit sync``: an online laptop hands its kit in through a real hub with the
learner's own login; the hub's kit service lands it, grades it, and the grader service
delivers the result to the credential service."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from hub.courses.folders import record_track
from hub.kit.build import build_kit
from hub.kit.collect import SIDECAR
from hub.people.manage import add_person, set_password
from hub.services.records import Result, open_database
from northlab.settings import CredentialSettings
from tests.hub.conftest import Hub, running_hub
from tests.hub.smoke_lab import LAB_ID
from tests.support.release import write_release

from .conftest import LAPTOP_UID, WHEEL_CACHE, Laptop, copy_to_laptop
from .test_kit import solve

pytestmark = pytest.mark.slow
PASSWORD = "kit-sync-Pw-2026"


@pytest.fixture(scope="module")
def hub() -> Iterator[Hub]:
    with running_hub() as running:
        source = running.settings.labs_root / "cybersecurity" / LAB_ID / "source"
        outbound = running.settings.exchange_root / running.cohort / "outbound" / LAB_ID
        outbound.mkdir(parents=True)
        write_release(source / f"{LAB_ID}.ipynb", outbound / f"{LAB_ID}.ipynb")
        record_track(running.settings, running.cohort, LAB_ID, "cybersecurity")
        for role in ("learner", "other"):
            add_person(running.settings, running.client, running.name(role), role="learner",
                       cohort=running.cohort, password=None)
            set_password(running.settings, running.name(role), PASSWORD, replace=True)
        yield running


@pytest.fixture(scope="module")
def laptop(hub: Hub, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Laptop]:
    kit = build_kit(hub.settings, cohort=hub.cohort, track="cybersecurity",
                    learner=hub.name("learner"), out=tmp_path_factory.mktemp("kit") / "kit",
                    wheel_cache=WHEEL_CACHE)
    machine = copy_to_laptop(kit.folder)
    solve(hub.settings, machine, LAB_ID)
    yield machine
    shutil.rmtree(machine.kit.parent, ignore_errors=True)


def sync(hub: Hub, laptop: Laptop, password: str = PASSWORD, *user: str
         ) -> subprocess.CompletedProcess:
    """``./northlab-kit sync`` as the laptop's user, online, password typed on stdin."""
    return subprocess.run(
        ["setpriv", f"--reuid={LAPTOP_UID}", f"--regid={LAPTOP_UID}", "--clear-groups",
         str(laptop.kit / "northlab-kit"), "sync", "--hub", hub.url, *user],
        input=password + "\n", env=laptop.env(), capture_output=True, text=True, timeout=300)


def delivered(hub: Hub, learner: str, timeout: float = 240) -> list[Result]:
    engine = open_database(CredentialSettings(data_root=hub.settings.data_root).db_url,
                           migrate=False)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                rows = conn.execute(select(Result).where(Result.learner == learner)).all()
            if rows:
                return rows
            time.sleep(1)
    finally:
        engine.dispose()
    return []


def test_sync_lands_grades_and_delivers_then_is_idempotent(hub, laptop):
    learner = hub.name("learner")
    first = sync(hub, laptop)
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.startswith(f"{LAB_ID}: handed in"), first.stdout
    landed = hub.settings.courses_root / hub.cohort / "submitted" / learner / LAB_ID
    assert (landed / f"{LAB_ID}.ipynb").is_file()
    assert '"via": "sync"' in (landed / SIDECAR).read_text()
    rows = delivered(hub, learner)
    assert [(row.lab, row.score, row.max_score) for row in rows] == [(LAB_ID, 2, 2)]
    again = sync(hub, laptop)
    assert again.returncode == 0 and again.stdout.strip() == f"{LAB_ID}: already handed in, " \
        "nothing changed."


def test_wrong_password_and_other_login_hand_in_nothing(hub, laptop):
    wrong = sync(hub, laptop, "not-the-password")
    assert wrong.returncode == 1
    assert "did not accept the login" in wrong.stdout
    other = sync(hub, laptop, PASSWORD, "--user", hub.name("other"))
    assert other.returncode == 1
    assert f"issued to {hub.name('learner')}, not to {hub.name('other')}" in other.stdout
    assert not (hub.settings.courses_root / hub.cohort / "submitted" / hub.name("other")).exists()
