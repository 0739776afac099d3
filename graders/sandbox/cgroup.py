"""cgroup v2 limits for sandboxes, when the host delegates them (used only if writable).

Each (role, slot) gets ``<root>/northlab/<role>-<slot>/`` with ``memory.max`` (the lab's
memory limit plus headroom for the pre-warmed interpreter), ``memory.swap.max = 0`` and
``pids.max``. The zygote is placed in it before it starts (``preexec``), so every process
it forks is accounted there too. On hosts without a writable cgroup v2 tree with the
memory and pids controllers (for example cgroup v1 or hybrid hosts), :func:`find` returns
None and the result's ``isolation`` says ``no-cgroup``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
HEADROOM_MB = 512  #: the zygote's own memory (interpreter + numpy/pandas) on top of the limit
EXTRA_PIDS = 8  #: the zygote and its helpers on top of the lab's process limit


class Cgroups:
    """The ``northlab`` subtree of a cgroup v2 hierarchy."""

    def __init__(self, root: Path = ROOT) -> None:
        self.base = Path(root) / "northlab"

    @staticmethod
    def usable(root: Path = ROOT) -> bool:
        try:
            controllers = (Path(root) / "cgroup.controllers").read_text().split()
        except OSError:
            return False
        return {"memory", "pids"} <= set(controllers) and os.access(root, os.W_OK)

    def _enable(self, folder: Path) -> None:
        (folder / "cgroup.subtree_control").write_text("+memory +pids")

    def prepare(self, name: str, memory_mb: int, processes: int) -> Path:
        """Create (or reset) the group ``name`` with its limits; return its folder."""
        if not self.base.is_dir():
            self._enable(self.base.parent)
            self.base.mkdir()
            self._enable(self.base)
        group = self.base / name
        group.mkdir(exist_ok=True)
        (group / "memory.max").write_text(str((memory_mb + HEADROOM_MB) * 1024 * 1024))
        (group / "memory.swap.max").write_text("0")
        (group / "pids.max").write_text(str(processes + EXTRA_PIDS))
        return group

    @staticmethod
    def joiner(group: Path) -> Callable[[], None]:
        """A ``preexec_fn`` that moves the new process into ``group``."""
        procs = str(group / "cgroup.procs")

        def join() -> None:
            with open(procs, "w") as handle:
                handle.write("0")
        return join


def find(root: Path = ROOT) -> Cgroups | None:
    """The northlab cgroup tree when this host lets the grader use one, else None."""
    return Cgroups(root) if os.geteuid() == 0 and Cgroups.usable(root) else None
