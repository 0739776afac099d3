"""A lab graded on submit and nbgrader-style submissions in a course's exchange inbound."""

from __future__ import annotations

import os
import pwd
import secrets
from datetime import UTC, datetime
from pathlib import Path

import nbformat

from hub.services.feedback.spool import Spool
from tests.hub.smoke_lab import LAB_ID, write_lab

COURSE = "c1"
#: A learner whose files the kernel says are theirs: an account every Debian system has.
LEARNER = "nobody"
#: Learner code that never ends and forks until the sandbox says no.
FORK_BOMB = ("import os\nwhile True:\n    try:\n        os.fork()\n"
             "    except OSError:\n        pass\n")
INFINITE_LOOP = "while True:\n    pass\n"


def feedback_lab(labs_root: Path, table: str) -> Path:
    """The two-point smoke lab with extra lab.toml ``table`` text (e.g. ``[feedback]``)."""
    lab = write_lab(labs_root)
    with open(lab / "lab.toml", "a", encoding="utf-8") as handle:
        handle.write("\n" + table)
    return lab


def hand_in(exchange: Path, code: str, *, learner: str = LEARNER,
            owner: str = LEARNER, course: str = COURSE, released: bool = True) -> Path:
    """What ``nbgrader submit`` leaves in ``<exchange>/<course>/inbound/``: the notebook with
    ``code`` as the answer, then timestamp.txt and submission_secret.txt, owned by ``owner``
    (the lab ``released`` in that course as nbgrader does: its folder in ``outbound/``)."""
    source = exchange.parent / "labs" / "cybersecurity" / LAB_ID / "source" / f"{LAB_ID}.ipynb"
    notebook = nbformat.read(source, as_version=4)
    notebook.cells[1].source = code
    if released:
        (exchange / course / "outbound" / LAB_ID).mkdir(parents=True, exist_ok=True)
    folder = exchange / course / "inbound" / (
        f"{learner}+{LAB_ID}+{datetime.now(UTC):%Y-%m-%d %H:%M:%S.%f} UTC+{secrets.token_hex(4)}")
    folder.mkdir(parents=True)
    nbformat.write(notebook, folder / f"{LAB_ID}.ipynb")
    (folder / "timestamp.txt").write_text("2026-11-30 08:00:00.000000 UTC")
    (folder / "submission_secret.txt").write_text(secrets.token_hex(8))
    entry = pwd.getpwnam(owner)
    for path in (folder, *folder.iterdir()):
        os.chown(path, entry.pw_uid, entry.pw_gid)
    return folder


def settled(spool: Spool, count: int) -> list[dict] | None:
    """The learner's entries once ``count`` of them are done (graded or refused)."""
    entries = spool.entries(LEARNER)
    done = [e for e in entries if e["state"] in ("graded", "limit")]
    return entries if len(done) >= count else None
