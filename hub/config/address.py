"""Where the running hub of a data root answers.

``northlab hub`` / ``demo`` write ``<data_root>/hub/address`` once the hub answers and
remove it when it stops, so the ``northlab`` command finds a hub started with another
``NORTHLAB_PORT`` than its own environment has.
"""

from __future__ import annotations

from pathlib import Path

from hub.config.settings import Settings


def address_file(settings: Settings) -> Path:
    return settings.hub_dir / "address"


def write_hub_address(settings: Settings) -> None:
    """Record the address of the hub started with ``settings``."""
    address_file(settings).write_text(f"http://127.0.0.1:{settings.port}\n")


def hub_address(settings: Settings) -> str:
    """Base URL of the running hub of ``settings``' data root (its settings' port if it
    wrote no address)."""
    try:
        return address_file(settings).read_text().strip()
    except OSError:
        return f"http://127.0.0.1:{settings.port}"
