"""Sandbox selection and the fallback sandboxes, on a real (tiny) grading run each."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from northlab_labkit import NB_LAB, SOLUTIONS, honest, notebook  # noqa: E402

from graders.engine import Grader  # noqa: E402
from graders.lab import load_lab  # noqa: E402
from graders.sandbox import (  # noqa: E402
    BubblewrapSandbox,
    ContainerSandbox,
    RlimitSandbox,
    SandboxUnavailable,
    detect,
)
from graders.sandbox.process import ZygoteFailed, log_tail  # noqa: E402
from graders.submissions import Submission  # noqa: E402

DATA = (NB_LAB / "source" / "data" / "values.txt").read_bytes()
NETWORK_PROBE = {**SOLUTIONS, "answer-total": (
    "import socket\ntry:\n    socket.create_connection(('1.1.1.1', 53), timeout=1)\n"
    "    total = 10.0\nexcept OSError:\n    total = 'no network'")}


HIDDEN_PROBE = (
    "import glob\ntotal = 'nothing found'\n"
    "for path in glob.glob('/tmp/northlab-*/**/*.ipynb', recursive=True) + "
    "glob.glob('/tmp/northlab-*/judge-*/lab/source/*.ipynb'):\n"
    "    try:\n"
    "        if 'BEGIN HIDDEN' in open(path).read():\n"
    "            total = 10.0\n"
    "    except OSError:\n"
    "        pass")
USED_UIDS: list[int] = []


def grade(sandbox: object, notebooks: dict[str, str]) -> dict[str, dict]:
    lab = load_lab(NB_LAB)
    subs = [Submission(name, NB_LAB, files={"nb-basics.ipynb": text.encode(),
                                            "data/values.txt": DATA})
            for name, text in notebooks.items()]
    with Grader(lab, workers=1, sandbox=sandbox) as grader:
        slot = grader._all[0]
        USED_UIDS[:] = [sandbox.uid(slot.worker.spec), sandbox.uid(slot.judge.spec)]
        return {r["learner"]: r for r in grader.grade_all(subs)}


def test_detect_prefers_bubblewrap_and_honours_the_setting(monkeypatch) -> None:
    detect.cache_clear()
    if BubblewrapSandbox.available():
        assert detect().name == "bubblewrap"
    assert detect("rlimits").name == "rlimits"
    with pytest.raises(SandboxUnavailable, match="unknown sandbox 'jail'"):
        detect("jail")
    monkeypatch.setenv("NORTHLAB_SANDBOX", "container")
    detect.cache_clear()
    assert isinstance(detect(), ContainerSandbox)
    detect.cache_clear()


def test_bubblewrap_isolation_is_reported() -> None:
    if not BubblewrapSandbox.available():
        pytest.fail("bubblewrap is installed on this host (Makefile APT_PACKAGES) but fails")
    records = grade(BubblewrapSandbox(), {"ok": honest(), "probe": notebook(NETWORK_PROBE)})
    assert records["ok"]["score"] == 6
    assert records["ok"]["isolation"].startswith("bubblewrap(pid,net")
    assert records["probe"]["score"] == 5  # no network inside


@pytest.mark.skipif(os.geteuid() != 0, reason="the uid switch and netns need root")
def test_rlimits_fallback_grades_and_says_what_it_cannot_enforce() -> None:
    records = grade(RlimitSandbox(), {
        "ok": honest(), "probe": notebook(NETWORK_PROBE),
        "loop": honest(**{"answer-total": "while True: pass"}),
        "peek": honest(**{"answer-total": HIDDEN_PROBE})})
    assert records["ok"]["score"] == 6
    isolation = records["ok"]["isolation"]
    assert "uid" in isolation and "netns" in isolation
    assert "NOT-enforced:mount-isolation" in isolation
    assert records["probe"]["score"] == 5
    assert records["loop"]["score"] == 5
    assert records["peek"]["score"] == 5  # the judge's copy of the lab is not readable
    # no process of the run's sandbox uids is left (there is no pid namespace to kill)
    assert USED_UIDS and all(uid >= 64000 for uid in USED_UIDS)
    assert [p for p in os.listdir("/proc") if p.isdigit() and _uid(p) in USED_UIDS] == []


@pytest.mark.skipif(os.geteuid() != 0, reason="the uid switch needs root")
def test_container_mode_grades_with_the_same_engine() -> None:
    records = grade(ContainerSandbox(), {
        "ok": honest(), "uid": honest(**{"answer-total": "import os\n"
                                                         "total = 10.0 if os.getuid() else 0.0"}),
        "loop": honest(**{"answer-total": "while True: pass"})})
    assert records["ok"]["isolation"].startswith("container(runtime:network-none")
    assert records["ok"]["score"] == 6
    assert records["uid"]["score"] == 6  # learner code does not run as root
    assert records["loop"]["score"] == 5


def _uid(pid: str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def test_a_lab_closed_to_others_still_grades(tmp_path: Path) -> None:
    import shutil

    lab_dir = tmp_path / "labs" / "nb-basics"
    shutil.copytree(NB_LAB, lab_dir)
    os.chmod(tmp_path / "labs", 0o700)
    os.chmod(lab_dir, 0o700)
    lab = load_lab(lab_dir)
    sub = Submission("ok", lab_dir, files={"nb-basics.ipynb": honest().encode(),
                                           "data/values.txt": DATA})
    with Grader(lab, workers=1) as grader:
        assert grader.grade(sub)["score"] == 6


def test_cgroup_v2_groups_are_per_run_and_per_submission(tmp_path: Path) -> None:
    """cgroup v2 on a fake tree (this host has v1): folder names, limits, counters."""
    from graders.sandbox.cgroup import CPU_PERIOD_US, HEADROOM_MB, CgroupsV2

    assert not CgroupsV2.usable(tmp_path)  # no cgroup.controllers: not a cgroup v2 tree
    (tmp_path / "cgroup.controllers").write_text("io memory pids\n")
    assert not CgroupsV2.usable(tmp_path)  # no cpu controller: no CPU isolation (F7)
    (tmp_path / "cgroup.controllers").write_text("cpu io memory pids\n")
    assert CgroupsV2.usable(tmp_path)
    (tmp_path / "northlab-3" / "stale-1").mkdir(parents=True)  # left by a crashed run
    run = CgroupsV2(tmp_path).open_run(3, slots=2)
    assert run.note() == "cgroup-v2(memory,pids,cpu)"
    assert not (tmp_path / "northlab-3" / "stale-1").exists()
    enabled = "+memory +pids +cpu"
    assert (tmp_path / "cgroup.subtree_control").read_text() == enabled
    assert (tmp_path / "northlab-3" / "cgroup.subtree_control").read_text() == enabled
    assert (tmp_path / "northlab-3" / "cpu.weight").read_text() == "200"  # two slots
    first, second = run.create("worker0", 256, 16), run.create("worker0", 256, 16)
    assert first.folders != second.folders  # a fresh group per submission
    group = first.folders[0]
    assert group.parent == tmp_path / "northlab-3"
    assert int((group / "memory.max").read_text()) == (256 + HEADROOM_MB) * 2**20
    assert (group / "memory.swap.max").read_text() == "0"
    assert int((group / "pids.max").read_text()) >= 16
    assert (group / "cpu.max").read_text() == f"{CPU_PERIOD_US} {CPU_PERIOD_US}"  # 1 CPU
    assert (group / "cpu.weight").read_text() == "100"  # every submission weighs the same
    first.join(1234)
    assert (group / "cgroup.procs").read_text() == "1234"
    assert not first.usage().memory_hit and not first.usage().pids_hit
    (group / "memory.events").write_text("low 0\nhigh 0\nmax 9\noom 0\noom_kill 0\n")
    assert not first.usage().memory_hit  # reclaim at the limit is not an OOM kill
    (group / "memory.events").write_text("low 0\nhigh 0\nmax 9\noom 1\noom_kill 1\n")
    (group / "pids.events").write_text("max 3\n")
    assert first.usage().memory_hit and first.usage().pids_hit
    assert first.usage().cpu_seconds is None  # no cpu.stat yet: unknown, not zero
    (group / "cpu.stat").write_text("usage_usec 2500000\nuser_usec 2000000\n")
    assert first.usage().cpu_seconds == 2.5
    (group / "cgroup.kill").write_text("")
    first.kill()
    assert (group / "cgroup.kill").read_text() == "1"  # the whole group, by the kernel
    for folder in (*first.folders, *second.folders):  # a fake tree: no kernel to empty them
        for name in os.listdir(folder):
            os.unlink(folder / name)
    first.remove()
    assert not group.exists()
    for name in ("cgroup.subtree_control", "cpu.weight"):
        os.unlink(tmp_path / "northlab-3" / name)
    run.close_run()
    assert not (tmp_path / "northlab-3").exists()


def test_cgroup_v1_groups_live_below_the_graders_own_group(tmp_path: Path) -> None:
    from graders.sandbox.cgroup import CgroupsV1

    for controller in ("memory", "pids"):
        (tmp_path / controller / "agents" / "me").mkdir(parents=True)
        (tmp_path / controller / "cgroup.procs").write_text("")
    assert CgroupsV1.usable(tmp_path)
    own = "9:pids:/\n4:memory:/agents/me\n2:cpu:/\n0::/\n"
    run = CgroupsV1(tmp_path, proc_cgroup=own).open_run(5)
    assert run.run_folders() == [tmp_path / "memory" / "agents" / "me" / "northlab-5",
                                 tmp_path / "pids" / "northlab-5"]
    assert run.note() == "cgroup-v1(memory,pids)"  # no cpu hierarchy: not claimed
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cgroup.procs").write_text("")
    run = CgroupsV1(tmp_path, proc_cgroup=own).open_run(5, slots=3)
    assert run.note() == "cgroup-v1(memory,pids,cpu)"
    assert (tmp_path / "cpu" / "northlab-5" / "cpu.shares").read_text() == str(3 * 1024)
    group = run.create("worker0", 64, 8)
    cpu = tmp_path / "cpu" / "northlab-5" / "worker0-1"
    assert group.folders[-1] == cpu
    assert (cpu / "cpu.cfs_quota_us").read_text() == (cpu / "cpu.cfs_period_us").read_text()
    assert (cpu / "cpu.shares").read_text() == "1024"


def test_a_lock_folder_that_is_not_ours_is_a_clear_error(monkeypatch) -> None:
    from graders.engine import UidBlock

    def refuse(*_args: object) -> None:
        raise PermissionError("/run/northlab must be a folder owned by uid 0 with mode 0700")

    monkeypatch.setattr(UidBlock, "acquire", refuse)
    monkeypatch.setattr("os.geteuid", lambda: 0)
    with pytest.raises(SandboxUnavailable, match="cannot start: /run/northlab must be"):
        Grader(load_lab(NB_LAB), workers=1).__enter__()


def test_the_lock_folder_must_be_private(tmp_path: Path) -> None:
    from graders.sandbox.uids import UidBlock

    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    os.chmod(shared, 0o1777)  # like /run/lock
    with pytest.raises(PermissionError, match="mode 0700"):
        UidBlock.acquire(shared)
    (tmp_path / "link").symlink_to(tmp_path / "private")
    (tmp_path / "private").mkdir(mode=0o700)
    with pytest.raises(PermissionError):
        UidBlock.acquire(tmp_path / "link")
    (tmp_path / "private" / "uids-0.lock").symlink_to(tmp_path / "elsewhere")
    block = UidBlock.acquire(tmp_path / "private")  # a planted symlink is never followed
    assert block.index == 1 and not (tmp_path / "elsewhere").exists()
    block.release()


def test_concurrent_runs_get_different_uid_blocks(tmp_path: Path) -> None:
    from graders.sandbox.uids import UidBlock

    first, second = UidBlock.acquire(tmp_path), UidBlock.acquire(tmp_path)
    assert first.index != second.index
    first.release()
    third = UidBlock.acquire(tmp_path)
    assert third.index == first.index  # a released block is reused
    second.release()
    third.release()


def test_a_sandbox_that_cannot_start_says_why(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-python")

    class MissingInterpreter(type(detect())):  # the host's sandbox, pointed at no interpreter
        def wrap(self, spec, argv, uid):  # type: ignore[no-untyped-def]
            return super().wrap(spec, [missing, *argv[1:]], uid)

    lab = load_lab(NB_LAB)
    with pytest.raises(ZygoteFailed) as failed, Grader(lab, workers=1,
                                                       sandbox=MissingInterpreter()) as grader:
        pytest.fail(f"grading started without an interpreter ({grader.sandbox.name})")
    # the log file is gone with the grader's temporary folder: the reason is in the message
    message = str(failed.value)
    assert message.startswith("the worker sandbox did not start")
    assert "no-such-python" in message and "No such file or directory" in message
    assert "worker-0.log" not in message


def test_log_tail_keeps_the_end_of_long_logs(tmp_path: Path) -> None:
    log = tmp_path / "worker-0.log"
    assert log_tail(log) == ""
    log.write_text("".join(f"line {i}\n" for i in range(1000)) + "Traceback: the reason\n\n")
    tail = log_tail(log, limit=200, lines=3)
    assert tail == "line 998\nline 999\nTraceback: the reason"
    assert len(log_tail(log, limit=200, lines=100)) <= 200
    assert log_tail(log, limit=200, lines=100).splitlines()[0].startswith("line ")
