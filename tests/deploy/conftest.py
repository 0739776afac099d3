"""Build the real hub config (hub/jupyterhub_config.py) in a chosen mode, without a hub."""

from __future__ import annotations

import runpy
from collections.abc import Callable
from pathlib import Path

import pytest
from traitlets.config import Config

REPO = Path(__file__).resolve().parents[2]
HUB_CONFIG = REPO / "hub" / "jupyterhub_config.py"


@pytest.fixture
def hub_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Config]:
    """``hub_config(mode, **settings)`` -> the Config that jupyterhub_config.py builds."""

    def build(mode: str, **settings: str) -> Config:
        for name in list(__import__("os").environ):
            if name.startswith("NORTHLAB_"):
                monkeypatch.delenv(name)
        monkeypatch.setenv("NORTHLAB_CONFIG", str(tmp_path / "northlab.toml"))
        (tmp_path / "northlab.toml").write_text("")
        monkeypatch.setenv("NORTHLAB_MODE", mode)
        monkeypatch.setenv("NORTHLAB_DATA", str(tmp_path / "data"))
        for key, value in settings.items():
            monkeypatch.setenv(f"NORTHLAB_{key.upper()}", value)
        config = Config()
        runpy.run_path(str(HUB_CONFIG), init_globals={"get_config": lambda: config})
        return config

    return build
