"""Build northlab's images offline: Python packages from a wheelhouse and npm packages from a
cache, both made on the host (``var/build/``), and, where upstream base images cannot be
pulled, stand-ins made from Debian (``images/standins/``) tagged with the upstream names.

    python -m hub.docker.images                      # every image
    python -m hub.docker.images hub grader cybersecurity
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path

from hub.config.settings import REPO
from hub.docker.podman import PodmanError, PodmanHost, default_root, missing_tools
from hub.tracks import TRACKS

IMAGES = REPO / "images"
BUILD = REPO / "var" / "build"
WHEELHOUSE = BUILD / "wheelhouse"
NPM_CACHE = BUILD / "npm-cache"
LABEXTENSION = BUILD / "labextension"
#: npm's own package for the node stand-in (images/standins/node, build argument
#: NPM_VERSION), in Debian bookworm's npm version (npm 10 did not find
#: configurable-http-proxy in the offline cache).
NPM_VERSION = "9.2.0"
NPM_PACKAGE = BUILD / "npm" / f"npm-{NPM_VERSION}.tgz"
LABEXTENSION_SOURCE = REPO / "hub" / "labextension"
COMPOSE = REPO / "hub" / "docker" / "compose.yaml"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
STANDIN_DEBIAN = "localhost/northlab-standin/debian:bookworm"
#: Upstream base image -> its stand-in's folder in images/standins/.
STANDINS = {
    "docker.io/library/python:3.11.11-slim-bookworm": "python",
    "docker.io/library/node:22.12.0-bookworm-slim": "node",
    "quay.io/jupyter/minimal-notebook:2025-11-24": "minimal-notebook",
    "quay.io/jupyterhub/k8s-hub:4.3.5": "k8s-hub",
    "docker.io/library/postgres:16.4-bookworm": "postgres",
    "quay.io/jupyterhub/configurable-http-proxy:5.2.0": "configurable-http-proxy",
}
#: northlab's images in build order (the tracks build on base).
NORTHLAB_IMAGES = ("base", *TRACKS, "grader", "hub")
#: Seconds one step may take before the build stops with a clear error.
STEP_TIMEOUT = 1200


def qualified(image: str) -> str:
    """``image`` as Docker names it in full (``postgres:16`` -> docker.io/library/...)."""
    first = image.split("/", 1)[0]
    if "/" in image and ("." in first or ":" in first or first == "localhost"):
        return image
    return f"docker.io/{image}" if "/" in image else f"docker.io/library/{image}"


def base_images(dockerfile: Path) -> list[str]:
    """Upstream images a Dockerfile starts FROM (ARG defaults resolved, stages skipped)."""
    text = dockerfile.read_text()
    args = dict(re.findall(r"^ARG\s+(\w+)=(\S+)", text, re.MULTILINE))
    stages = set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", text, re.MULTILINE | re.IGNORECASE))
    found = []
    for image in re.findall(r"^FROM\s+(\S+)", text, re.MULTILINE):
        image = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), ""), image)
        if image not in stages:
            found.append(qualified(image))
    return found


def python_requirements(tracks: Iterable[str] = TRACKS) -> list[str]:
    """What the wheelhouse must hold for images of ``tracks``: northlab's dependencies,
    those tracks' extras and requirements files, and the build backend."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    lines = list(project["project"]["dependencies"])
    for track in tracks:
        lines += project["project"]["optional-dependencies"][track]
        text = (IMAGES / track / "requirements.txt").read_text()
        lines += filter(None, (line.split("#")[0].strip() for line in text.splitlines()))
    return sorted(set(lines)) + project["build-system"]["requires"] + ["wheel"]


def run(command: list[str], what: str, *, timeout: float = STEP_TIMEOUT, **kwargs) -> None:
    """Run a host command; PodmanError (same clear style) on failure or timeout."""
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as error:
        raise PodmanError(f"{what}: no answer after {timeout:.0f} s") from error
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).decode(errors="replace").splitlines()[-15:]
        raise PodmanError(f"{what} failed (exit {done.returncode}):\n" + "\n".join(tail))


def make_wheelhouse(tracks: Iterable[str] = TRACKS) -> None:
    """Wheels for everything the images of ``tracks`` install (idempotent): from the
    wheelhouse itself when it already holds them (offline, as a site without internet
    rebuilds), else from the host's pip index (asking the index costs minutes even when
    nothing is new)."""
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as requirements:
        requirements.write("\n".join(python_requirements(tracks)) + "\n")
        requirements.flush()
        command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir",
                   str(WHEELHOUSE), "-r", requirements.name]
        try:
            run([*command, "--no-index", "--find-links", str(WHEELHOUSE)],
                "pip wheel (from the wheelhouse)")
        except PodmanError:
            run(command, "pip wheel (the wheelhouse)")


NPM_FILES = ("package.json", "package-lock.json", "hub/labextension/package.json")


def make_npm_cache() -> None:
    """An npm cache holding package-lock.json's packages (idempotent: nothing to do when
    it was made from the same files)."""
    made_from = NPM_CACHE / "northlab-made-from.sha256"
    digest = hashlib.sha256(b"".join((REPO / name).read_bytes() for name in NPM_FILES))
    if made_from.exists() and made_from.read_text() == digest.hexdigest():
        return
    with tempfile.TemporaryDirectory() as scratch:
        for name in NPM_FILES:
            Path(scratch, name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(REPO / name, Path(scratch, name))
        run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--cache",
             str(NPM_CACHE)], "npm ci (the npm cache)", cwd=scratch)
    made_from.write_text(digest.hexdigest())


def make_npm_package() -> None:
    """npm's package (:data:`NPM_PACKAGE`, it bundles its dependencies) from the npm
    registry (idempotent)."""
    if NPM_PACKAGE.exists():
        return
    NPM_PACKAGE.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        run(["npm", "pack", "--silent", f"npm@{NPM_VERSION}", "--pack-destination", scratch],
            f"npm pack npm@{NPM_VERSION} (npm for the node stand-in)")
        shutil.move(Path(scratch, NPM_PACKAGE.name), NPM_PACKAGE)


def copy_labextension() -> None:
    """northlab's JupyterLab extension, as `make install` built it, for the base image."""
    package = json.loads((LABEXTENSION_SOURCE / "package.json").read_text())
    built = (LABEXTENSION_SOURCE / package["jupyterlab"]["outputDir"]).resolve()
    if not (built / "package.json").exists():
        raise PodmanError(f"the {package['name']} JupyterLab extension is not built in "
                          f"{built}: run `make install` first")
    shutil.rmtree(LABEXTENSION, ignore_errors=True)
    shutil.copytree(built, LABEXTENSION / package["name"])


def make_debian(host: PodmanHost) -> None:
    """The stand-ins' root: Debian bookworm minbase from the mirror, imported."""
    with tempfile.TemporaryDirectory(dir=host.root) as scratch:
        rootfs = Path(scratch) / "rootfs"
        run(["debootstrap", "--variant=minbase", "bookworm", str(rootfs), DEBIAN_MIRROR],
            "debootstrap (Debian for the stand-in images)")
        for package in (rootfs / "var" / "cache" / "apt" / "archives").glob("*.deb"):
            package.unlink()  # installed already: 30 MB less in every stand-in
        tar = subprocess.run(["tar", "-C", str(rootfs), "-c", "."], capture_output=True,
                             check=True, timeout=STEP_TIMEOUT).stdout
        host.run(["import", "--change", 'CMD ["/bin/bash"]', "-", STANDIN_DEBIAN],
                 stdin=tar, timeout=STEP_TIMEOUT, what="podman import (Debian)")


def build(host: PodmanHost, dockerfile: Path, tag: str, build_args: dict[str, str]) -> None:
    """``podman build`` one Dockerfile from the repository root, offline."""
    arguments = [f"--build-arg={k}={v}" for k, v in build_args.items()]
    host.run(["build", "--network=host", "--pull=never", "--layers", "-f", str(dockerfile),
              "--ignorefile", f"{dockerfile}.dockerignore", *arguments, "-t", tag, str(REPO)],
             timeout=STEP_TIMEOUT, what=f"podman build {tag}")


def needed_standins(images: Iterable[str]) -> list[str]:
    """Stand-ins to build for ``images``, their own bases first."""
    order: list[str] = []

    def visit(image: str) -> None:
        if image in order or image not in STANDINS:
            return
        for base in base_images(IMAGES / "standins" / STANDINS[image] / "Dockerfile"):
            visit(base)
        order.append(image)

    for image in images:
        visit(image)
    return order


def compose_images(compose_file: Path) -> list[str]:
    """Images a compose file runs, qualified (``${VAR:-default}`` resolved to the default)."""
    text = compose_file.read_text()
    found = re.findall(r"^\s*image:\s*(\S+)", text, re.MULTILINE)
    return [qualified(re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", image)) for image in found]


Report = Callable[[str, float], None]


def timed(report: Report | None, name: str, action: Callable[[], None]) -> None:
    started = time.monotonic()
    action()
    if report:
        report(name, time.monotonic() - started)


def build_standins(host: PodmanHost, images: Iterable[str], report: Report | None = None) -> None:
    """Build (or bring up to date, from the layer cache) the stand-ins of upstream
    ``images``."""
    host.write_config()
    standins = needed_standins(images)
    if standins and not host.has_image(STANDIN_DEBIAN):
        timed(report, "debian (debootstrap)", lambda: make_debian(host))
    if any(STANDINS[image] == "node" for image in standins):
        timed(report, "npm (its package)", make_npm_package)
    if any(STANDINS[image] == "configurable-http-proxy" for image in standins):
        timed(report, "npm cache", make_npm_cache)
    for image in standins:
        dockerfile = IMAGES / "standins" / STANDINS[image] / "Dockerfile"
        # the version in the build: a bind-mounted file alone does not renew a cached layer
        args = {"NPM_VERSION": NPM_VERSION} if STANDINS[image] == "node" else {}
        timed(report, f"stand-in {image}", lambda d=dockerfile, i=image, a=args: build(
            host, d, i, a))


def build_images(host: PodmanHost, names: Iterable[str], *, prefix: str = "northlab/",
                 tag: str = "latest", grader_tracks: Iterable[str] = TRACKS,
                 report: Report | None = None) -> None:
    """Build northlab images ``names`` (and whatever they need) on ``host``, then the
    stand-ins hub/docker/compose.yaml runs; the grader grades ``grader_tracks``; ``report``
    gets each step's name and seconds."""
    names = [n for n in NORTHLAB_IMAGES if n in set(names)]
    if any(n in TRACKS for n in names) and "base" not in names:
        names.insert(0, "base")
    grader_tracks = list(grader_tracks)
    tracks = {*(n for n in names if n in TRACKS), *(grader_tracks if "grader" in names else ())}
    host.write_config()
    timed(report, "wheelhouse", lambda: make_wheelhouse([t for t in TRACKS if t in tracks]))
    if "hub" in names:
        timed(report, "npm cache", make_npm_cache)
    if "base" in names:
        timed(report, "JupyterLab extension", copy_labextension)
    bases = [base for n in names for base in base_images(IMAGES / n / "Dockerfile")]
    build_standins(host, bases + compose_images(COMPOSE), report)
    for name in names:
        target = f"{prefix}{name}:{tag}"
        args = {"BASE_IMAGE": f"{prefix}base:{tag}"} if name in TRACKS else {}
        if name == "grader":
            args = {"TRACKS": ",".join(grader_tracks)}
        timed(report, target, lambda n=name, t=target, a=args: build(
            host, IMAGES / n / "Dockerfile", t, a))


def print_step(name: str, seconds: float) -> None:
    print(f"{name}: {seconds:.0f} s", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hub.docker.images", description=(
        "Build northlab's images with podman, offline: packages from a wheelhouse and an npm "
        "cache made on this machine, stand-ins for upstream base images it cannot pull."))
    parser.add_argument("images", nargs="*", metavar="IMAGE",
                        help=f"images to build (default all: {', '.join(NORTHLAB_IMAGES)})")
    parser.add_argument("--root", type=Path, default=None, help=(
        "podman's store, settings and socket (default $NORTHLAB_CONTAINERS, else "
        "~/.local/share/northlab/containers; never inside the checkout)"))
    parser.add_argument("--prefix", default="northlab/", help="image name prefix")
    parser.add_argument("--tag", default="latest", help="image tag")
    parser.add_argument("--prepare", action="store_true", help=(
        "only make the wheelhouse, npm cache and extension (var/build/), e.g. before "
        "`docker build`"))
    parser.add_argument("--remove", action="store_true", help=(
        "delete podman's folder: every image, container and volume it holds (make clean)"))
    args = parser.parse_args(argv)
    host = PodmanHost((args.root or default_root()).resolve())
    if args.remove:
        try:
            host.remove()
        except OSError as error:
            parser.exit(1, f"northlab: cannot delete {host.root}: {error.strerror}\n")
        return 0
    unknown = set(args.images) - set(NORTHLAB_IMAGES)
    if unknown:
        parser.error(f"unknown image(s): {', '.join(sorted(unknown))}")
    if args.prepare:
        try:
            timed(print_step, "wheelhouse", make_wheelhouse)
            timed(print_step, "npm cache", make_npm_cache)
            timed(print_step, "JupyterLab extension", copy_labextension)
        except PodmanError as error:
            parser.exit(1, f"northlab: {error}\n")
        return 0
    if missing := missing_tools():
        parser.exit(1, f"northlab: install these Debian packages first: {' '.join(missing)}\n")
    try:
        build_images(host, args.images or NORTHLAB_IMAGES, prefix=args.prefix, tag=args.tag,
                     report=print_step)
    except PodmanError as error:
        parser.exit(1, f"northlab: {error}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
