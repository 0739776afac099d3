"""What grader tests can do with the learner's objects through the judge/worker protocol."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from northlab_labkit import CODE_LAB  # noqa: E402

from graders.engine import Grader  # noqa: E402
from graders.lab import load_lab  # noqa: E402
from graders.submissions import Submission  # noqa: E402

GRADER = '''
import numpy as np
import pandas as pd
import pytest
from graders.remote.proxy import RemoteComparisonError

FB = dict(en="see the lab", fr="voir le labo")


@pytest.mark.points(1)
@pytest.mark.feedback(**FB)
def test_objects_and_classes(learner):
    game = learner.module("game")
    player = game.Player(3)
    assert isinstance(player, game.Player)
    assert not isinstance(3, game.Player)
    assert player.x == 3
    player.move(2)
    assert player.x == 5
    player.x = 7
    assert player.position()["x"] == 7


@pytest.mark.points(1)
@pytest.mark.feedback(**FB)
def test_iteration_len_indexing(learner):
    game = learner.module("game")
    assert list(game.countdown(3)) == [3, 2, 1]
    team = game.Team()
    assert len(team) == 2 and team[1] == "bo"
    assert [name for name in team] == ["al", "bo"]


@pytest.mark.points(1)
@pytest.mark.feedback(**FB)
def test_comparing_a_remote_object_is_an_error(learner):
    player = learner.module("game").Player(1)
    with pytest.raises(RemoteComparisonError):
        assert player == 1
    with pytest.raises(RemoteComparisonError):
        assert player
    with pytest.raises(RemoteComparisonError):
        assert 1 in learner.module("game").Team()


@pytest.mark.points(1)
@pytest.mark.feedback(**FB)
def test_arrays_and_frames(learner):
    game = learner.module("game")
    arr = game.arange(4)
    assert isinstance(arr, np.ndarray) and arr.tolist() == [0, 1, 2, 3]  # a LearnerArray
    frame = game.frame(pd.DataFrame({"a": [1, 2]}))
    assert isinstance(frame, pd.DataFrame) and frame["b"].tolist() == [2, 4]  # a LearnerDataFrame


@pytest.mark.points(1)
@pytest.mark.feedback(**FB)
def test_exceptions_keep_builtin_types(learner):
    game = learner.module("game")
    with pytest.raises(KeyError):
        game.fail("key")
    with pytest.raises(Exception, match="Custom"):
        game.fail("custom")
'''

LEARNER = '''
import numpy as np


class Player:
    def __init__(self, x):
        self.x = x

    def move(self, dx):
        self.x += dx

    def position(self):
        return {"x": self.x}


class Team:
    names = ["al", "bo"]

    def __len__(self):
        return 2

    def __getitem__(self, i):
        return self.names[i]

    def __iter__(self):
        return iter(self.names)


def countdown(n):
    while n:
        yield n
        n -= 1


def arange(n):
    return np.arange(n)


def frame(df):
    return df.assign(b=df["a"] * 2)


class Custom(Exception):
    pass


def fail(kind):
    raise KeyError("x") if kind == "key" else Custom("boom")
'''


def test_remote_objects_behave_for_grader_tests(tmp_path: Path) -> None:
    lab_dir = tmp_path / "code-basics"
    shutil.copytree(CODE_LAB, lab_dir)
    (lab_dir / "grader" / "test_game.py").write_text(GRADER)
    toml = lab_dir / "lab.toml"
    toml.write_text(toml.read_text().replace("points = 4", "points = 5"))
    lab = load_lab(lab_dir)
    with Grader(lab, workers=1) as grader:
        record = grader.grade(Submission("ana", lab_dir, files={"game.py": LEARNER.encode()}))
    failing = [t["name"] for t in record["tests"] if not t["passed"]]
    assert failing == [] and record["score"] == 5
