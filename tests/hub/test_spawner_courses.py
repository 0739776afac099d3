"""An instructor's server covers the courses they teach (hub groups ``instructors-<id>``)."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

from hub.spawner import NorthlabSpawner


def spawner(tmp_path: Path, *groups: str) -> NorthlabSpawner:
    for course in ("north", "south"):
        (tmp_path / "courses" / course).mkdir(parents=True, exist_ok=True)
    user = SimpleNamespace(name="ines", groups=[SimpleNamespace(name=g) for g in groups])
    (tmp_path / "home" / "ines").mkdir(parents=True, exist_ok=True)
    return NorthlabSpawner(user=user, courses_root=str(tmp_path / "courses"),
                           home_root=str(tmp_path / "home"))


def test_instructor_gets_only_the_courses_they_teach(tmp_path):
    # "gone" has no course root; cohort-leads is not a cohort
    ines = spawner(tmp_path, "instructors", "instructors-south", "instructors-gone",
                   "cohort-leads")
    assert ines.role == "instructor" and ines.cohorts == []
    assert ines.taught_courses() == ["south"] and ines.instructor_course() == "south"
    assert ines.unix_groups() == {"northlab-instructors", "nl-south", "ni-south"}


def test_instructor_without_a_course_gets_no_formgrader_course(tmp_path):
    ines = spawner(tmp_path, "instructors")
    assert ines.instructor_course() == "" and ines.unix_groups() == {"northlab-instructors"}


def test_course_links_follow_the_courses_taught(tmp_path):
    ines = spawner(tmp_path, "instructors", "instructors-south")
    links = tmp_path / "home" / "ines" / "courses"
    links.mkdir()
    (links / "north").symlink_to(tmp_path / "courses" / "north")  # no longer taught
    (links / "notes").symlink_to(tmp_path)  # the instructor's own link stays
    entry = SimpleNamespace(pw_uid=os.getuid(), pw_gid=os.getgid())
    ines.link_courses(entry)
    assert sorted(p.name for p in links.iterdir()) == ["notes", "south"]
    assert (links / "south").resolve() == (tmp_path / "courses" / "south").resolve()
