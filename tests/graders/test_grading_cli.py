"""``northlab grade`` and ``northlab check`` driven as a user would, on the fixture labs."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

sys.path.insert(0, str(Path(__file__).resolve().parent))
from northlab_labkit import (  # noqa: E402
    CODE_LAB,
    FIXTURES,
    NB_LAB,
    SOLUTIONS,
    by_learner,
    honest,
    northlab,
    notebook,
    write_submission,
)

from graders.record import messages  # noqa: E402
from northlab.results import validate_result  # noqa: E402


def test_grade_a_cohort(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    write_submission(subs, "alice", honest())
    write_submission(subs, "bob", notebook({**SOLUTIONS, "answer-square": "def square(x):\n"
                                                                           "    return x + x"}))
    write_submission(subs, "carol", notebook({"answer-square": "1 / 0"}))
    out = tmp_path / "results.json"
    outbox = tmp_path / "outbox"
    result = northlab("grade", str(NB_LAB), str(subs), "--json", str(out), "--workers", "2",
                      "--outbox", str(outbox), "--lang", "fr")
    assert result.returncode == 0, result.stderr
    records = by_learner(json.loads(out.read_text()))
    for record in records.values():
        validate_result(record)
        assert record["lab"] == "nb-basics" and record["max_score"] == 6
    assert records["alice"]["score"] == 6
    assert records["bob"]["score"] == 4
    failed = [t for t in records["bob"]["tests"] if not t["passed"]]
    assert [t["name"] for t in failed] == ["test-square"]
    hint = failed[0]["feedback"]  # the lab's own hint (a language without one: English)
    assert (hint["en"], hint["fr"]) == ("square(x) should return x times x.",
                                        "square(x) doit renvoyer x fois x.")
    assert records["carol"]["score"] == 0
    assert "alice: 6/6" in result.stdout and "3 graded" in result.stdout
    assert len(list((outbox / "pending").glob("*.json"))) >= 3
    # idempotent: grading again gives the same scores and the same submission ids
    again = northlab("grade", str(NB_LAB), str(subs), "--json", str(out), "-q")
    assert again.returncode == 0 and again.stdout == ""
    records2 = by_learner(json.loads(out.read_text()))
    assert {k: (r["score"], r["submission_id"]) for k, r in records2.items()} == {
        k: (r["score"], r["submission_id"]) for k, r in records.items()}


def test_nbgrader_submitted_layout_and_ungradable_submissions(tmp_path: Path) -> None:
    submitted = tmp_path / "course" / "submitted"
    write_submission(submitted / "dana", "nb-basics", honest())  # submitted/dana/nb-basics/
    (submitted / "dana" / "nb-basics" / "timestamp.txt").write_text(
        "2026-03-01 10:00:00.000000 UTC")
    (submitted / "erin" / "nb-basics").mkdir(parents=True)  # no notebook at all
    out = tmp_path / "r.json"
    # the folder named `submitted` says the layout (a course root would need nbgrader_config.py)
    result = northlab("grade", str(NB_LAB), str(submitted), "--json", str(out))
    assert result.returncode == 1  # erin could not be graded
    records = by_learner(json.loads(out.read_text()))
    assert records["dana"]["score"] == 6
    assert records["dana"]["submitted_at"] == "2026-03-01T10:00:00Z"
    assert records["erin"]["error"]["code"] == "missing-notebook"
    assert records["erin"]["error"]["message"]["fr"].startswith("Votre remise")


def test_due_date_marks_later_submissions_late(tmp_path: Path) -> None:
    """Only the collector's timestamp (nbgrader's submitted/ layout) says late; a learner's
    own folder holds no time the learner could not write, so lateness is unknown."""
    subs = tmp_path / "course" / "submitted"
    for learner, stamp in (("gil", "2026-03-01 10:00:00.000000 UTC"),
                           ("hana", "2026-03-01 10:00:01.000000 UTC"), ("ivo", None)):
        folder = write_submission(subs / learner, "nb-basics", honest())
        if stamp:
            (folder / "timestamp.txt").write_text(stamp)
    write_submission(tmp_path / "own", "jo", honest())
    (tmp_path / "own" / "jo" / "timestamp.txt").write_text("2020-01-01 00:00:00 UTC")
    late = {}
    for folder in (subs, tmp_path / "own"):
        out = tmp_path / "r.json"
        result = northlab("grade", str(NB_LAB), str(folder), "--json", str(out), "-q",
                          "--due", "2026-03-01T11:00+01:00")  # 10:00 UTC
        assert result.returncode == 0, result.stderr
        late |= {k: r["late"] for k, r in by_learner(json.loads(out.read_text())).items()}
    assert late == {"gil": False, "hana": True, "ivo": None, "jo": None}
    bad = northlab("grade", str(NB_LAB), str(subs), "--due", "next friday")
    assert bad.returncode == 2 and "'next friday' is not an ISO 8601 date" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_grade_a_code_lab(tmp_path: Path) -> None:
    subs = tmp_path / "subs"
    for name, source in (("sol", CODE_LAB / "solution"), ("starter", CODE_LAB / "source")):
        (subs / name).mkdir(parents=True)
        shutil.copy(source / "game.py", subs / name / "game.py")
    out = tmp_path / "r.json"
    assert northlab("grade", str(CODE_LAB), str(subs), "--json", str(out)).returncode == 0
    records = by_learner(json.loads(out.read_text()))
    assert records["sol"]["score"] == 4 and records["starter"]["score"] == 0
    assert {t["name"] for t in records["sol"]["tests"]} == {
        "test_game.py::test_start", "test_game.py::test_moves_right",
        "test_game.py::test_unknown_key"}


def test_grade_errors_are_one_sentence(tmp_path: Path) -> None:
    result = northlab("grade", str(tmp_path), str(tmp_path))
    assert result.returncode == 2 and "no lab.toml" in result.stderr
    result = northlab("grade", str(NB_LAB), str(tmp_path / "nope"))
    assert result.returncode == 2 and "no such folder" in result.stderr
    assert northlab("grade", "--help").returncode == 0
    assert northlab("check", "--help").returncode == 0
    result = northlab("grade", str(NB_LAB), str(tmp_path), "--out", str(tmp_path / "x"))
    assert result.returncode == 2 and "--out" in result.stderr  # never --outbox abbreviated
    assert not (tmp_path / "x").exists()


def test_python_dash_m_errors_are_one_sentence_too(tmp_path: Path) -> None:
    """``python -m northlab.cli`` (used by services and tests) prints no traceback either."""
    import subprocess

    result = subprocess.run([sys.executable, "-m", "northlab.cli", "grade", str(tmp_path),
                             str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("northlab: error:") and "Traceback" not in result.stderr


def test_check_fixture_labs_with_junit(tmp_path: Path) -> None:
    junit = tmp_path / "check.xml"
    result = northlab("check", str(FIXTURES), "--junit", str(junit))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 of 2 labs ok" in result.stdout
    suite = ET.parse(junit).getroot()
    assert suite.get("failures") == "0" and len(suite.findall("testcase")) >= 7


def test_check_several_folders(tmp_path: Path) -> None:
    junit = tmp_path / "check.xml"
    # two track folders, plus one lab folder already inside them (checked once)
    result = northlab("check", str(FIXTURES / "ai-data"), str(FIXTURES / "gamedev"),
                      str(CODE_LAB), "--junit", str(junit))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 of 2 labs ok" in result.stdout
    assert "ok   ai-data/nb-basics" in result.stdout
    assert "ok   gamedev/code-basics" in result.stdout
    suite = ET.parse(junit).getroot()
    assert {case.get("classname") for case in suite.findall("testcase")} == {
        "ai-data/nb-basics", "gamedev/code-basics"}
    assert suite.get("failures") == "0"


def test_check_names_a_missing_folder_before_grading(tmp_path: Path) -> None:
    result = northlab("check", str(FIXTURES / "ai-data"), str(tmp_path / "nope"))
    assert result.returncode == 2
    assert "nope: no such folder" in result.stderr and result.stdout == ""


def test_check_finds_broken_labs(tmp_path: Path) -> None:
    # points do not add up
    bad_points = tmp_path / "labs" / "ai-data" / "nb-basics"
    shutil.copytree(NB_LAB, bad_points)
    toml = bad_points / "lab.toml"
    toml.write_text(toml.read_text().replace("points = 6", "points = 7"))
    # the blank release passes a test (a test cell that asserts nothing)
    leaky = tmp_path / "labs" / "gamedev" / "code-basics"
    shutil.copytree(CODE_LAB, leaky)
    test = leaky / "grader" / "test_game.py"
    test.write_text(test.read_text().replace(
        'assert learner.module("game").new_state() == {"x": 10, "y": 0}', "assert True").replace(
        '\n                      fr="Votre joueur doit aller à droite quand RIGHT est pressé.")',
        ")"))
    junit = tmp_path / "check.xml"
    result = northlab("check", str(tmp_path / "labs"), "--junit", str(junit))
    assert result.returncode == 1
    assert "add up to 6 points, lab.toml says 7" in result.stdout
    assert "the release scored 1, above the floor 0" in result.stdout
    assert "fr=...): test_game.py::test_moves_right" in result.stdout
    # nb-basics: metadata and solution (points); code-basics: release and feedback
    assert ET.parse(junit).getroot().get("failures") == "4"


def test_every_english_message_has_a_french_translation() -> None:
    assert messages().missing() == {}
    assert set(messages().languages) >= {"en", "fr"}
