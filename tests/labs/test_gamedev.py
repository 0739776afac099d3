"""Gamedev track: `northlab check` passes and wrong solutions lose the right points. All
grading is real (sandboxed engine, no mocks)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from graders.engine import Grader
from graders.lab import discover_labs, load_lab
from graders.submissions import Submission, read_files

REPO = Path(__file__).resolve().parents[2]
TRACK = REPO / "labs" / "gamedev"


def northlab_check(folder: Path, tmp_path: Path) -> tuple[int, ET.Element]:
    """Run the real CLI on ``folder``; return its exit status and JUnit report."""
    junit = tmp_path / "check.xml"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = subprocess.run(
        [sys.executable, "-m", "graders.cli", "check", str(folder), "--junit", str(junit)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert junit.exists(), done.stderr
    return done.returncode, ET.parse(junit).getroot()


def grade(lab_id: str, files: dict[str, bytes]) -> dict[str, bool]:
    """Grade ``files`` as a submission of ``lab_id``: {test name: passed}."""
    lab = load_lab(TRACK / lab_id)
    with Grader(lab, workers=1) as grader:
        record = grader.grade(Submission("mutant", lab.path, files=files))
    assert record["error"] is None, record["error"]
    return {test["name"].split("::")[-1]: test["passed"] for test in record["tests"]}


def mutate_notebook(lab_id: str, old: str, new: str) -> dict[str, bytes]:
    """The lab's own files with one piece of its solution code replaced."""
    lab = load_lab(TRACK / lab_id)
    files = read_files(lab.source_dir)
    notebook = json.loads(files[f"{lab_id}.ipynb"])
    found = 0
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        found += source.count(old)
        cell["source"] = source.replace(old, new)
    assert found == 1, f"mutation target found {found} times in {lab_id}"
    files[f"{lab_id}.ipynb"] = json.dumps(notebook).encode()
    return files


def test_track_has_first_steps_to_capstone():
    labs = [lab for lab in discover_labs(REPO / "labs") if lab.track == "gamedev"]
    assert len(labs) >= 3
    assert sorted(lab.order for lab in labs) == list(range(1, len(labs) + 1))
    assert all(lab.credential == "gamedev-foundations" for lab in labs)
    ids = {lab.id for lab in labs}
    assert all(set(lab.prerequisites) <= ids for lab in labs)


def test_northlab_check_passes(tmp_path):
    status, report = northlab_check(TRACK, tmp_path)
    failures = [(case.get("classname"), case.get("name"), case.find("failure").get("message"))
                for case in report.iter("testcase") if case.find("failure") is not None]
    assert failures == []
    assert status == 0
    checked = {case.get("classname") for case in report.iter("testcase")
               if case.get("name") == "solution"}
    expected = {f"gamedev/{lab.id}" for lab in discover_labs(TRACK)}
    assert checked == expected


def test_fixed_timestep_needs_the_step_cap():
    files = mutate_notebook("easing-and-physics",
                            "while accumulator >= dt and count < max_steps:",
                            "while accumulator >= dt:")
    passed = grade("easing-and-physics", files)
    assert passed["test-lerp"] and passed["test-bounce"]
    assert not passed["test-fixed-steps"]


def test_game_without_axis_separation_does_not_slide():
    lab = load_lab(TRACK / "supply-run")
    game = (lab.solution_dir / "game.py").read_text()
    # A common shortcut: undo the whole move when it hits a wall. Diagonal moves then stick.
    start, end = game.index("    player.x += dx"), game.index("    player.clamp_ip")
    game = game[:start] + (
        "    moved = player.move(dx, dy)\n"
        "    if moved.collidelist(walls) < 0:\n"
        "        player = moved\n") + game[end:]
    passed = grade("supply-run", {"game.py": game.encode()})
    assert passed["test_moves_each_direction"] and passed["test_collects_crates"]
    assert not passed["test_slides_along_wall"]


def test_greedy_chess_without_safety_walks_into_mate():
    lab = load_lab(TRACK / "chess-tactics")
    tactics = (lab.solution_dir / "tactics.py").read_text()
    old = "safe = [m for m in moves if not allows_mate(board, m)] or moves"
    assert tactics.count(old) == 1
    passed = grade("chess-tactics", {"tactics.py": tactics.replace(old, "safe = moves").encode()})
    assert passed["test_mate_in_one_finds_mates"] and passed["test_choose_move_wins_material"]
    assert not passed["test_choose_move_avoids_mate"]


def test_animation_time_restarts_on_state_change():
    tail = "\n        clip = clips[new]\n        i = frame_index("
    files = mutate_notebook("sprite-animation", "time = 0.0 if new != state else time + dt" + tail,
                            "time = time + dt" + tail)
    passed = grade("sprite-animation", files)
    assert passed["test-slice"] and passed["test-state"]
    assert not passed["test-play"]


def test_invented_sprite_sheet_is_reproducible(tmp_path):
    import cv2
    import numpy as np

    lab = TRACK / "sprite-animation"
    shutil.copy(lab / "make_data.py", tmp_path / "make_data.py")
    subprocess.run([sys.executable, "make_data.py"], cwd=tmp_path, check=True,
                   capture_output=True, timeout=60)
    name = "source/data/rover_sheet.png"
    assert np.array_equal(cv2.imread(str(tmp_path / name)), cv2.imread(str(lab / name)))
