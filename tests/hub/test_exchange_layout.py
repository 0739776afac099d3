"""The prepared exchange: modes and ownership, and the per-track Assignments list."""

from __future__ import annotations

import grp
import os
import pwd
import secrets
import stat
import subprocess

import pytest
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from hub.config.settings import load_settings
from hub.courses.folders import ensure_course, ensure_layout, record_track
from hub.courses.local_exchange import NorthlabCollect, NorthlabList, configure_exchange
from hub.people.accounts import INSTRUCTORS_GROUP, cohort_unix_group, course_instructors_unix_group

COURSE = "tq" + secrets.token_hex(2)


@pytest.fixture
def settings(tmp_path):
    if os.geteuid() != 0:
        pytest.fail("needs root (course folders are chowned to Unix groups), as in CI")
    settings = load_settings({"NORTHLAB_DATA": str(tmp_path / "data")})
    yield settings
    for group in (cohort_unix_group(COURSE), course_instructors_unix_group(COURSE)):
        subprocess.run(["groupdel", group], check=False, capture_output=True)


def mode_and_group(path) -> tuple[str, str]:
    info = path.stat()
    return oct(stat.S_IMODE(info.st_mode)), grp.getgrgid(info.st_gid).gr_name


def test_exchange_folders_are_gated(settings):
    ensure_course(settings, COURSE)
    exchange = settings.exchange_root
    assert mode_and_group(exchange)[0] == "0o755" and exchange.stat().st_uid == 0
    assert mode_and_group(exchange / COURSE) == ("0o750", cohort_unix_group(COURSE))
    teachers = course_instructors_unix_group(COURSE)
    assert mode_and_group(exchange / COURSE / "outbound") == ("0o2775", teachers)
    assert mode_and_group(exchange / COURSE / "inbound") == ("0o3773", teachers)
    assert mode_and_group(settings.courses_root / COURSE) == ("0o2770", teachers)
    assert mode_and_group(settings.courses_root / COURSE / "nbgrader_config.py") == (
        "0o660", teachers
    )
    assert mode_and_group(settings.courses_root) == ("0o2750", INSTRUCTORS_GROUP)
    config = (settings.courses_root / COURSE / "nbgrader_config.py").read_text()
    assert "graders.nbgrader_bridge.configure(" in config
    assert mode_and_group(settings.data_root / "hub")[0] == "0o700"


def test_a_learner_cannot_rename_or_delete_anothers_submission(settings):
    ensure_course(settings, COURSE)
    inbound = settings.exchange_root / COURSE / "inbound"
    theirs = "nobody+lab-a+2026-11-30 08:00:00.000000 UTC+abc"
    (inbound / theirs).mkdir()
    os.chown(inbound / theirs, pwd.getpwnam("nobody").pw_uid, -1)
    daemon = pwd.getpwnam("daemon")
    folder = os.open(inbound, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for step in ("os.rename(NAME, 'mine', src_dir_fd=FD, dst_dir_fd=FD)",
                     "os.rmdir(NAME, dir_fd=FD)"):
            attempt = subprocess.run(
                ["/usr/bin/python3", "-I", "-c", f"import os\nNAME, FD = {theirs!r}, {folder}\n"
                 f"{step}"], user=daemon.pw_uid, group=daemon.pw_gid, extra_groups=[],
                pass_fds=(folder,), capture_output=True, text=True, timeout=60)
            assert "PermissionError" in attempt.stderr, (step, attempt.stderr)
    finally:
        os.close(folder)
    assert (inbound / theirs).is_dir() and not (inbound / "mine").exists()


def test_collect_never_follows_a_link_in_a_learners_submission(settings, tmp_path):
    """The learner owns their inbound folder: a link put in its place or inside it to what
    the instructor can read (the lab's solutions) is not collected."""
    root = ensure_course(settings, COURSE)
    solution = root / "source" / "lab-a" / "lab-a.ipynb"
    solution.parent.mkdir(parents=True)
    solution.write_text("the solution")
    inbound = settings.exchange_root / COURSE / "inbound"
    nobody = pwd.getpwnam("nobody").pw_uid
    honest = inbound / "nobody+lab-a+2026-11-30 08:00:00.000000 UTC+a"
    honest.mkdir()
    (honest / "lab-a.ipynb").write_text("my work")
    (honest / "answers.ipynb").symlink_to(solution)
    swapped = inbound / "nobody+lab-a+2026-11-30 09:00:00.000000 UTC+b"
    swapped.symlink_to(solution.parent)
    for path in (honest, honest / "lab-a.ipynb"):
        os.chown(path, nobody, -1)
    os.lchown(swapped, nobody, -1)
    c = Config()
    configure_exchange(c, str(settings.exchange_root))
    collector = NorthlabCollect(
        coursedir=CourseDirectory(config=c), authenticator=Authenticator(config=c), config=c
    )
    collector.do_copy(str(honest), str(tmp_path / "honest"))
    collector.do_copy(str(swapped), str(tmp_path / "swapped"))
    collected = sorted(p.name for p in (tmp_path / "honest").iterdir())
    assert collected == ["lab-a.ipynb", "timestamp.txt"]  # the collector's stamp
    assert not (tmp_path / "swapped").exists()


def test_learners_list_their_track(settings, tmp_path):
    ensure_course(settings, COURSE)
    for lab, track in (("lab-a", "gamedev"), ("lab-b", "robotics"), ("lab-c", None)):
        folder = settings.exchange_root / COURSE / "outbound" / lab
        folder.mkdir()
        (folder / f"{lab}.ipynb").write_text("{}")
        if track:
            record_track(settings, COURSE, lab, track)
    c = Config()
    configure_exchange(c, str(settings.exchange_root))
    c.Exchange.assignment_dir = str(tmp_path / "home")
    c.NorthlabList.track = "gamedev"
    lister = NorthlabList(
        coursedir=CourseDirectory(config=c), authenticator=Authenticator(config=c), config=c
    )
    lister.start()
    listed = sorted(a["assignment_id"] for a in lister.parse_assignments())
    assert listed == ["lab-a", "lab-c"]  # lab-c was released by hand: no track, shown to all


def test_course_roots_of_older_versions_close_to_other_instructors(settings):
    """A course root left group northlab-instructors moves to its course's group at the
    next ensure_layout (hub start), as do its exchange folders."""
    root = ensure_course(settings, COURSE)
    old = grp.getgrnam(INSTRUCTORS_GROUP).gr_gid
    for path in (root, root / "nbgrader_config.py", settings.exchange_root / COURSE / "inbound"):
        os.chown(path, 0, old)
    ensure_layout(settings)
    teachers = course_instructors_unix_group(COURSE)
    assert mode_and_group(root) == ("0o2770", teachers)
    assert mode_and_group(root / "nbgrader_config.py")[1] == teachers
    assert mode_and_group(settings.exchange_root / COURSE / "inbound")[1] == teachers


def test_hub_start_brings_older_courses_up_to_date(settings):
    """An older version's course config and its root-made 0640 gradebook (instructors could
    not autograde) are fixed at the next ensure_layout (hub start)."""
    root = ensure_course(settings, COURSE)
    (root / "nbgrader_config.py").write_text("c = get_config()  # an older version's\n")
    (root / "gradebook.db").chmod(0o640)
    ensure_layout(settings)
    assert "share_gradebook" in (root / "nbgrader_config.py").read_text()
    assert mode_and_group(root / "gradebook.db") == ("0o660", course_instructors_unix_group(COURSE))


def test_the_outbox_is_shared_for_queuing_only(settings):
    """Instructors' autograde queues into outbox/pending/; sent/ (which root's manual sync
    re-reads) and rejected/ are root's, also when an instructor's autograde made them."""
    outbox = settings.data_root / "outbox"
    (outbox / "sent").mkdir(parents=True)
    os.chown(outbox / "sent", 65534, -1)
    os.chmod(outbox / "sent", 0o3770)
    ensure_layout(settings)
    assert mode_and_group(outbox / "pending") == ("0o3770", INSTRUCTORS_GROUP)
    for name in ("sent", "rejected"):
        assert mode_and_group(outbox / name) == ("0o2750", INSTRUCTORS_GROUP)
        assert (outbox / name).stat().st_uid == 0
