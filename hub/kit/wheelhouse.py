"""A track's Python packages as wheels, downloaded once from PyPI with ``pip download``.

A kit installs JupyterLab, pytest (code labs' visible tests) and the track's extra from
northlab's own ``pyproject.toml`` (the extra lists what the track's labs import), plus pip
itself, so a venv made ``--without-pip`` on the laptop can install from the folder. The
wheels are cached per track and per requirement set under the data root
(``<data_root>/kit-wheels/``); a cache folder is used only once its ``complete`` marker
exists, so an interrupted download is never mistaken for a full one.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from hub.config.settings import REPO

#: Distributions from northlab's own requirements that every kit installs besides the extra.
KIT_BASE = ("jupyterlab", "pytest")
BOOTSTRAP = "pip"
COMPLETE = "complete"
PYPROJECT = REPO / "pyproject.toml"


class WheelhouseError(Exception):
    """The wheels could not be gathered; the message is one sentence."""


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower()


def requirements(track: str, pyproject: Path = PYPROJECT) -> list[str]:
    """What a kit of ``track`` installs: ``KIT_BASE`` pinned as northlab pins them, then
    the track's extra."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    declared = [*project["dependencies"], *project["optional-dependencies"].get("test", [])]
    base = {_name(r): r for r in declared}
    extra = project["optional-dependencies"].get(track)
    if extra is None:
        raise WheelhouseError(f"Track {track} has no extra in {pyproject}.")
    pinned = [base.get(name, name) for name in KIT_BASE]
    return sorted({*pinned, *extra}, key=_name)


def python_tag() -> str:
    """The interpreter the wheels are for (the kit's laptops need the same Python)."""
    return f"cp{sys.version_info.major}{sys.version_info.minor}"


def cache_key(track: str, wanted: list[str]) -> str:
    digest = hashlib.sha256(json.dumps([python_tag(), wanted]).encode()).hexdigest()[:12]
    return f"{track}-{python_tag()}-{digest}"


def wheelhouse(track: str, cache_root: Path, *, quiet: bool = False) -> Path:
    """The folder of wheels for ``track`` (downloaded into ``cache_root`` when missing)."""
    wanted = requirements(track)
    folder = Path(cache_root) / cache_key(track, wanted)
    if (folder / COMPLETE).is_file():
        return folder
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    command = [sys.executable, "-m", "pip", "download", "--only-binary=:all:",
               "--disable-pip-version-check", "--dest", str(partial), BOOTSTRAP, *wanted]
    # pip's own progress bars go to the terminal; nothing is captured unless asked quiet.
    result = subprocess.run(command, check=False, text=True, capture_output=quiet)
    if result.returncode != 0:
        tail = (result.stderr or "").strip().splitlines()[-1:] if quiet else []
        raise WheelhouseError(
            f"pip could not download the {track} wheels from PyPI (is the server online?)"
            + (f": {tail[0]}" if tail else "."))
    (partial / "requirements.txt").write_text("\n".join(wanted) + "\n", encoding="utf-8")
    (partial / COMPLETE).write_text("", encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return folder


def size_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in Path(folder).glob("*.whl"))
