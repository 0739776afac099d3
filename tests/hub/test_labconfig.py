"""No JupyterLab plugin a role loads fails to activate: every plugin left enabled finds a
provider for each token it requires (a missing one is a console error on every page)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from hub.tracks import SINGLEUSER_CONFIG_DIR

STATIC = Path(sys.prefix) / "share" / "jupyter" / "lab" / "static"
PLUGIN = re.compile(r'id:"(@[\w.-]+/[\w.-]+:[\w.-]+)"(.{0,800})', re.S)


def core_plugins() -> dict[str, tuple[list[str], str | None]]:
    """JupyterLab's built-in plugins: id -> (tokens required, token provided), read from
    the built application's bundles."""
    text = "".join(p.read_text(errors="replace") for p in STATIC.glob("*.js"))
    plugins = {}
    for match in PLUGIN.finditer(text):
        body = match.group(2).split('id:"')[0]
        requires = re.search(r"requires:\[([^\]]*)\]", body)
        provides = re.search(r"provides:[\w$]+\.(\w+)", body)
        plugins[match.group(1)] = (
            [t.rsplit(".", 1)[-1] for t in requires.group(1).split(",") if t] if requires else [],
            provides.group(1) if provides else None,
        )
    return plugins


@pytest.mark.parametrize("role", ["learner", "instructor"])
def test_every_enabled_plugin_has_its_providers(role: str) -> None:
    plugins = core_plugins()
    assert "@jupyterlab/notebook-extension:language-server" in plugins  # the parse works
    page_config = SINGLEUSER_CONFIG_DIR / role / "labconfig" / "page_config.json"
    disabled = json.loads(page_config.read_text())["disabledExtensions"]

    def off(plugin: str) -> bool:
        return bool(disabled.get(plugin) or disabled.get(plugin.split(":")[0]))

    providers: dict[str, list[str]] = {}
    for plugin, (_, provides) in plugins.items():
        if provides:
            providers.setdefault(provides, []).append(plugin)
    failing = sorted(
        (plugin, token) for plugin, (requires, _) in plugins.items() if not off(plugin)
        for token in requires if token in providers and all(map(off, providers[token]))
    )
    assert not failing, f"plugins that cannot activate for {role}: {failing}"
