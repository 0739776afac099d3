"""Class 5: nothing of one submission outlives it, and its memory, processes and inodes
are bounded by the kernel (a per-submission cgroup and a capped tmpfs), not by rlimits
alone. These run for real on this host's cgroup v1 hierarchy; each flood also runs once
without the cgroup / the per-submission tmpfs, to show that the probe would escape."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graders"))
from northlab_labkit import NB_LAB, SOLUTIONS, copy_lab, notebook  # noqa: E402

from graders.engine import Grader  # noqa: E402
from graders.lab import load_lab  # noqa: E402
from graders.sandbox import detect  # noqa: E402
from graders.sandbox.cgroup import CgroupsV1, find  # noqa: E402
from graders.sandbox.namespaces import scratch_inodes  # noqa: E402
from graders.submissions import Submission  # noqa: E402

CGROUPS = find()
needs_cgroup_v1 = pytest.mark.skipif(
    os.geteuid() != 0 or not isinstance(CGROUPS, CgroupsV1),
    reason="needs root and a writable cgroup v1 memory+pids hierarchy (as on the CI host)")
DATA = (NB_LAB / "source" / "data" / "values.txt").read_bytes()
LIMITS = {"wall_seconds": 15, "cpu_seconds": 10, "memory_mb": 64, "disk_mb": 16,
          "processes": 16}
SHM = textwrap.dedent("""\
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
    """)
#: SysV segments, each touched then detached: RLIMIT_AS never sees them
SHM_FLOOD = SHM + textwrap.dedent("""\
    held = 0
    while held < 640:
        seg = libc.shmget(0, 32 << 20, 0o1600)
        if seg < 0:
            break
        addr = libc.shmat(seg, None, 0)
        if addr in (None, ctypes.c_void_p(-1).value):
            break
        ctypes.memset(addr, 1, 32 << 20)
        libc.shmdt(ctypes.c_void_p(addr))
        held += 32
    total = 10.0 if held >= 640 else 'stopped at %d MB' % held
    """)
INODE_FLOOD = textwrap.dedent("""\
    import os
    os.makedirs('flood', exist_ok=True)
    made = 0
    try:
        while made < 30000:
            open('flood/%d' % made, 'w').close()
            made += 1
    except OSError:
        pass
    total = 10.0 if made >= 30000 else 'stopped at %d' % made
    """)
LEAVE = SHM + textwrap.dedent("""\
    seg = libc.shmget(0x4e4c, 4096, 0o1666)
    addr = libc.shmat(seg, None, 0)
    ctypes.memmove(addr, b'secret-of-the-first', 19)
    open('/dev/shm/northlab-left', 'w').write('secret-of-the-first')
    open('/tmp/northlab-left', 'w').write('secret-of-the-first')
    total = float(np.loadtxt("data/values.txt").sum())
    """)
FIND = SHM + textwrap.dedent("""\
    import os
    found = []
    seg = libc.shmget(0x4e4c, 0, 0)
    if seg >= 0:
        addr = libc.shmat(seg, None, 0)
        found.append(ctypes.string_at(addr, 19))
    for path in ('/dev/shm/northlab-left', '/tmp/northlab-left'):
        if os.path.exists(path):
            found.append(open(path).read())
    total = 10.0 if found else 'nothing left'
    """)


def grade(tmp_path: Path, cells: dict[str, str], *, cgroups: bool = True,
          fresh: bool = True, workers: int = 1, limits: dict | None = None
          ) -> dict[str, dict]:
    lab = load_lab(copy_lab(NB_LAB, tmp_path / ("c" if cgroups else "n"), limits or LIMITS))
    sandbox = type(detect())()
    if not cgroups:
        sandbox.cgroups = None
    sandbox.fresh_namespaces = fresh
    subs = [Submission(name, tmp_path, files={"nb-basics.ipynb": notebook(
        {**SOLUTIONS, "answer-total": code}).encode(), "data/values.txt": DATA})
        for name, code in cells.items()]
    with Grader(lab, workers=workers, sandbox=sandbox) as grader:
        return {r["learner"]: r for r in grader.grade_all(subs)}


def lines(record: dict) -> str:
    return " ".join(t["feedback"]["en"] for t in record["tests"] if t["name"] == "sandbox")


def test_nothing_a_submission_leaves_is_seen_by_the_next(tmp_path: Path) -> None:
    records = grade(tmp_path, {"first": LEAVE, "second": FIND})
    assert records["first"]["score"] == 6  # it did leave its segment and files
    assert records["second"]["score"] == 5, records["second"]  # the next one found nothing


NESTED = textwrap.dedent("""\
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    made = libc.unshare(0x10000000) == 0  # a user namespace of its own: capabilities again
    total = 10.0 if made else 'refused'
    """)


def test_the_record_says_which_cgroup_and_namespaces_were_used(tmp_path: Path) -> None:
    records = grade(tmp_path, {"ok": SOLUTIONS["answer-total"], "nested": NESTED})
    assert records["nested"]["score"] == 5  # no nested user namespace, so no mounts
    record = records["ok"]
    assert record["score"] == 6
    assert "per-submission(userns,pid,ipc,mount,uts,net;tmpfs-size,inodes)" in record["isolation"]
    expected = CGROUPS.note() if CGROUPS is not None else "no-cgroup"
    assert record["isolation"].endswith(expected)


@needs_cgroup_v1
def test_a_shared_memory_flood_is_stopped_by_the_cgroup(tmp_path: Path) -> None:
    stopped = grade(tmp_path, {"flood": SHM_FLOOD})["flood"]
    assert stopped["score"] == 5
    assert "Memory limit of 64 MB" in lines(stopped)  # the kernel's counter, not the worker
    escaped = grade(tmp_path, {"flood": SHM_FLOOD}, cgroups=False)["flood"]
    assert escaped["score"] == 6  # control: rlimits alone let it hold 640 MB


def test_an_inode_flood_is_stopped_by_the_scratch_tmpfs(tmp_path: Path) -> None:
    assert scratch_inodes(LIMITS["disk_mb"]) < 30000
    assert grade(tmp_path, {"flood": INODE_FLOOD})["flood"]["score"] == 5
    escaped = grade(tmp_path, {"flood": INODE_FLOOD}, cgroups=False, fresh=False)["flood"]
    assert escaped["score"] == 6  # control: the zygote's own tmpfs has no inode cap


FORK_FLOOD = textwrap.dedent("""\
    import os, time
    children = 0
    for _ in range(60):
        try:
            if os.fork() == 0:
                os.close(1)
                time.sleep(20)
                os._exit(0)
            children += 1
        except OSError:
            break
    print(children)
    """)


def run_in(group_pids_limit: int | None) -> tuple[int, object]:
    """Run the fork flood as root (RLIMIT_NPROC does not apply to root), in a fresh
    per-submission group when asked; return how many children it made and the usage."""
    group = None
    run = None
    if group_pids_limit is not None:
        run = CGROUPS.open_run(31)
        group = run.create("probe", memory_mb=64, processes=group_pids_limit)
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read(1)\n"
                             + FORK_FLOOD], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        if group is not None:
            group.join(proc.pid)
        out, _ = proc.communicate("x", timeout=120)
        usage = group.usage() if group is not None else None
    finally:
        if group is not None:
            group.remove()
            run.close_run()
        try:
            os.killpg(proc.pid, 9)
        except OSError:
            pass
    return int(out.strip() or 0), usage


@needs_cgroup_v1
def test_a_fork_flood_is_stopped_by_the_cgroup_and_seen_by_the_parent() -> None:
    made, usage = run_in(16)
    assert made < 20 and usage.pids_hit
    assert not usage.memory_hit
    control, _ = run_in(None)
    assert control == 60  # control: as root, no rlimit would have stopped it
    assert not any(p.name.startswith("northlab-31") for b in CGROUPS.bases.values()
                   for p in b.iterdir())


@needs_cgroup_v1
def test_groups_are_removed_after_each_submission_and_after_the_run(tmp_path: Path) -> None:
    lab = load_lab(copy_lab(NB_LAB, tmp_path, LIMITS))
    sub = Submission("ok", tmp_path, files={"nb-basics.ipynb": notebook(SOLUTIONS).encode(),
                                            "data/values.txt": DATA})
    with Grader(lab, workers=1) as grader:
        runs = grader._cgroups.run_folders()
        assert grader.grade(sub)["score"] == 6
        for folder in runs:  # the run's folders exist, the submission's group is gone
            assert folder.is_dir() and not [p for p in folder.iterdir() if p.is_dir()]
    assert not any(folder.exists() for folder in runs)


#: F7: busy processes, each in a session (an autogroup) of its own, for the whole wall time
HOG = textwrap.dedent("""\
    import os, time
    for _ in range(30):
        if os.fork() == 0:
            os.setsid()
            while True:
                pass
    time.sleep(3600)
    """)
#: an honest answer that needs 4 s of its own CPU
BUSY_HONEST = textwrap.dedent("""\
    import time
    _start = time.process_time()
    while time.process_time() - _start < 4:
        pass
    """) + SOLUTIONS["answer-total"]


@needs_cgroup_v1
@pytest.mark.skipif("cpu" not in getattr(CGROUPS, "bases", {}), reason="no cpu hierarchy")
def test_a_cpu_hog_does_not_starve_the_submission_graded_next_to_it(tmp_path: Path) -> None:
    """One CPU at most per submission and equal weights: the honest one, graded in
    parallel with a hog, still finishes well within the wall clock (real cgroup v1)."""
    limits = {**LIMITS, "wall_seconds": 30, "cpu_seconds": 20, "processes": 32}
    records = grade(tmp_path, {"a_hog": HOG, "b_honest": BUSY_HONEST}, workers=2,
                    limits=limits)
    assert records["b_honest"]["score"] == 6 and lines(records["b_honest"]) == ""
    assert "Time limit of 30 s" in lines(records["a_hog"])
