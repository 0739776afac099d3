"""The single-user server and the Assignments worker skip rfc3987_syntax's parser build."""

from __future__ import annotations

import subprocess
import sys


def imported_modules(*args: str) -> set[str]:
    """Modules a fresh ``python -X importtime <args>`` imported."""
    done = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True,
                          text=True, timeout=120, cwd="/")
    assert done.returncode == 0, done.stderr[-2000:]
    return {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines()
            if line.startswith("import time:")}


def test_userserver_runs_jupyterhub_singleuser_without_the_iri_parser():
    stock = imported_modules("-c", "import jupyterhub.singleuser")
    ours = imported_modules("-P", "-m", "hub.userserver", "--version")
    assert {"jupyterhub.singleuser", "jupyter_events", "jsonschema._format"} <= ours
    assert "rfc3987_syntax.syntax_helpers" in stock  # what is saved: it exists, it is heavy
    assert not {name for name in ours if name.startswith(("rfc3987_syntax.", "lark"))}


def test_assignments_worker_skips_it_too():
    ours = imported_modules("-P", "-m", "hub.assignments.worker", '{"action": "courses"}')
    assert {"nbgrader.exchange", "jsonschema._format"} <= ours
    assert not {name for name in ours if name.startswith(("rfc3987_syntax.", "lark"))}
