"""Take-home kit size per track, and proof that every track installs with no network.

For each track: the wheelhouse a kit carries (``pip download`` from PyPI, cached under
``var/kit-wheels``), then a fresh venv filled from those wheels alone inside a network
namespace with no route out (``unshare --net``, ``--no-index``), the same way the kit's
launcher does it, and an import of every library the track's lab notebooks import.

    .venv/bin/python benchmarks/kit.py [--track gamedev ...]

Prints, per track: wheels (MB), installed venv (MB), offline install time, imports checked;
and the same install from PyPI (stock ``pip install`` with the network) for the ratio.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)

from hub.config.settings import REPO  # noqa: E402
from hub.kit.wheelhouse import requirements, size_bytes, wheelhouse  # noqa: E402
from hub.tracks import TRACKS  # noqa: E402

CACHE = REPO / "var" / "kit-wheels"
IMPORT = re.compile(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", re.MULTILINE)


def lab_imports(track: str) -> list[str]:
    """Top-level modules the track's released labs import (notebooks and starter files;
    the standard library and the labs' own modules left out)."""
    names: set[str] = set()
    local: set[str] = set()
    for source in (REPO / "labs" / track).glob("*/source"):
        for path in source.rglob("*.py"):
            local.add(path.stem)
            names |= set(IMPORT.findall(path.read_text(encoding="utf-8")))
        for notebook in source.glob("*.ipynb"):
            for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
                if cell["cell_type"] == "code":
                    names |= set(IMPORT.findall("".join(cell["source"])))
    return sorted(names - set(sys.stdlib_module_names) - local - {"__future__"})


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def install(wheels: Path, venv: Path, *, offline: bool) -> float:
    """Seconds to make ``venv`` and install the kit's requirements into it."""
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(venv)], check=True)
    pip = next(wheels.glob("pip-*.whl")) / "pip"
    source = (["--no-index", "--find-links", str(wheels)] if offline
              else ["--no-cache-dir"])
    command = [str(venv / "bin" / "python"), str(pip), "install", "-q",
               "--disable-pip-version-check", *source, "-r", str(wheels / "requirements.txt")]
    if offline:
        command = ["unshare", "--net", *command]
    started = time.monotonic()
    subprocess.run(command, check=True)
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--track", action="append", choices=sorted(TRACKS),
                        help="track(s) to measure (default: all)")
    parser.add_argument("--skip-online", action="store_true",
                        help="do not time the stock online install")
    args = parser.parse_args()
    print(f"{'track':<14}{'wheels MB':>10}{'venv MB':>9}{'offline s':>10}{'online s':>9}"
          f"{'ratio':>7}  imports")
    for track in args.track or list(TRACKS):
        wheels = wheelhouse(track, CACHE, quiet=True)
        scratch = Path(tempfile.mkdtemp(prefix=f"northlab-kit-bench-{track}-"))
        try:
            offline = install(wheels, scratch / "offline", offline=True)
            modules = lab_imports(track)
            probe = "import " + ", ".join(modules) if modules else "pass"
            subprocess.run(["unshare", "--net", str(scratch / "offline" / "bin" / "python"),
                            "-c", probe], check=True,
                           env={"SDL_VIDEODRIVER": "dummy", "MPLBACKEND": "Agg"})
            online = None if args.skip_online else install(wheels, scratch / "online",
                                                          offline=False)
            ratio = f"{offline / online:.2f}" if online else "-"
            print(f"{track:<14}{size_bytes(wheels) / 2**20:>10.0f}"
                  f"{folder_mb(scratch / 'offline'):>9.0f}{offline:>10.1f}"
                  f"{online if online is not None else float('nan'):>9.1f}{ratio:>7}  "
                  f"{', '.join(modules) or '(standard library)'}", flush=True)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    print("requirements: " + "; ".join(f"{t}: {' '.join(requirements(t))}"
                                       for t in args.track or list(TRACKS)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
