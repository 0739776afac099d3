"""Every track: first steps to capstone, and `northlab check` passes on all its labs (real
grading in the sandbox: solution full marks, blank release at most the floor)."""

from __future__ import annotations

import tomllib

import pytest
from labtools import LABS, northlab_check

from graders.lab import TRACKS, discover_labs


@pytest.mark.parametrize("track", TRACKS)
def test_track_goes_from_first_steps_to_capstone(track: str) -> None:
    labs = sorted((lab for lab in discover_labs(LABS) if lab.track == track),
                  key=lambda lab: lab.order)
    assert len(labs) >= 3
    assert [lab.order for lab in labs] == list(range(1, len(labs) + 1))
    achievement = tomllib.loads((LABS / track / "achievement.toml").read_text())
    assert achievement["track"] == track
    assert all(lab.credential == achievement["id"] for lab in labs)
    assert labs[0].prerequisites == ()
    earlier: set[str] = set()
    for lab in labs:
        assert set(lab.prerequisites) <= earlier, lab.id
        earlier.add(lab.id)


@pytest.mark.parametrize("track", TRACKS)
def test_northlab_check_passes(track: str, tmp_path) -> None:
    status, report = northlab_check(LABS / track, tmp_path)
    failures = [(case.get("classname"), case.get("name"), case.find("failure").get("message"))
                for case in report.iter("testcase") if case.find("failure") is not None]
    assert failures == []
    assert status == 0
    checked = {case.get("classname") for case in report.iter("testcase")
               if case.get("name") == "solution"}
    assert checked == {f"{track}/{lab.id}" for lab in discover_labs(LABS / track)}
