"""File names from a submission can never point outside the working copy."""

from __future__ import annotations

from pathlib import Path

import pytest

from graders.sandbox.child import build_workdir, safe_relpath


@pytest.mark.parametrize("name", ["../escape.py", "/etc/passwd", "a/../../b", "", ".",
                                  "a//b", "x\x00y", "a/./b", 5, None, "a" * 300])
def test_bad_names_are_refused(name: object) -> None:
    assert safe_relpath(name) is None


def test_only_safe_names_are_written(tmp_path: Path) -> None:
    work = tmp_path / "sandbox" / "work"
    (tmp_path / "sandbox").mkdir()
    (tmp_path / "sandbox" / "link").symlink_to(tmp_path / "outside")
    files = [["../escape.py", 0], ["/abs.py", 0], ["a/../../b.py", 0], ["ok.py", 1],
             ["sub/dir/deep.py", 1], ["bad", 9], ["weird"]]
    build_workdir(work, None, files, [b"evil", b"good"], lab_wins=False)
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
                     if p.is_file())
    assert written == ["sandbox/work/ok.py", "sandbox/work/sub/dir/deep.py"]


def test_a_symlink_planted_in_the_working_copy_is_not_followed(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    target = tmp_path / "victim.txt"
    target.write_text("safe")
    (work / "game.py").symlink_to(target)
    build_workdir(work, None, [["game.py", 0]], [b"overwritten"], lab_wins=False)
    assert target.read_text() == "safe"
