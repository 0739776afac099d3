"""Every instructor of a course can grade in it: files nbgrader makes (the gradebook first)
stay writable by the course's other instructors, whoever ran nbgrader first (root for the
demo release, or another instructor). Real nbgrader, real Unix users."""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from traitlets.config import Config

from graders.lab import load_lab
from graders.nbgrader_bridge import NorthlabExecute
from hub.config.settings import load_settings
from hub.courses.folders import course_config, enroll, ensure_course, release_labs
from hub.people.accounts import (
    INSTRUCTORS_GROUP,
    cohort_unix_group,
    course_instructors_unix_group,
    ensure_user,
    remove_user,
)

from .conftest import open_checkout_for_learners, processes_of
from .smoke_lab import LAB_ID, SOLUTION, write_lab

pytestmark = pytest.mark.slow


@pytest.fixture
def course() -> Iterator[tuple]:
    """Settings with a released smoke lab, and two instructors of its course."""
    if os.geteuid() != 0:
        pytest.fail("needs root (Unix users and groups), as in CI")
    open_checkout_for_learners()
    prefix = "t" + secrets.token_hex(2)
    data_root = Path(tempfile.mkdtemp(prefix="northlab-share-", dir="/tmp"))
    data_root.chmod(0o755)
    write_lab(data_root / "labs")
    settings = load_settings({"NORTHLAB_DATA": str(data_root / "data"),
                              "NORTHLAB_LABS_ROOT": str(data_root / "labs")})
    name = f"{prefix}-course"
    teachers = [f"{prefix}-ann", f"{prefix}-bob"]
    try:
        ensure_course(settings, name)
        for teacher in teachers:
            ensure_user(teacher, settings.home_root / teacher,
                        {INSTRUCTORS_GROUP, course_instructors_unix_group(name),
                         cohort_unix_group(name)})
        yield settings, name, teachers
    finally:
        for teacher in teachers:
            for pid in processes_of(teacher):
                os.kill(pid, 9)
            remove_user(teacher)
        for group in (cohort_unix_group(name), course_instructors_unix_group(name)):
            subprocess.run(["groupdel", group], check=False, capture_output=True)
        shutil.rmtree(data_root, ignore_errors=True)


def nbgrader_as(user: str, root: Path, *args: str) -> subprocess.CompletedProcess:
    """``nbgrader ARGS`` in the course root as ``user``, as their server runs it (umask 007,
    the venv on PATH)."""
    entry = pwd.getpwnam(user)
    bin_dir = Path(sys.executable).parent

    def become() -> None:
        os.initgroups(user, entry.pw_gid)
        os.setgid(entry.pw_gid)
        os.setuid(entry.pw_uid)
        os.umask(0o007)

    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": entry.pw_dir, "USER": user}
    return subprocess.run([str(bin_dir / "nbgrader"), *args], cwd=root, env=env,
                          preexec_fn=become, capture_output=True, text=True, timeout=300)


def student_name(root: Path, learner: str) -> tuple[str | None, str | None]:
    """(first, last) name formgrader shows for ``learner``."""
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        student = gradebook.find_student(learner)
        return student.first_name, student.last_name


def submit(root: Path, learner: str) -> None:
    """A learner's correct submission, as ``nbgrader collect`` leaves it."""
    folder = root / "submitted" / learner / LAB_ID
    folder.mkdir(parents=True)
    nb = nbformat.read(root / "release" / LAB_ID / f"{LAB_ID}.ipynb", as_version=4)
    nb.cells[1].source = SOLUTION
    nbformat.write(nb, folder / f"{LAB_ID}.ipynb")
    (folder / "timestamp.txt").write_text("2026-01-15 12:00:00.000000 UTC")
    subprocess.run(["chmod", "-R", "g+rwX", str(root / "submitted")], check=True)


def assert_ok(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, (result.stdout + result.stderr)[-1500:]


def test_instructors_grade_after_the_demo_release_and_after_each_other(course):
    settings, name, (ann, bob) = course
    root = settings.courses_root / name
    # the demo's way: root releases the lab (and so creates the gradebook)
    lab = load_lab(settings.labs_root / "cybersecurity" / LAB_ID)
    assert release_labs(settings, name, [lab]) == [LAB_ID]
    assert release_labs(settings, name, [lab]) == []  # released once
    released = nbformat.read(root / "release" / LAB_ID / f"{LAB_ID}.ipynb", as_version=4)
    assert released.metadata.kernelspec.name == "northlab-cybersecurity"  # the track's only
    enroll(settings.courses_root, name, "learner-a")  # joins the cohort: named at once
    submit(root, "learner-a")
    assert_ok(nbgrader_as(bob, root, "autograde", LAB_ID, "--create"))
    # one instructor's files (autograded/, feedback/) are the other's to redo
    assert_ok(nbgrader_as(ann, root, "autograde", LAB_ID, "--create", "--force"))
    assert student_name(root, "learner-a") == ("", "learner-a")  # not "None, None"
    assert_ok(nbgrader_as(bob, root, "generate_feedback", LAB_ID))
    # feedback made with the course config: test_double has a hidden region, so it is one
    # hidden total, never named (its section titles visible tests: test_hostile_feedback_detail)
    page = (root / "feedback" / "learner-a" / LAB_ID / f"{LAB_ID}.html").read_text()
    assert "Test cell" not in page and "test_double" not in page
    assert "Hidden tests, together: " in page


def test_a_gradebook_made_by_one_instructor_is_the_others_too(course):
    settings, name, (ann, bob) = course
    root = settings.courses_root / name
    shutil.copytree(settings.labs_root / "cybersecurity" / LAB_ID / "source",
                    root / "source" / LAB_ID)
    subprocess.run(["chmod", "-R", "g+rwX", str(root / "source")], check=True)
    (root / "gradebook.db").unlink(missing_ok=True)  # a course without one yet
    assert_ok(nbgrader_as(ann, root, "generate_assignment", LAB_ID))  # makes the gradebook
    submit(root, "learner-b")
    assert_ok(nbgrader_as(bob, root, "autograde", LAB_ID, "--create"))


def test_the_course_config_runs_to_the_end_when_the_gradebook_cannot_be_shared(tmp_path):
    """nbgrader drops a config file that raises, and with it the sandbox bridge: sharing the
    gradebook must never raise (here: the course root does not exist)."""
    settings = load_settings({"NORTHLAB_DATA": str(tmp_path / "data")})
    config = Config()
    exec(compile(course_config(settings, "no-such-course"), "nbgrader_config.py", "exec"),
         {"get_config": lambda: config})
    assert NorthlabExecute in config.Autograde.autograde_preprocessors
