"""The demo cohort: an instructor, a cohort lead, three learners and a learner of the
Digital Foundations track (first-time computer users), every lab released.

Seeding is idempotent: logins are kept in ``<data_root>/hub/demo-logins.json`` (0600) and
reused, labs already released are skipped, existing users and groups are left as they are.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from graders.lab import Lab, LabError, lab_dirs, load_lab
from hub.config.settings import Settings
from hub.courses.folders import release_labs
from hub.people.manage import HubClient, add_cohort, add_person

DEMO_COHORT = "demo"
DEMO_PEOPLE = (
    ("admin", "admin"),
    ("instructor", "instructor"),
    ("lead", "lead"),
    ("learner-1", "learner"),
    ("learner-2", "learner"),
    ("learner-3", "learner"),
    ("learner-foundations", "learner"),
)
#: Demo learners who follow one track: the logins printed say which to choose.
DEMO_TRACKS = {"learner-foundations": "foundations"}


@dataclass(frozen=True)
class Login:
    name: str
    role: str
    password: str
    track: str | None = None


def demo_logins(settings: Settings) -> list[Login]:
    """The demo people with their passwords (made once, then read back)."""
    path = settings.hub_dir / "demo-logins.json"
    stored = json.loads(path.read_text()) if path.exists() else {}
    for name, _ in DEMO_PEOPLE:
        stored.setdefault(name, f"{name.split('-')[0]}-{secrets.token_hex(4)}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(stored, handle, indent=1)
    return [Login(name, role, stored[name], DEMO_TRACKS.get(name)) for name, role in DEMO_PEOPLE]


def demo_labs(labs_root: Path) -> list[Lab]:
    """Every valid lab, by track and order: the demo course offers them all."""
    labs = []
    for path in lab_dirs(labs_root):
        try:
            labs.append(load_lab(path))
        except LabError as exc:
            print(f"northlab: skipping lab {path.name}: {exc}", file=sys.stderr)
    return sorted(labs, key=lambda lab: (lab.track, lab.order))


def prepare(settings: Settings, labs: list[Lab]) -> list[str]:
    """Before the hub starts: cohort, course, exchange and released labs (ids returned)."""
    add_cohort(settings, DEMO_COHORT)
    print(f"Releasing {len(labs)} demo labs (labs released before are kept)...", flush=True)
    release_labs(settings, DEMO_COHORT, labs)
    return [lab.id for lab in labs]


def seed(settings: Settings, client: HubClient) -> list[Login]:
    """With the hub running: the demo people, their groups and passwords."""
    logins = demo_logins(settings)
    for login in tqdm(logins, desc="Creating demo people", unit="person"):
        if login.role == "admin":
            client.ensure_user(login.name, admin=True)
            add_person(settings, client, login.name, role="admin", cohort=None,
                       password=login.password)
        else:
            add_person(settings, client, login.name, role=login.role, cohort=DEMO_COHORT,
                       password=login.password)
    return logins
