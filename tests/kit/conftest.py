"""A course with released cybersecurity labs, a kit built from it, and a "laptop": the kit
installed from its own wheels into a fresh venv as an unprivileged user in a network
namespace with no route out (``unshare --net``).

The wheels are downloaded once from PyPI into ``var/kit-wheels`` (gitignored) and reused.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hub.config.settings import REPO, Settings, load_settings
from hub.courses.folders import ensure_course, record_track
from hub.kit.build import BuiltKit, build_kit
from hub.people.accounts import cohort_unix_group, course_instructors_unix_group
from tests.support.release import write_release

TRACK = "cybersecurity"
#: Three labs at full marks earn the track's credential (3 x 70 %).
LABS = ("password-hashing", "auth-log-forensics", "cipher-breaking")
LEARNER = "kitana"
LAPTOP_UID = 65534  # nobody: a learner's laptop account, never root
WHEEL_CACHE = REPO / "var" / "kit-wheels"


@dataclass
class Laptop:
    """A kit copied to a learner's "laptop" (a folder owned by an unprivileged user)."""

    kit: Path
    home: Path

    def env(self) -> dict[str, str]:
        return {"PATH": "/usr/bin:/bin", "HOME": str(self.home), "LANG": "C.UTF-8",
                "NORTHLAB_KIT_HOME": str(self.home / "kits")}

    def run(self, *argv: str, timeout: float = 600, **kwargs) -> subprocess.CompletedProcess:
        """Run ``argv`` as the laptop's user with no network at all."""
        return subprocess.run(self.offline(*argv), env=self.env(), capture_output=True,
                              text=True, timeout=timeout, check=False, **kwargs)

    def offline(self, *argv: str) -> list[str]:
        """``argv`` in a new network namespace (only loopback, as on a laptop with no
        connection), as the laptop's user; every step execs, so the pid is ``argv``'s."""
        drop = (f'ip link set lo up && exec setpriv --reuid={LAPTOP_UID} '
                f'--regid={LAPTOP_UID} --clear-groups "$@"')
        return ["unshare", "--net", "sh", "-c", drop, "sh", *argv]

    @property
    def venv(self) -> Path:
        return next((self.home / "kits").glob("*/venv"))


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    data = tmp_path_factory.mktemp("kit-data")
    yield load_settings({"NORTHLAB_DATA": str(data), "NORTHLAB_CONFIG": os.devnull})
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="module")
def cohort(settings: Settings) -> Iterator[str]:
    """A course with the three labs in its exchange outbound, released with nbgrader's own
    preprocessors (what ``nbgrader generate_assignment`` + ``release_assignment`` write,
    without two nbgrader processes per lab)."""
    name = f"kit-{secrets.token_hex(3)}"
    try:
        ensure_course(settings, name)
        for lab in LABS:
            source = settings.labs_root / TRACK / lab / "source"
            outbound = settings.exchange_root / name / "outbound" / lab
            shutil.copytree(source, outbound, ignore=shutil.ignore_patterns("*.ipynb"))
            write_release(source / f"{lab}.ipynb", outbound / f"{lab}.ipynb")
            record_track(settings, name, lab, TRACK)
        yield name
    finally:
        for group in (cohort_unix_group(name), course_instructors_unix_group(name)):
            subprocess.run(["groupdel", group], capture_output=True, check=False)


@pytest.fixture(scope="module")
def kit(settings: Settings, cohort: str, tmp_path_factory: pytest.TempPathFactory) -> BuiltKit:
    return build_kit(settings, cohort=cohort, track=TRACK, learner=LEARNER,
                     out=tmp_path_factory.mktemp("kits") / "kit", wheel_cache=WHEEL_CACHE)


def copy_to_laptop(kit: Path) -> Laptop:
    """A fresh laptop (home and kit folder) owned by the unprivileged laptop user."""
    root = Path(tempfile.mkdtemp(prefix="northlab-kit-laptop-"))
    root.chmod(0o755)
    shutil.copytree(kit, root / "kit", symlinks=True)
    (root / "home").mkdir()
    subprocess.run(["chown", "-R", f"{LAPTOP_UID}:{LAPTOP_UID}", str(root)], check=True)
    return Laptop(root / "kit", root / "home")


@pytest.fixture(scope="module")
def laptop(kit: BuiltKit) -> Iterator[Laptop]:
    """The kit installed offline on a laptop (``./northlab-kit install``)."""
    machine = copy_to_laptop(kit.folder)
    try:
        done = machine.run(str(machine.kit / "northlab-kit"), "install")
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        yield machine
    finally:
        shutil.rmtree(machine.kit.parent, ignore_errors=True)
