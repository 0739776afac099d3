"""Runtime state stays out of what the build walks: pip's editable build (setuptools'
package discovery, symlinks followed) once spent 10+ minutes in podman's image store."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from setuptools.config.expand import find_packages

from hub.docker.podman import PodmanHost, default_root
from tests.deploy.conftest import REPO


def test_container_store_defaults_outside_the_checkout(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("NORTHLAB_CONTAINERS", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert REPO not in default_root().parents
    monkeypatch.setenv("NORTHLAB_CONTAINERS", "/srv/podman-for-northlab")
    assert default_root() == Path("/srv/podman-for-northlab")


def test_package_discovery_never_enters_runtime_state(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch):
    """The project's own find settings, on a checkout whose var/ holds a store with a
    symlink loop (as podman's does) and whose node_modules/ is large."""
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    for package in ("northlab", "graders", "hub", "hub/docker"):
        (tmp_path / package).mkdir(parents=True)
        (tmp_path / package / "__init__.py").touch()
    store = tmp_path / "var" / "containers" / "storage" / "overlay"
    store.mkdir(parents=True)
    (store / "loop").symlink_to(tmp_path / "var")
    (tmp_path / "node_modules" / "left-pad").mkdir(parents=True)
    entered: list[str] = []
    walk = os.walk

    def recording_walk(top, *args, **kwargs):
        for root, dirs, files in walk(top, *args, **kwargs):
            entered.append(os.path.relpath(root, tmp_path))
            yield root, dirs, files

    monkeypatch.setattr(os, "walk", recording_walk)
    settings = tomllib.loads((tmp_path / "pyproject.toml").read_text())
    find = settings["tool"]["setuptools"]["packages"]["find"]
    packages = find_packages(**find, root_dir=tmp_path)  # as pyproject builds do
    assert sorted(packages) == ["graders", "hub", "hub.docker", "northlab"]
    assert [d for d in entered if d.split(os.sep)[0] in ("var", "node_modules")] == []


def test_remove_deletes_the_podman_folder(tmp_path: Path):
    """`make clean` runs this: the store outside the checkout goes too."""
    root = tmp_path / "containers"
    (root / "storage" / "overlay").mkdir(parents=True)
    done = subprocess.run([sys.executable, "-m", "hub.docker.images", "--remove", "--root",
                           str(root)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not root.exists()
    PodmanHost(root).remove()  # again: nothing to do, no error


def test_folders_named_like_our_packages_never_shadow_them(tmp_path: Path):
    """A course keeps the bridge's notes in ``<course>/northlab/``, a learner may make a
    ``hub`` folder: a process started there (with its folder first on ``sys.path``, as
    ``python -c``, kernels and nbgrader's converters have) still imports our packages."""
    for name in ("northlab", "graders", "hub"):
        (tmp_path / name).mkdir()
    found = subprocess.run(
        [sys.executable, "-c", "import northlab, graders, hub\n"
         "print(northlab.__file__, graders.__file__, hub.__file__)"],
        cwd=tmp_path, capture_output=True, text=True, check=True).stdout.split()
    assert found == [str(REPO / name / "__init__.py") for name in ("northlab", "graders", "hub")]
