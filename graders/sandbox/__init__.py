"""Sandboxes that run learner code (see :mod:`graders.sandbox.base` for the contract).

``NORTHLAB_SANDBOX`` = ``bubblewrap`` | ``rlimits`` | ``container`` forces one; by default
:func:`detect` takes the strongest available: bubblewrap, then rlimits.
"""

from __future__ import annotations

from functools import cache

from graders.sandbox.base import LaunchSpec, Sandbox
from graders.sandbox.bubblewrap import BubblewrapSandbox
from graders.sandbox.container import ContainerSandbox
from graders.sandbox.rlimits import RlimitSandbox
from northlab.settings import SandboxSettings, load

SANDBOXES: dict[str, type[Sandbox]] = {
    cls.name: cls for cls in (BubblewrapSandbox, ContainerSandbox, RlimitSandbox)
}


class SandboxUnavailable(RuntimeError):
    """The sandbox named in NORTHLAB_SANDBOX cannot run on this host."""


@cache
def detect(name: str | None = None) -> Sandbox:
    """The sandbox to use: ``name`` / ``NORTHLAB_SANDBOX`` if set, else the strongest."""
    name = name or load(SandboxSettings).sandbox or None
    if name:
        cls = SANDBOXES.get(name)
        if cls is None:
            raise SandboxUnavailable(f"unknown sandbox '{name}' (known: {', '.join(SANDBOXES)})")
        if name != "container" and not cls.available():
            raise SandboxUnavailable(f"sandbox '{name}' is not available on this host")
        return cls()
    for cls in (BubblewrapSandbox, RlimitSandbox):
        if cls.available():
            return cls()
    raise SandboxUnavailable("no sandbox available")


__all__ = ["LaunchSpec", "Sandbox", "SandboxUnavailable", "detect", "SANDBOXES"]
