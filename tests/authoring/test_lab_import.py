"""`northlab lab import`: nbgrader's own user-guide course and test notebooks (used in
place from the installed nbgrader package) become northlab labs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import nbgrader
import pytest

from graders.lab import load_lab
from graders.lab_import import import_assignment, lab_id_for

REPO = Path(__file__).resolve().parents[2]
NBGRADER = Path(nbgrader.__file__).parent
USER_GUIDE = NBGRADER / "docs" / "source" / "user_guide"
TEST_FILES = NBGRADER / "tests" / "apps" / "files"
BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}


def northlab(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "northlab"), *args], cwd=cwd, env=ENV,
                          capture_output=True, text=True, timeout=600)


def nbgrader_max_scores(course: Path) -> dict[str, float]:
    """nbgrader's own maximum score of ps1 and of each notebook, after generate_assignment
    in a throwaway copy of the course."""
    from nbgrader.api import Gradebook

    shutil.copytree(USER_GUIDE / "source" / "ps1", course / "source" / "ps1")
    (course / "nbgrader_config.py").write_text("c = get_config()\n")
    subprocess.run([str(BIN / "nbgrader"), "generate_assignment", "ps1", "--log-level=ERROR"],
                   cwd=course, env=ENV, check=True, capture_output=True, timeout=600)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        assignment = gradebook.find_assignment("ps1")
        return {"ps1": assignment.max_score,
                **{nb.name: nb.max_score for nb in assignment.notebooks}}


def test_user_guide_ps1_and_an_nbgrader_test_notebook_import_and_pass_check(tmp_path: Path) -> None:
    labs = tmp_path / "labs"
    done = northlab("lab", "import", str(USER_GUIDE), "ps1", "--track", "ai-data",
                    "--into", str(labs))
    assert done.returncode == 0, done.stderr
    lab_dir = labs / "ai-data" / "ps1"
    assert "2 notebook(s) (problem1, problem2), 3 file(s), 13 points" in done.stdout
    for name in ("problem1.ipynb", "problem2.ipynb", "jupyter.png"):
        assert (lab_dir / "source" / name).read_bytes() == (
            USER_GUIDE / "source" / "ps1" / name).read_bytes()
    assert sorted(p.name for p in (lab_dir / "source").iterdir()) == [
        "jupyter.png", "problem1.ipynb", "problem2.ipynb"]

    draft = tomllib.loads((lab_dir / "lab.toml").read_text())
    scores = nbgrader_max_scores(tmp_path / "course")
    assert draft["points"] == scores["ps1"] == 13
    assert f"(problem1: {scores['problem1']:g}, problem2: {scores['problem2']:g})" in (
        lab_dir / "lab.toml").read_text()
    assert draft["assignment"] == "ps1" and draft["kind"] == "notebook"
    assert draft["title"] == {"en": "ps1"}  # ps1 has no level-1 heading
    assert draft["summary"] == {
        "en": "For this problem set, we'll be using the Jupyter notebook:"}
    assert "languages" not in draft and "credential" not in draft  # both left to the author
    lab = load_lab(lab_dir)
    assert lab.id == "ps1" and lab.track == "ai-data" and lab.points == 13
    assert lab.order == 1 and lab.languages == ()

    # nbgrader's own test notebook, under an assignment name that is no lab id, with what
    # nbgrader ignores when it copies an assignment
    assignment = tmp_path / "course" / "source" / "Squares_Test.v2"
    assignment.mkdir(parents=True)
    shutil.copy(TEST_FILES / "test.ipynb", assignment)
    shutil.copy(TEST_FILES / "jupyter.png", assignment)
    (assignment / ".ipynb_checkpoints").mkdir()
    (assignment / ".ipynb_checkpoints" / "test-checkpoint.ipynb").write_text("{}")
    done = northlab("lab", "import", str(tmp_path / "course"), "Squares_Test.v2",
                    "--into", str(labs / "ai-data"))
    assert done.returncode == 0, done.stderr
    squares = labs / "ai-data" / "squares-test-v2"
    assert sorted(p.name for p in (squares / "source").iterdir()) == [
        "jupyter.png", "test.ipynb"]
    assert tomllib.loads((squares / "lab.toml").read_text())["assignment"] == "Squares_Test.v2"
    assert load_lab(squares).order == 2

    # both pass `northlab check` as imported (solution full marks apart from the parts a
    # person grades, release 0, tamper pass), English only: warnings, exit 0
    check = northlab("check", str(labs))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "ok   ai-data/ps1" in check.stdout and "ok   ai-data/squares-test-v2" in check.stdout
    assert "warning: test cell sum_of_squares_uses_squares (problem1.ipynb) needs northlab " \
        "feedback in en and fr" in check.stdout
    assert "warning: test cell correct_squares (test.ipynb) needs northlab feedback in en " \
        "and fr" in check.stdout
    assert "2 of 2 labs ok; 2 with warnings" in check.stdout


def test_import_is_refused_when_the_lab_exists_unless_forced(tmp_path: Path) -> None:
    into = tmp_path / "labs" / "robotics"  # a track folder names the track
    assert northlab("lab", "import", str(USER_GUIDE), "ps1", "--into", str(into)
                    ).returncode == 0
    toml = into / "ps1" / "lab.toml"
    toml.write_text(toml.read_text().replace("estimated_minutes = 60", "estimated_minutes = 45"))
    again = northlab("lab", "import", str(USER_GUIDE), "ps1", "--into", str(into))
    assert again.returncode == 2 and again.stdout == ""
    assert again.stderr.strip().splitlines() == [
        f"northlab: error: {into / 'ps1'} already exists; pass --force to replace it"]
    assert "estimated_minutes = 45" in toml.read_text()  # the author's edit is kept
    forced = northlab("lab", "import", str(USER_GUIDE), "ps1", "--into", str(into), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "estimated_minutes = 60" in toml.read_text()
    assert sorted(p.name for p in into.iterdir()) == ["ps1"]  # no temporary folder left


@pytest.mark.parametrize(("args", "message"), [
    (("/no/such/course", "ps1", "--track", "gamedev"), "/no/such/course: no such folder"),
    ((str(NBGRADER), "ps1", "--track", "gamedev"), "no source/ folder; is this an nbgrader"),
    ((str(USER_GUIDE), "ps9", "--track", "gamedev"),
     "source/ps9: no such assignment (assignments in "),
    ((str(USER_GUIDE), "../source", "--track", "gamedev"), "no such assignment"),
    ((str(USER_GUIDE), "ps1"), "name the lab's track with --track (one of cybersecurity,"),
    ((str(USER_GUIDE), "ps1", "--into", "labs/robotics", "--track", "gamedev"),
     "labs/robotics is the robotics track's folder, but --track says gamedev"),
    ((str(USER_GUIDE), "ps1", "--track", "gamedev", "--id", "Bad Id"),
     "--id 'Bad Id': a lab id is lowercase letters, digits and hyphens"),
])
def test_bad_input_is_one_sentence_and_makes_nothing(tmp_path: Path, args: tuple[str, ...],
                                                     message: str) -> None:
    into = () if "--into" in args else ("--into", "labs")
    done = northlab("lab", "import", *args, *into, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == "", done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr
    assert not (tmp_path / "labs").exists()


def test_an_assignment_without_notebooks_points_or_usable_name_is_refused(
        tmp_path: Path) -> None:
    course = tmp_path / "course"
    (course / "source" / "empty").mkdir(parents=True)
    (course / "source" / "empty" / "data.txt").write_text("1\n")
    (course / "source" / "ungraded").mkdir()
    shutil.copy(TEST_FILES / "side-effects.ipynb", course / "source" / "ungraded")
    (course / "source" / "Problem Set 2").mkdir()
    shutil.copy(TEST_FILES / "test.ipynb", course / "source" / "Problem Set 2")
    for assignment, message in (
            ("empty", "no notebooks in this assignment"),
            ("ungraded", "no grade cells with points"),
            ("Problem Set 2", "'Problem Set 2' is not an assignment name northlab can use")):
        done = northlab("lab", "import", str(course), assignment, "--track", "gamedev",
                        "--into", str(tmp_path / "labs"))
        assert done.returncode == 2 and message in done.stderr, done.stderr
    assert not (tmp_path / "labs").exists()


@pytest.mark.parametrize(("assignment", "lab_id"), [
    ("ps1", "ps1"), ("Problem Set 1", "problem-set-1"), ("hw_01", "hw-01"),
    ("Leçon--Été", "lecon-ete"), ("__", ""),
])
def test_lab_ids_from_assignment_names(assignment: str, lab_id: str) -> None:
    assert lab_id_for(assignment) == lab_id


def test_a_course_level_autotests_yml_comes_with_the_assignment(tmp_path: Path) -> None:
    """nbgrader reads autotests.yml from the assignment folder, else the course's: an
    assignment with AUTOTEST lines and only the course's file imports with that file."""
    from graders.lab_import import import_assignment

    course = tmp_path / "course"
    (course / "source" / "auto").mkdir(parents=True)
    shutil.copy(TEST_FILES / "autotest-simple.ipynb", course / "source" / "auto")
    shutil.copy(TEST_FILES / "autotests.yml", course / "autotests.yml")
    imported = import_assignment(course, "auto", into=tmp_path / "labs", track="ai-data")
    assert (imported.path / "autotests.yml").read_bytes() == \
        (TEST_FILES / "autotests.yml").read_bytes()
    assert load_lab(imported.path).notebook_names == ("autotest-simple",)


def test_a_forced_import_that_fails_keeps_the_old_lab(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    into = tmp_path / "labs" / "robotics"
    import_assignment(USER_GUIDE, "ps1", into=into)
    toml = into / "ps1" / "lab.toml"
    toml.write_text(toml.read_text().replace("estimated_minutes = 60", "estimated_minutes = 45"))
    rename = Path.rename

    def draft_cannot_move(self: Path, target: Path) -> Path:
        if self.name == "ps1" and self.parent != into:  # the draft, not the old lab
            raise OSError(28, "No space left on device")
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", draft_cannot_move)
    with pytest.raises(OSError):
        import_assignment(USER_GUIDE, "ps1", into=into, force=True)
    assert "estimated_minutes = 45" in toml.read_text()
    assert sorted(p.name for p in into.iterdir()) == ["ps1"]
