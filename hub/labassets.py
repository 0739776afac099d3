"""What JupyterLab sends a learner: only the lab extensions and settings schemas in use.

JupyterLab loads every installed federated extension and lists the settings schemas of
every installed package, disabled or not. A single-user server calls :func:`configure`
from its config: it builds, in the user's own ``~/.local/share/northlab/``, folders of
symlinks holding only the extensions the role and track use (``hub.tracks``) and the
schemas of packages not disabled in the role's ``page_config.json``, and points
JupyterLab at them. Static files are served with long cache lifetimes (hashed names).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from jupyter_core.paths import jupyter_path

from hub.tracks import SINGLEUSER_CONFIG_DIR, TRACKS

#: northlab's own menu and language extension (hub/labextension), for every role.
NORTHLAB_EXTENSION = "@northlab/lab"
INSTRUCTOR_EXTENSIONS = ("@jupyter/nbgrader", "@jupyter-widgets/jupyterlab-manager")
#: Schemas of Notebook 7's own interface, unused by JupyterLab.
UNUSED_SCOPES = ("@jupyter-notebook",)


def _link(target: Path, link: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target, target_is_directory=True)


def extension_farm(dest: Path, keep: tuple[str, ...], sources: list[str]) -> Path:
    """``dest`` with a symlink for each kept extension found in ``sources`` (first wins)."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for name in keep:
        for source in sources:
            if (Path(source) / name / "package.json").exists():
                _link(Path(source) / name, dest / name)
                break
    return dest


def schema_farm(dest: Path, schemas_dir: Path, disabled: set[str]) -> Path:
    """``dest`` mirroring ``schemas_dir``'s packages, without the disabled ones."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for package in sorted(p for p in schemas_dir.glob("*/*") if p.is_dir()):
        name = f"{package.parent.name}/{package.name}"
        if name not in disabled and package.parent.name not in UNUSED_SCOPES:
            _link(package, dest / name)
    return dest


def disabled_packages(role: str) -> set[str]:
    """Whole packages (not single plugins) disabled for ``role``."""
    page_config = SINGLEUSER_CONFIG_DIR / role / "labconfig" / "page_config.json"
    disabled = json.loads(page_config.read_text())["disabledExtensions"]
    return {name for name, off in disabled.items() if off and ":" not in name}


def immutable_urls(base_url: str, extensions: tuple[str, ...]) -> list[str]:
    """URL prefixes of the extensions' ``static/`` files (webpack names them by content hash).

    jupyterlab_server marks them immutable without the server's base URL (``/lab/...``, not
    ``/user/<name>/lab/...``), so behind JupyterHub they were sent ``no-cache`` and fetched
    again at every open, each a round trip before the lab could go on."""
    return [f"{base_url.rstrip('/')}/lab/extensions/{name}/static/" for name in extensions]


def configure(c: Any, *, role: str, track: str, home: Path, schemas_dir: Path,
              base_url: str = "/") -> None:
    """Point JupyterLab (config ``c``) at the role's and track's extensions and schemas;
    their static files are cached for good (:func:`immutable_urls`)."""
    keep = (NORTHLAB_EXTENSION,
            *(INSTRUCTOR_EXTENSIONS if role == "instructor" else TRACKS[track].lab_extensions))
    base = home / ".local" / "share" / "northlab"
    c.LabApp.labextensions_path = [
        str(extension_farm(base / "labextensions", keep, jupyter_path("labextensions")))
    ]
    c.ServerApp.static_immutable_cache = immutable_urls(base_url, keep)
    c.LabApp.schemas_dir = str(
        schema_farm(base / "schemas", schemas_dir, disabled_packages(role))
    )
    c.LabApp.cache_files = True
