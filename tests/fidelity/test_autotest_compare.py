"""`northlab check --compare-nbgrader` on a lab whose AUTOTEST templates are course-level
(``autotests.yml`` in the lab's folder, not in ``source/``): stock nbgrader finds them in
the throwaway course's root, as in the instructor's course, and the scores agree."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

from graders.compare import compare_with_nbgrader
from graders.lab import load_lab

sys.path.insert(0, str(Path(__file__).resolve().parent))
from judge_kit import APP_FILES, LAB_TOML  # noqa: E402

pytestmark = pytest.mark.slow  # runs stock nbgrader generate_assignment and autograde


def test_course_level_autotests_reach_stock_nbgrader(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    folder = tmp_path / "autotest-simple"
    (folder / "source").mkdir(parents=True)
    shutil.copy(APP_FILES / "autotest-simple.ipynb", folder / "source")
    shutil.copy(APP_FILES / "autotests.yml", folder)
    (folder / "lab.toml").write_text(LAB_TOML.format(id="autotest-simple", points=1))
    assert compare_with_nbgrader(load_lab(folder)) == []
