"""The data root's folders, nbgrader course roots and the exchange, with their modes.

One nbgrader course per cohort (course id == cohort id). Everything here runs as root
and is idempotent: calling it again fixes modes and never deletes work.

A course root is ``root:ni-<course>`` 2770: only that course's instructors enter it (the
Unix group mirrors the hub group ``instructors-<course>``; see :mod:`hub.people.accounts`). Roots
and exchange folders made by older versions (group ``northlab-instructors``) move to it at
every :func:`ensure_layout` (hub start); the files inside keep their group, which the closed
root makes harmless.
"""

from __future__ import annotations

import contextlib
import grp
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from graders.lab import Lab
from hub.config.settings import Settings
from hub.courses.local_exchange import FACTORY
from hub.people.accounts import (
    INSTRUCTORS_GROUP,
    cohort_unix_group,
    course_instructors_unix_group,
    ensure_group,
)
from hub.services.exchange.tracks import TRACKS_FILE, lab_tracks
from hub.tracks import TRACKS, kernelspec

PRIVATE_DIRS = ("hub", "results", "credentials", "gradebook")
COURSE_CONFIG = "nbgrader_config.py"
GRADEBOOK_DB = "gradebook.db"
#: The outbox's folders (graders/outbox.py): instructors queue into pending/ (sticky);
#: sent/ and rejected/ are the deliverer's (root) alone, since root's manual sync re-reads
#: sent/ and re-queues what it finds there.
OUTBOX_MODES = {"pending": 0o3770, "sent": 0o2750, "rejected": 0o2750}


def _own(path: Path, mode: int, group: str | None = None) -> None:
    gid = grp.getgrnam(group).gr_gid if group else 0
    os.chown(path, 0, gid)
    os.chmod(path, mode)


def ensure_layout(settings: Settings) -> None:
    """Create the data root's folders with their modes (docs/data.md)."""
    ensure_group(INSTRUCTORS_GROUP)
    root = settings.data_root
    root.mkdir(parents=True, exist_ok=True)
    _own(root, 0o711)
    for name in PRIVATE_DIRS:
        (root / name).mkdir(exist_ok=True)
        _own(root / name, 0o700)
    (root / "outbox").mkdir(exist_ok=True)  # instructors' autograde queues results here
    _own(root / "outbox", 0o2770, INSTRUCTORS_GROUP)
    for name, mode in OUTBOX_MODES.items():  # also takes back folders an instructor made
        (root / "outbox" / name).mkdir(exist_ok=True)
        _own(root / "outbox" / name, mode, INSTRUCTORS_GROUP)
    settings.home_root.mkdir(exist_ok=True)
    _own(settings.home_root, 0o711)
    settings.courses_root.mkdir(exist_ok=True)
    _own(settings.courses_root, 0o2750, INSTRUCTORS_GROUP)
    settings.exchange_root.mkdir(exist_ok=True)
    _own(settings.exchange_root, 0o755)
    for course in courses(settings):
        _ensure_access(settings, course)


def _ensure_access(settings: Settings, course: str) -> None:
    """``course``'s Unix groups, its current config (older versions' configs are brought
    up to date at hub start), and who owns its root, its config, gradebook and exchange."""
    ensure_group(cohort_unix_group(course))
    group = course_instructors_unix_group(course)
    ensure_group(group)
    root = settings.courses_root / course
    config = root / COURSE_CONFIG
    text = course_config(settings, course)
    if not config.exists() or config.read_text() != text:
        config.write_text(text)
    _own(root, 0o2770, group)
    _own(root / COURSE_CONFIG, 0o660, group)
    share_gradebook(root)
    _own(root / GRADEBOOK_DB, 0o660, group)
    ensure_exchange(settings, course)


def share_gradebook(root: str | Path) -> None:
    """Make the course's ``gradebook.db`` writable by the course's instructors.

    SQLite creates a database file 0644 minus the umask, so whoever ran nbgrader first
    (root for the demo release, or one instructor) would own the only writable copy. The
    file is created here first, empty and 0660 (an empty file is an empty SQLite database;
    the course root's setgid bit gives it the course's group); run by every nbgrader
    process through the course config, and by root at every hub start.
    """
    path = Path(root) / GRADEBOOK_DB
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o660)
    except FileExistsError:
        if path.stat().st_uid == os.geteuid():
            path.chmod(0o660)
        return
    os.fchmod(fd, 0o660)  # the umask must not take the group's write bit
    os.close(fd)


def protect_lab_sources(labs_root: Path) -> None:
    """Close the repository's labs/ (solutions, hidden tests) to all but instructors."""
    if labs_root.is_dir():
        _own(labs_root, 0o750, INSTRUCTORS_GROUP)


#: Kernel name given to nbgrader when the sandbox cannot be set up: no such kernel exists.
REFUSING_KERNEL = "northlab-sandbox-unavailable"


def course_config(settings: Settings, course: str) -> str:
    """Text of a course's ``nbgrader_config.py``."""
    lines = [
        "# Written by northlab (hub/courses/folders.py): rewritten at every hub start, edits "
        "are lost.",
        "c = get_config()  # noqa: F821",
        f"c.CourseDirectory.course_id = {course!r}",
        f"c.CourseDirectory.root = {str(settings.courses_root / course)!r}",
        "c.CourseDirectory.groupshared = True",
        f"c.Exchange.root = {str(settings.exchange_root)!r}",
    ]
    lines += [
        f"c.ExchangeFactory.{trait} = {cls.__module__ + '.' + cls.__qualname__!r}"
        for trait, cls in FACTORY.items()
    ]
    lines += sandbox_bridge(settings.labs_root, settings.data_root / "outbox", course)
    lines += [
        "# Every instructor of the course may write the gradebook, whoever made it first",
        "# (never raising: nbgrader would drop this whole file, the sandbox bridge too).",
        "try:",
        "    from hub.courses.folders import share_gradebook",
        "    share_gradebook(c.CourseDirectory.root)",
        "except Exception as exc:",
        "    import sys",
        "    print(f'northlab: gradebook.db not shared with the course: {exc}', file=sys.stderr)",
    ]
    return "\n".join(lines) + "\n"


def track_kernelspecs() -> dict[str, dict[str, str]]:
    """Track id -> the notebook metadata naming the track's kernel (hub/tracks.py)."""
    specs = {track.id: kernelspec(track) for track in TRACKS.values()}
    return {
        track: {"name": TRACKS[track].kernel, "display_name": spec["display_name"],
                "language": spec["language"]}
        for track, spec in specs.items()
    }


def sandbox_bridge(labs_dir: Path, outbox: Path, course: str) -> list[str]:
    """Config lines that autograde through the northlab sandbox, failing closed.

    nbgrader ignores a config file that raises and would then run learner code with its
    own unsandboxed Execute; so a failure here instead names a kernel that does not exist.
    """
    return [
        "# Autograde through the northlab sandbox (never nbgrader's plain Execute).",
        "try:",
        "    import graders.nbgrader_bridge",
        "    graders.nbgrader_bridge.configure(",
        f"        c, labs_dir={str(labs_dir)!r},",
        f"        outbox={str(outbox)!r}, course={course!r},",
        f"        kernelspecs={track_kernelspecs()!r},",
        "    )",
        "except Exception as exc:  # fail closed: no sandbox, no learner code runs",
        f"    c.Execute.kernel_name = {REFUSING_KERNEL!r}",
        "    import sys",
        "    print(f'northlab: autograde refused, the sandbox is unavailable: {exc}',",
        "          file=sys.stderr)",
    ]


def ensure_course(settings: Settings, course: str) -> Path:
    """Create the course root and its exchange folders for cohort ``course``."""
    ensure_layout(settings)
    root = settings.courses_root / course
    root.mkdir(exist_ok=True)
    _ensure_access(settings, course)
    return root


def ensure_exchange(settings: Settings, course: str) -> None:
    """Create ``exchange/<course>/`` gated to the cohort (see :mod:`hub.courses.local_exchange`)."""
    course_dir = settings.exchange_root / course
    course_dir.mkdir(exist_ok=True)
    _own(course_dir, 0o750, cohort_unix_group(course))
    # inbound is sticky: a learner may add and remove their own submissions, never rename
    # or delete another's (nbgrader only adds there, collect only reads)
    for name, mode in (("outbound", 0o2775), ("inbound", 0o3773), ("feedback", 0o2771)):
        (course_dir / name).mkdir(exist_ok=True)
        _own(course_dir / name, mode, course_instructors_unix_group(course))


def courses(settings: Settings) -> list[str]:
    """Course ids that have a course root."""
    if not settings.courses_root.is_dir():
        return []
    return sorted(p.name for p in settings.courses_root.iterdir() if (p / COURSE_CONFIG).exists())


def nbgrader(course_root: Path, *args: str) -> subprocess.CompletedProcess:
    """Run ``nbgrader <args>`` in a course root as an instructor would (files group-shared)."""
    return _in_course(course_root, str(Path(sys.executable).parent / "nbgrader"), *args)


def _in_course(course_root: Path, *command: str) -> subprocess.CompletedProcess:
    """Run ``command`` in a course root with umask 007 and the venv on PATH (nbgrader
    calls ``alembic``)."""
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ.get('PATH', '')}")
    return subprocess.run(
        command, cwd=course_root, env=env, capture_output=True, text=True, check=False,
        preexec_fn=lambda: os.umask(0o007),
    )


def enroll(courses_root: Path, course: str, learner: str) -> None:
    """Put ``learner`` into the course's gradebook with a name, the moment they join (the
    students ``nbgrader collect`` adds have none: formgrader shows "None, None"). Login
    names are all the hub knows; nothing is done for a learner already there."""
    root = courses_root / course
    if not (root / COURSE_CONFIG).exists() or _enrolled(root / GRADEBOOK_DB, learner):
        return
    result = nbgrader(root, "db", "student", "add", learner, f"--last-name={learner}",
                      "--first-name=")
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:]
        raise RuntimeError(f"nbgrader could not add {learner} to course {course}: {tail}")


def _enrolled(gradebook: Path, learner: str) -> bool:
    """True if ``learner`` is in the gradebook with a name (read-only, no nbgrader start)."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{gradebook}?mode=ro", uri=True)) as db:
            row = db.execute("SELECT last_name FROM student WHERE id = ?", (learner,)).fetchone()
    except sqlite3.Error:
        return False
    return row is not None and row[0] is not None


def record_track(settings: Settings, course: str, lab_id: str, track: str) -> None:
    """Note a released lab's track in ``exchange/<course>/tracks.json``
    (:mod:`hub.services.exchange.tracks`)."""
    path = settings.exchange_root / course / TRACKS_FILE
    tracks = lab_tracks(str(path.parent))
    if tracks.get(lab_id) != track:
        tracks[lab_id] = track
        path.write_text(json.dumps(tracks, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        _own(path, 0o644)


def release_lab(settings: Settings, course: str, lab_id: str, source: Path, track: str) -> bool:
    """:func:`release_labs` for one lab given by id, nbgrader source folder and track;
    False when it was already released."""
    return bool(_release(settings, course, [(lab_id, Path(source), track)]))


def release_labs(settings: Settings, course: str, labs: list[Lab]) -> list[str]:
    """Copy labs' nbgrader sources into the course, generate and release them in one
    nbgrader process (:mod:`hub.courses.release`). Labs already released are skipped; returns
    the ids released now."""
    return _release(settings, course, [(lab.id, lab.source_dir, lab.track) for lab in labs])


def _release(settings: Settings, course: str, labs: list[tuple[str, Path, str]]) -> list[str]:
    root = ensure_course(settings, course)
    pending = []
    for lab_id, source, track in labs:
        record_track(settings, course, lab_id, track)
        if (settings.exchange_root / course / "outbound" / lab_id).is_dir():
            continue
        target = root / "source" / lab_id
        if not target.exists():
            shutil.copytree(source, target)
        pending.append(lab_id)
    if not pending:
        return []
    source = str(root / "source")
    subprocess.run(["chown", "-R", f"root:{course_instructors_unix_group(course)}", source],
                   check=True)
    subprocess.run(["chmod", "-R", "g+rwX,o-rwx", source], check=True)
    result = _in_course(root, sys.executable, "-m", "hub.courses.release", *pending)
    if result.returncode != 0:
        raise RuntimeError((result.stderr or result.stdout).strip().splitlines()[-1])
    return pending
