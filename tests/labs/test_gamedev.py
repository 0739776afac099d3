"""Gamedev track: `northlab check` passes and wrong solutions lose the right points. All
grading is real (sandboxed engine, no mocks)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from functools import partial

import labtools
from labtools import LABS

from graders.lab import load_lab

TRACK = LABS / "gamedev"
grade = partial(labtools.grade, TRACK)
mutate_notebook = partial(labtools.mutate_notebook, TRACK)


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
