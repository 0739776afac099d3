"""Per-submission cgroups: memory and pids of each worker child bounded by the kernel.

Each grading run holds a uid block (:mod:`graders.sandbox.uids`, an ``flock`` in a
root-owned folder), and names its cgroups after it: ``northlab-<block>/<role><slot>-<n>``.
Two runs on one host (two checkouts, a test run and formgrader) never hold the same block,
so they never share a group name; groups left by a run that crashed while holding the
block are killed and removed by the next run that takes it.

For every submission the parent creates a fresh group with the lab's memory limit (plus
headroom for the copy-on-write pages the child inherits from its zygote; no swap) and
process limit, moves the worker child into it before any learner code runs, reads the
kernel's counters after the run (did the group hit its memory or pids limit, did the OOM
killer act, how much CPU its processes used: the parent's own observation, never the
worker's word), kills whatever is left in it and removes it. The cpu controller caps each
submission at one CPU (and gives every slot the same weight), so a submission that forks
busy processes slows only itself, never the submission graded next to it.

Both hierarchies are supported: cgroup v2 (``memory.max``, ``memory.swap.max``,
``pids.max``, ``cpu.max``, ``cpu.weight``, ``memory.events``, ``pids.events``,
``cpu.stat``, ``cgroup.kill``; the usual on Debian 12) and cgroup v1 (``memory`` and
``pids`` required, ``cpu``, ``cpuacct`` and ``freezer`` used when mounted;
``memory.limit_in_bytes``, ``memory.memsw.limit_in_bytes``, ``memory.oom_control``,
``pids.events``, ``cpu.cfs_quota_us``, ``cpu.shares``,
``cpuacct.usage``, ``freezer.state``). The v1 groups are made below the grader's own
group of each controller, so they stay inside whatever accounting the host put the
grader in. :func:`find` returns None when neither is writable (not root, or delegated
nowhere); the record's ``isolation`` then says ``no-cgroup``.
"""

from __future__ import annotations

import contextlib
import copy
import os
import signal
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
HEADROOM_MB = 256  #: pages a child copies from its zygote, on top of the lab's memory limit
EXTRA_PIDS = 4  #: the child itself and its helper threads, on top of the lab's limit
CPU_PERIOD_US = 100_000  #: cfs period; each submission gets one period of CPU per period
CPU_SHARES = 1024  #: v1 weight of every submission (equal), v2 ``cpu.weight`` 100


@dataclass
class Usage:
    """What the kernel says a group went through (read by the parent after the run)."""

    memory_hit: bool = False  #: the kernel's OOM killer acted in the group (its limit was hit)
    pids_hit: bool = False  #: a fork or thread was refused by the process limit
    #: CPU seconds used by every process of the group (None: no cpu accounting here)
    cpu_seconds: float | None = None


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _counter(text: str, key: str) -> int:
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == key and parts[1].isdigit():
            return int(parts[1])
    return 0


def _kill_members(folders: list[Path], attempts: int = 200) -> None:
    """SIGKILL every process listed in the groups until they are empty (bounded)."""
    for _ in range(attempts):
        pids = {int(p) for f in folders for p in _read(f / "cgroup.procs").split()
                if p.isdigit()}
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.005)


def _remove_tree(folder: Path) -> None:
    """Kill and remove ``folder`` and every group below it (deepest first)."""
    if not folder.is_dir():
        return
    for sub, dirs, _files in os.walk(folder, topdown=False):
        for name in dirs:
            _remove_tree(Path(sub) / name)
    _kill_members([folder])
    for _ in range(100):
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:  # members still exiting
            _kill_members([folder])
            time.sleep(0.01)


class Group(ABC):
    """One submission's cgroup (one folder per hierarchy it spans)."""

    def __init__(self, folders: list[Path]) -> None:
        self.folders = folders

    def join(self, pid: int) -> None:
        """Move process ``pid`` (as the grader sees it) into the group."""
        for folder in self.folders:
            (folder / "cgroup.procs").write_text(str(pid))

    @abstractmethod
    def usage(self) -> Usage:
        """The kernel's counters for this group."""

    def kill(self) -> None:
        """Kill every process of the group now (the parent's own wall-clock limit: it
        needs nobody inside the sandbox to answer)."""
        _kill_members(self.folders)

    def remove(self) -> None:
        """Kill whatever is left in the group and remove it."""
        for folder in self.folders:
            _remove_tree(folder)


class _NoGroup(Group):
    """Where no cgroup hierarchy is writable: rlimits only (the record says so)."""

    def join(self, pid: int) -> None:
        return None

    def usage(self) -> Usage:
        return Usage()

    def kill(self) -> None:
        return None


NO_GROUP: Group = _NoGroup([])


class Cgroups(ABC):
    """A writable cgroup hierarchy; :meth:`open_run` binds it to a run's uid block."""

    version = ""

    def __init__(self) -> None:
        self.block: int | None = None
        self._count = 0

    def note(self) -> str:
        """The ``isolation`` fragment, e.g. ``cgroup-v1(memory,pids,cpu)``."""
        return f"cgroup-{self.version}({','.join(self.controllers())})"

    def controllers(self) -> list[str]:
        """The controllers each submission's group gets."""
        return ["memory", "pids", "cpu"]

    @abstractmethod
    def run_folders(self) -> list[Path]:
        """The folders of the current run (one per hierarchy)."""

    @abstractmethod
    def _make(self, folders: list[Path], memory: int, pids: int) -> Group:
        """Create the group folders and write their limits."""

    def open_run(self, block: int, slots: int = 1) -> Cgroups:
        """This hierarchy bound to the run holding uid block ``block``; its folders are
        made fresh (what a crashed run of the same block left is killed and removed). The
        run weighs ``slots`` times one submission against the host's other work (as many
        sessions would); each of its submissions weighs the same and gets one CPU at most."""
        run = copy.copy(self)
        run.block, run._count = block, 0
        for folder in run.run_folders():
            _remove_tree(folder)
            folder.mkdir(parents=True)
        run._prepare_run(max(1, int(slots)))
        return run

    def _prepare_run(self, slots: int) -> None:
        return None

    def close_run(self) -> None:
        if self.block is None:
            return
        for folder in self.run_folders():
            _remove_tree(folder)
        self.block = None

    def create(self, name: str, memory_mb: int, processes: int) -> Group:
        """A fresh group for one submission: ``memory_mb`` (+ :data:`HEADROOM_MB`) of
        memory, no swap, and ``processes`` (+ :data:`EXTRA_PIDS`) tasks."""
        if self.block is None:
            raise RuntimeError("open_run() first")
        self._count += 1
        folders = [run / f"{name}-{self._count}" for run in self.run_folders()]
        group = self._make(folders, (int(memory_mb) + HEADROOM_MB) * 1024 * 1024,
                           int(processes) + EXTRA_PIDS)
        return group


class V2Group(Group):
    def usage(self) -> Usage:
        folder = self.folders[0]
        memory = _read(folder / "memory.events")
        cpu = _read(folder / "cpu.stat")
        return Usage(memory_hit=_counter(memory, "oom_kill") > 0,
                     pids_hit=_counter(_read(folder / "pids.events"), "max") > 0,
                     cpu_seconds=_counter(cpu, "usage_usec") / 1e6 if cpu else None)

    def kill(self) -> None:
        kill = self.folders[0] / "cgroup.kill"
        if kill.exists():
            with contextlib.suppress(OSError):
                kill.write_text("1")
        super().kill()

    def remove(self) -> None:
        self.kill()
        super().remove()


class CgroupsV2(Cgroups):
    """A cgroup v2 tree with the memory and pids controllers (``root`` is its top)."""

    version = "v2"

    def __init__(self, root: Path = ROOT) -> None:
        super().__init__()
        self.root = Path(root)

    @staticmethod
    def usable(root: Path = ROOT) -> bool:
        controllers = _read(Path(root) / "cgroup.controllers").split()
        return {"memory", "pids", "cpu"} <= set(controllers) and os.access(root, os.W_OK)

    def run_folders(self) -> list[Path]:
        return [self.root / f"northlab-{self.block}"]

    def _prepare_run(self, slots: int) -> None:
        for folder in (self.root, *self.run_folders()):
            (folder / "cgroup.subtree_control").write_text("+memory +pids +cpu")
        (self.run_folders()[0] / "cpu.weight").write_text(str(min(10000, 100 * slots)))

    def _make(self, folders: list[Path], memory: int, pids: int) -> Group:
        folder = folders[0]
        folder.mkdir()
        (folder / "memory.max").write_text(str(memory))
        (folder / "memory.swap.max").write_text("0")
        (folder / "pids.max").write_text(str(pids))
        (folder / "cpu.max").write_text(f"{CPU_PERIOD_US} {CPU_PERIOD_US}")
        (folder / "cpu.weight").write_text("100")
        return V2Group(folders)


class V1Group(Group):
    def __init__(self, folders: dict[str, Path]) -> None:
        super().__init__(list(folders.values()))
        self.by_controller = folders

    def usage(self) -> Usage:
        memory, pids = self.by_controller["memory"], self.by_controller["pids"]
        cpu = self.by_controller.get("cpuacct")
        usage = _read(cpu / "cpuacct.usage").strip() if cpu is not None else ""
        return Usage(
            memory_hit=_counter(_read(memory / "memory.oom_control"), "oom_kill") > 0,
            pids_hit=_counter(_read(pids / "pids.events"), "max") > 0,
            cpu_seconds=int(usage) / 1e9 if usage.isdigit() else None)

    def kill(self) -> None:
        """Freeze the group (no fork can race the kill), kill its members, thaw."""
        freezer = self.by_controller.get("freezer")
        state = freezer / "freezer.state" if freezer is not None else None
        if state is not None:
            with contextlib.suppress(OSError):
                state.write_text("FROZEN")
        super().kill()
        if state is not None:
            with contextlib.suppress(OSError):
                state.write_text("THAWED")
        super().kill()


def own_group(controller: str, proc_cgroup: str) -> str:
    """The grader's own group path for a v1 ``controller`` (from /proc/self/cgroup)."""
    for line in proc_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3 and controller in parts[1].split(","):
            return parts[2].strip("/")
    return ""


REQUIRED_V1 = ("memory", "pids")
OPTIONAL_V1 = ("cpu", "cpuacct", "freezer")  #: used when mounted on their own and writable


def _v1_usable(root: Path, controller: str) -> bool:
    return (root / controller / "cgroup.procs").is_file() and os.access(root / controller,
                                                                       os.W_OK)


class CgroupsV1(Cgroups):
    """cgroup v1: the ``memory`` and ``pids`` hierarchies mounted under ``root`` (and
    ``cpu``, ``cpuacct``, ``freezer`` when they are)."""

    version = "v1"

    def __init__(self, root: Path = ROOT, proc_cgroup: str | None = None) -> None:
        super().__init__()
        text = proc_cgroup if proc_cgroup is not None else _read(Path("/proc/self/cgroup"))
        names = [*REQUIRED_V1, *(c for c in OPTIONAL_V1 if _v1_usable(Path(root), c))]
        self.bases = {c: Path(root) / c / own_group(c, text) for c in names}

    def controllers(self) -> list[str]:
        return list(self.bases)

    @staticmethod
    def usable(root: Path = ROOT) -> bool:
        return all(_v1_usable(Path(root), c) for c in REQUIRED_V1)

    def run_folders(self) -> list[Path]:
        return [base / f"northlab-{self.block}" for base in self.bases.values()]

    def _prepare_run(self, slots: int) -> None:
        if "cpu" in self.bases:
            (self.bases["cpu"] / f"northlab-{self.block}" / "cpu.shares").write_text(
                str(CPU_SHARES * slots))

    def _make(self, folders: list[Path], memory: int, pids: int) -> Group:
        by = dict(zip(self.bases, folders, strict=True))
        for folder in folders:
            folder.mkdir()
        (by["memory"] / "memory.limit_in_bytes").write_text(str(memory))
        swap = by["memory"] / "memory.memsw.limit_in_bytes"
        if swap.exists():
            swap.write_text(str(memory))
        (by["pids"] / "pids.max").write_text(str(pids))
        if "cpu" in by:
            (by["cpu"] / "cpu.shares").write_text(str(CPU_SHARES))
            (by["cpu"] / "cpu.cfs_period_us").write_text(str(CPU_PERIOD_US))
            (by["cpu"] / "cpu.cfs_quota_us").write_text(str(CPU_PERIOD_US))
        return V1Group(by)


def find(root: Path = ROOT) -> Cgroups | None:
    """The cgroup hierarchy this host lets the grader use (v2 first), else None."""
    if os.geteuid() != 0:
        return None
    if CgroupsV2.usable(root):
        return CgroupsV2(root)
    if CgroupsV1.usable(root):
        return CgroupsV1(root)
    return None
