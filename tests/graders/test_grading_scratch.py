"""The grader's own faults are never the learner's: engine folders under the scratch folder
stay visible in each submission's fresh tmpfs, and a grader that cannot load what it needs
gives an error record, not 0 points."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

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
