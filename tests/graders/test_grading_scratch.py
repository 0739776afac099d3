"""The grader's own faults are never the learner's: engine folders under the scratch folder
stay visible in each submission's fresh tmpfs, and a grader that cannot load what it needs
gives an error record, not 0 points."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from northlab_labkit import (  # noqa: E402
    CODE_LAB,
    NB_LAB,
    by_learner,
    copy_lab,
    honest,
    northlab,
    write_submission,
)

ROOT = Path(__file__).resolve().parents[2]
#: runs in a fresh single-threaded interpreter: enter the per-submission namespaces with an
#: engine folder (on sys.path) inside the scratch folder, then use it as the worker would
INSIDE = textwrap.dedent("""\
    import os, sys
    scratch, engine = sys.argv[1], sys.argv[2]
    sys.path.append(engine)
    from graders.sandbox.namespaces import enter
    enter(scratch, 16)
    import engine_probe
    print("import", engine_probe.VALUE)
    try:
        open(os.path.join(engine, "learner.py"), "w").write("x")
        print("write allowed")
    except OSError:
        print("write refused")
    open(os.path.join(scratch, "left-by-learner"), "w").write("x")
    """)


@pytest.mark.skipif(os.geteuid() != 0, reason="the zygote's namespaces need root here")
def test_engine_folders_under_scratch_stay_readable_and_read_only(tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    engine = scratch / "checkout" / "site-packages"
    engine.mkdir(parents=True)
    (engine / "engine_probe.py").write_text("VALUE = 42\n")
    done = subprocess.run([sys.executable, "-c", INSIDE, str(scratch), str(engine)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["import 42", "write refused"]
    assert sorted(p.name for p in scratch.iterdir()) == ["checkout"]  # nothing leaked out
    assert sorted(p.name for p in engine.iterdir()) == ["engine_probe.py"]


HIDDEN = textwrap.dedent("""\
    import sys
    scratch, engine = sys.argv[1], sys.argv[2]
    sys.path.append(engine)
    from graders.sandbox import namespaces
    namespaces._outermost_under = lambda folder, paths: []  # as before: nothing bound back
    try:
        namespaces.enter(scratch, 16)
    except namespaces.NamespaceError as exc:
        print("refused:", exc)
    """)


@pytest.mark.skipif(os.geteuid() != 0, reason="the zygote's namespaces need root here")
def test_a_child_that_lost_engine_folders_refuses_to_run(tmp_path: Path) -> None:
    engine = tmp_path / "scratch" / "site-packages"
    engine.mkdir(parents=True)
    done = subprocess.run([sys.executable, "-c", HIDDEN, str(engine.parent), str(engine)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.startswith("refused: ") and str(engine) in done.stdout, done


MISSING = "import northlab_missing_library  # not installed for the judge\n"


def grade_cli(lab: Path, subs: Path, out: Path) -> tuple[int, dict[str, dict]]:
    done = northlab("grade", str(lab), str(subs), "--json", str(out), "--no-outbox")
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, by_learner(json.loads(out.read_text()))


def assert_error_record(record: dict) -> None:
    assert record["error"] is not None and record["error"]["code"] == "internal", record
    assert "instructor" in record["error"]["message"]["en"]
    assert record["tests"] == [] and record["score"] in (0, None)


def test_a_grader_test_the_judge_cannot_import_is_an_error_not_zero(tmp_path: Path) -> None:
    lab = copy_lab(CODE_LAB, tmp_path / "lab")
    grader = lab / "grader" / "test_game.py"
    grader.write_text(MISSING + grader.read_text())
    subs = tmp_path / "subs"
    (subs / "sol").mkdir(parents=True)
    shutil.copy(CODE_LAB / "solution" / "game.py", subs / "sol" / "game.py")
    status, records = grade_cli(lab, subs, tmp_path / "r.json")
    assert status == 1
    assert_error_record(records["sol"])


def test_a_test_cell_the_judge_cannot_import_is_an_error_not_zero(tmp_path: Path) -> None:
    lab = copy_lab(NB_LAB, tmp_path / "lab")
    source = lab / "source" / f"{lab.name}.ipynb"
    nb = json.loads(source.read_text())
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")
                and c["cell_type"] == "code")
    cell["source"] = MISSING + "".join(cell["source"])
    source.write_text(json.dumps(nb))
    subs = tmp_path / "subs"
    write_submission(subs, "alice", honest())
    status, records = grade_cli(lab, subs, tmp_path / "r.json")
    assert status == 1
    assert_error_record(records["alice"])
