"""Unix accounts for local mode: one system user per hub user, created on demand.

Every hub user runs their JupyterLab as a Unix user of the same name, whose home is
``<data_root>/home/<name>`` (mode 0700). Unix groups carry file access:

- ``northlab-users``: every account northlab created; an existing Unix user outside it
  (``root``, ``daemon`` ...) is never used for a learner server.
- ``northlab-instructors``: every instructor; lists the course roots, reads the labs.
- ``ni-<course>``: the instructors of one course; owns its course root and its exchange
  outbound, inbound and feedback folders (an instructor of another course cannot enter).
- ``nl-<cohort>``: a cohort's learners (and instructors); gates the cohort's exchange folder.

Only root can create accounts; the hub runs as root in local mode.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import subprocess
import threading
from pathlib import Path

USERS_GROUP = "northlab-users"
INSTRUCTORS_GROUP = "northlab-instructors"
COHORT_GROUP_PREFIX = "nl-"
#: Three letters, so that ``ni-`` plus the longest cohort id (29) fits Unix's 32.
COURSE_INSTRUCTORS_PREFIX = "ni-"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,28}$")
#: useradd/gpasswd lock /etc/passwd and /etc/group: one account change at a time.
_ACCOUNTS_LOCK = threading.Lock()


class AccountError(Exception):
    """An account cannot be created or used; the message is one sentence."""


def cohort_unix_group(cohort: str) -> str:
    """Unix group of a cohort id (``iqaluit-2026`` -> ``nl-iqaluit-2026``)."""
    return COHORT_GROUP_PREFIX + cohort


def course_instructors_unix_group(course: str) -> str:
    """Unix group of a course's instructors (``iqaluit-2026`` -> ``ni-iqaluit-2026``)."""
    return COURSE_INSTRUCTORS_PREFIX + course


def check_name(name: str) -> str:
    """Return ``name`` if it is usable as a Unix user or cohort id, else raise."""
    if not NAME_PATTERN.match(name):
        raise AccountError(
            f"{name!r} is not a valid name: use 1-29 lowercase letters, digits or hyphens, "
            "starting with a letter."
        )
    return name


def _run(*cmd: str) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise AccountError(f"{' '.join(cmd)} failed: {result.stderr.strip()}")


def ensure_group(name: str) -> int:
    """Create the Unix group if missing; return its gid."""
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        _run("groupadd", "--system", name)
        return grp.getgrnam(name).gr_gid


def is_northlab_user(name: str) -> bool:
    """True if the Unix user exists and was created by northlab."""
    try:
        pwd.getpwnam(name)
        return name in grp.getgrnam(USERS_GROUP).gr_mem
    except KeyError:
        return False


def ensure_user(name: str, home: Path, groups: set[str]) -> pwd.struct_passwd:
    """Create or update the Unix user ``name`` with home ``home`` and exactly the
    northlab-managed supplementary ``groups`` (plus ``northlab-users``).

    Refuses existing Unix users that northlab did not create (root, service users), and
    names of northlab's groups (a user's own Unix group would be that group).
    """
    check_name(name)
    if name.startswith((COHORT_GROUP_PREFIX, COURSE_INSTRUCTORS_PREFIX, "northlab-")):
        raise AccountError(
            f"{name!r} cannot have a server: names starting with {COHORT_GROUP_PREFIX}, "
            f"{COURSE_INSTRUCTORS_PREFIX} or northlab- are northlab's Unix groups."
        )
    with _ACCOUNTS_LOCK:
        return _ensure_user(name, home, groups)


def _ensure_user(name: str, home: Path, groups: set[str]) -> pwd.struct_passwd:
    ensure_group(USERS_GROUP)
    for group in groups:
        ensure_group(group)
    try:
        pwd.getpwnam(name)
    except KeyError:  # one useradd with every group: not one more command per group
        _run(
            "useradd", "--no-create-home", "--home-dir", str(home), "--shell", "/bin/bash",
            "--user-group", "--groups", ",".join(sorted({USERS_GROUP, *groups})), name,
        )
    if not is_northlab_user(name):
        raise AccountError(
            f"The Unix user {name!r} already exists and was not created by northlab; "
            "pick another name."
        )
    managed = {
        g.gr_name for g in grp.getgrall()
        if g.gr_name == INSTRUCTORS_GROUP
        or g.gr_name.startswith((COHORT_GROUP_PREFIX, COURSE_INSTRUCTORS_PREFIX))
    }
    current = {g.gr_name for g in grp.getgrall() if name in g.gr_mem} & managed
    for group in sorted(groups - current):
        _run("gpasswd", "--add", name, group)
    for group in sorted(current - groups):
        _run("gpasswd", "--delete", name, group)
    if pwd.getpwnam(name).pw_dir != str(home):
        _run("usermod", "--home", str(home), name)  # the data root moved
    entry = pwd.getpwnam(name)
    ensure_home(entry, home)
    return entry


def ensure_home(entry: pwd.struct_passwd, home: Path) -> None:
    """Make ``home`` exist, owned by the user, mode 0700 (no one else may enter)."""
    home.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(home.parent, 0o711)
    home.mkdir(exist_ok=True)
    os.chown(home, entry.pw_uid, entry.pw_gid)
    os.chmod(home, 0o700)


def private_ancestor(path: Path) -> Path | None:
    """The first folder on the way to ``path`` that other users cannot traverse, if any."""
    for folder in reversed(Path(os.path.realpath(path)).parents):
        if folder.exists() and not os.stat(folder).st_mode & 0o001:
            return folder
    return None


def remove_user(name: str) -> None:
    """Delete a northlab-created Unix user and its private group (home is kept)."""
    if is_northlab_user(name):
        _run("userdel", name)
