"""Same scores as stock ``nbgrader autograde`` on the same honest submissions, and the
nbgrader bridge: ``nbgrader autograde`` configured with :func:`configure` grades in the
sandbox, records the engine's scores in nbgrader's gradebook and writes the same records."""

from __future__ import annotations

import json
import shutil
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

sys.path.insert(0, str(Path(__file__).resolve().parent))
from northlab_labkit import (  # noqa: E402
    NB_LAB,
    by_learner,
    honest,
    northlab,
    notebook,
    replace_cell_source,
)

from graders.lab import load_lab  # noqa: E402
from graders.manual_grades import graded_submission  # noqa: E402
from graders.nbgrader_course import NbgraderCourse  # noqa: E402
from graders.release import release_notebook  # noqa: E402

MARKER = Path(f"/tmp/northlab-bridge-escape-{uuid.uuid4().hex}")
HONEST = {
    "full": honest(),
    "square-wrong": honest(**{"answer-square": "def square(x):\n    return x + x"}),
    "means-wrong-type": honest(**{"answer-means": "def column_means(df):\n"
                                                  "    return list(df.mean())"}),
    "first-cell-crashes": honest(**{"answer-square": "1 / 0"}),
    "numpy-floats": honest(**{"answer-means": "def column_means(df):\n    return "
                                              "{k: np.float64(v) for k, v in df.mean().items()}"}),
    "warns-on-stderr": honest(**{"answer-square": "import warnings\ndef square(x):\n"
                                                  "    warnings.warn('careful')\n"
                                                  "    return x * x"}),
    "prints": honest(**{"answer-square": "def square(x):\n    print('thinking')\n"
                                         "    return x * x"}),
    "total-is-int": honest(**{"answer-total": "total = 10"}),
    "only-total": notebook({"answer-total": 'total = float(np.loadtxt("data/values.txt")'
                                            '.sum())'}),
}


def fill(course: NbgraderCourse, extra: dict[str, str] | None = None) -> None:
    data = (NB_LAB / "source" / "data" / "values.txt").read_bytes()
    blank = json.dumps(release_notebook(NB_LAB / "source" / "nb-basics.ipynb"))
    for learner, text in {**HONEST, "blank-release": blank, **(extra or {})}.items():
        course.add_submission(learner, {"nb-basics.ipynb": text.encode(),
                                        "data/values.txt": data})


PARTIAL_TEST = ("assert 'total' in dir()\n"
                "0.5 if not isinstance(total, float) else (1 if abs(total - 10) < 1e-9 else 0.25)")


def with_partial_credit(tmp_path: Path) -> Path:
    """A copy of the fixture lab whose last test cell gives partial credit (its last line
    is a number), the nbgrader feature northlab reproduces."""
    lab_dir = tmp_path / "labs" / "nb-basics"
    shutil.copytree(NB_LAB, lab_dir)
    replace_cell_source(lab_dir, "test-total", PARTIAL_TEST)
    return lab_dir


@pytest.mark.slow
def test_same_scores_as_stock_nbgrader(tmp_path: Path) -> None:
    lab = load_lab(with_partial_credit(tmp_path))
    course = NbgraderCourse(tmp_path / "course", lab)
    course.generate()
    fill(course)
    course.autograde()
    stock = course.scores()
    out = tmp_path / "northlab.json"
    result = northlab("grade", str(lab.path), str(tmp_path / "course"), "--json", str(out))
    assert result.returncode == 0, result.stderr
    ours = {k: r["score"] for k, r in by_learner(json.loads(out.read_text())).items()}
    assert stock == ours
    # the comparison is not trivial: several scores, partial credit included (5.5)
    assert len(set(stock.values())) >= 4 and stock["full"] == 6 and stock["blank-release"] == 0
    assert stock["total-is-int"] == 5.5


@pytest.mark.slow
def test_nbgrader_autograde_runs_through_the_sandbox(tmp_path: Path) -> None:
    lab = load_lab(NB_LAB)
    outbox = tmp_path / "outbox"
    config = ("from graders.nbgrader_bridge import configure\n"
              f"configure(c, labs_dir={str(NB_LAB.parent.parent)!r}, outbox={str(outbox)!r})")
    course = NbgraderCourse(tmp_path / "course", lab, extra_config=config)
    course.generate()
    escape = honest(**{"answer-total": f"open({str(MARKER)!r}, 'w').write('escaped')\n"
                                       'total = float(np.loadtxt("data/values.txt").sum())'})
    fill(course, {"escape-attempt": escape})
    # due an hour before every submission's stamp; "full" has a two-hour extension
    with Gradebook(f"sqlite:///{tmp_path / 'course' / 'gradebook.db'}", "test-course") as gb:
        gb.update_or_create_assignment("nb-basics", duedate="2026-01-15 11:00:00 UTC")
        gb.update_or_create_student("full")
        gb.update_or_create_submission("nb-basics", "full", extension=timedelta(hours=2))
    course.autograde()
    bridged = course.scores()
    # the learner code ran in the sandbox: its write to the host's /tmp did not happen
    assert not MARKER.exists()
    assert bridged["escape-attempt"] == 6
    out = tmp_path / "northlab.json"
    assert northlab("grade", str(NB_LAB), str(tmp_path / "course"), "--json",
                    str(out)).returncode == 0
    direct = by_learner(json.loads(out.read_text()))
    assert bridged == {k: r["score"] for k, r in direct.items()}
    records = {}
    for path in (outbox / "pending").glob("*.json"):
        if not path.name.endswith(".state.json"):
            record = json.loads(path.read_text())
            records[record["learner"]] = record
    assert set(records) == set(bridged)
    for learner, record in records.items():
        # a person's grades in formgrader are bound to this record (manual_grades)
        assert graded_submission(tmp_path / "course", "nb-basics", learner,
                                 "nb-basics") == record["submission_id"]
        assert record["course"] == "test-course"
        assert record["isolation"] == direct[learner]["isolation"]
        assert record["submitted_at"] == "2026-01-15T12:00:00Z"
        assert record["late"] is (learner != "full")
        assert [t["passed"] for t in record["tests"]] == [
            t["passed"] for t in direct[learner]["tests"]]


@pytest.mark.slow
def test_check_compare_nbgrader(tmp_path: Path) -> None:
    from xml.etree import ElementTree as ET

    from graders.compare import mutation_cohort

    cohort = mutation_cohort(load_lab(NB_LAB))
    assert set(cohort) == {"solution", "release", "blank-answer-square", "blank-answer-means",
                           "blank-answer-total"}
    junit = tmp_path / "check.xml"
    result = northlab("check", str(NB_LAB), "--compare-nbgrader", "--junit", str(junit))
    assert result.returncode == 0, result.stdout
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert "same-as-nbgrader" in cases and cases["same-as-nbgrader"].find("failure") is None


def test_course_config_fails_closed_without_the_sandbox(tmp_path: Path) -> None:
    """The hub's course config, with the bridge unimportable: nbgrader autograde must not
    fall back to running learner code with its own unsandboxed Execute."""
    from hub.courses.folders import sandbox_bridge

    lines = sandbox_bridge(NB_LAB.parent.parent, tmp_path / "outbox", "test-course")
    broken = "\n".join(lines).replace("import graders.nbgrader_bridge",
                                      "import graders.no_such_bridge")
    course = NbgraderCourse(tmp_path / "course", load_lab(NB_LAB), extra_config=broken)
    course.generate()
    marker = Path(f"{MARKER}-fail-closed")
    escape = honest(**{"answer-total": f"open({str(marker)!r}, 'w').write('escaped')\n"
                                       'total = float(np.loadtxt("data/values.txt").sum())'})
    data = (NB_LAB / "source" / "data" / "values.txt").read_bytes()
    course.add_submission("escape-attempt", {"nb-basics.ipynb": escape.encode(),
                                             "data/values.txt": data})
    with pytest.raises(RuntimeError) as failed:  # nbgrader reports the submission failed
        course.autograde()
    assert "autograde refused, the sandbox is unavailable" in str(failed.value)
    assert "northlab-sandbox-unavailable" in str(failed.value)
    assert not marker.exists()
    assert course.scores().get("escape-attempt", 0.0) == 0.0  # nothing ran, nothing scored
