"""Image sizes and build times: cold (an empty podman store, stand-ins and all) and warm (the
same build again, every layer cached), offline from the wheelhouse.

    .venv/bin/python benchmarks/images.py [IMAGE ...]      # default: every image
    .venv/bin/python benchmarks/images.py --reuse [IMAGE ...]  # podman's usual store

The cold store is a fresh folder beside the default podman folder, outside the checkout
(removed afterwards); the wheelhouse and npm cache in var/build/ are reused if present
(their own time is printed as a step). Prints each step's seconds, the totals and the size
of every image. ``--reuse`` builds in podman's usual store instead (kept): the first build
then reuses whatever layers are still valid there (what a source change costs), not cold.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

# Run as a script, this folder comes first on sys.path and its hub.py would hide the
# hub package: look things up from the repository root instead.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from hub.docker.images import NORTHLAB_IMAGES, build_images  # noqa: E402
from hub.docker.podman import PodmanHost, default_root  # noqa: E402


def timed_build(host: PodmanHost, images: list[str], label: str) -> float:
    """Build ``images``, printing each step's seconds as it ends (a long run that is
    stopped still shows its figures); the total seconds."""
    print(f"\n{label} build:", flush=True)
    started = time.monotonic()
    build_images(host, images, report=lambda name, seconds: print(
        f"  {name:<58} {seconds:6.0f} s", flush=True))
    total = time.monotonic() - started
    print(f"{label} build: {total:.0f} s", flush=True)
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("images", nargs="*", default=list(NORTHLAB_IMAGES), metavar="IMAGE")
    parser.add_argument("--reuse", action="store_true",
                        help="build in podman's usual store (kept) instead of an empty one")
    args = parser.parse_args()
    default_root().parent.mkdir(parents=True, exist_ok=True)
    host = PodmanHost(default_root() if args.reuse else Path(tempfile.mkdtemp(
        prefix="bench-containers-", dir=default_root().parent)))
    try:
        first = timed_build(host, args.images, "reused store" if args.reuse else "cold")
        warm = timed_build(host, args.images, "warm")
        print(f"\nwarm/first: {warm / first:.2f}\n\nimage sizes:")
        print(host.run(["images", "--format", "{{.Repository}}:{{.Tag}}  {{.Size}}"],
                       timeout=120))
    finally:
        if not args.reuse:
            host.remove()
    return 0


if __name__ == "__main__":
    sys.exit(main())
