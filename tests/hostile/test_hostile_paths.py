"""File names from a submission can never point outside the working copy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from graders.sandbox.child import build_workdir, safe_relpath
from graders.submissions import MAX_DEPTH, MAX_ENTRIES, find_submissions


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
    build_workdir(work, None, files, [b"evil", b"good"])
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
                     if p.is_file())
    assert written == ["sandbox/work/ok.py", "sandbox/work/sub/dir/deep.py"]


def test_a_symlink_planted_in_the_working_copy_is_not_followed(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    target = tmp_path / "victim.txt"
    target.write_text("safe")
    (work / "game.py").symlink_to(target)
    build_workdir(work, None, [["game.py", 0]], [b"overwritten"])
    assert target.read_text() == "safe"


def _deep(folder: Path, depth: int) -> None:
    """``depth`` nested folders (made with relative mkdir: paths longer than PATH_MAX)."""
    folder.mkdir(parents=True)
    here = os.open(folder, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=here)
            inner = os.open("d", os.O_RDONLY, dir_fd=here)
            os.close(here)
            here = inner
        fd = os.open("answer.py", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=here)
        os.write(fd, b"x = 1")
        os.close(fd)
    finally:
        os.close(here)


def _undeep(folder: Path) -> None:
    """Remove what :func:`_deep` made, without recursion (shutil.rmtree and pytest's own
    clean-up recurse once per level)."""
    fds = [os.open(folder, os.O_RDONLY)]
    try:
        while True:
            try:
                fds.append(os.open("d", os.O_RDONLY | os.O_NOFOLLOW, dir_fd=fds[-1]))
            except FileNotFoundError:
                break
        for name in os.listdir(fds[-1]):
            os.unlink(name, dir_fd=fds[-1])
        while len(fds) > 1:
            os.close(fds.pop())
            os.rmdir("d", dir_fd=fds[-1])
    finally:
        for fd in fds:
            os.close(fd)


@pytest.mark.parametrize("shape", ["deep-1100", "deep-limit", "wide", "fifo"])
def test_one_folder_never_stops_the_others(tmp_path: Path, shape: str) -> None:
    """F6: whatever one learner's folder holds, every learner gets a submission back."""
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "game.py").write_text("x = 1")
    mallory = tmp_path / "mallory"
    if shape == "deep-1100":
        _deep(mallory, 1100)
    elif shape == "deep-limit":
        _deep(mallory, MAX_DEPTH + 1)
    elif shape == "wide":
        (mallory / "w").mkdir(parents=True)
        for i in range(MAX_ENTRIES + 1):
            os.mkdir(mallory / "w" / str(i))
    else:
        mallory.mkdir()
        os.mkfifo(mallory / "game.py")
    try:
        subs = {s.learner: s for s in find_submissions(tmp_path, "lab")}
    finally:
        if shape.startswith("deep"):
            _undeep(mallory)
    assert subs["alice"].files == {"game.py": b"x = 1"} and subs["alice"].error is None
    if shape.startswith("deep") or shape == "wide":
        assert subs["mallory"].error is not None and subs["mallory"].error.code == "too-large"
    else:
        assert subs["mallory"].files == {}


def test_a_folder_at_the_depth_limit_is_read(tmp_path: Path) -> None:
    _deep(tmp_path / "alice", MAX_DEPTH)
    (sub,) = find_submissions(tmp_path, "lab")
    _undeep(tmp_path / "alice")
    assert sub.error is None and list(sub.files.values()) == [b"x = 1"]


def test_any_error_reading_one_folder_is_that_learners(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import graders.submissions as submissions

    real = submissions.read_files

    def explode(folder: Path) -> dict[str, bytes]:
        if folder.name == "mallory":
            raise RecursionError("maximum recursion depth exceeded")
        return real(folder)

    monkeypatch.setattr(submissions, "read_files", explode)
    for name in ("alice", "mallory"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "game.py").write_text("x = 1")
    subs = {s.learner: s for s in find_submissions(tmp_path, "lab")}
    assert subs["alice"].files == {"game.py": b"x = 1"}
    assert subs["mallory"].error is not None and subs["mallory"].files == {}
