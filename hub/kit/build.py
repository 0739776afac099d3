"""``northlab kit build``: write a take-home kit folder for one cohort and track.

Layout of a kit (a USB stick, or a refurbished laptop's disk)::

    northlab-kit              the one command on the laptop (sh: install, start, sync)
    README.txt                what to do, in English and French
    manifest.json             signed by the hub: cohort, track, learner, labs and file hashes
    labs/<lab>/               the released labs, untouched (to restore a file from)
    work/<lab>/               the learner's copies: JupyterLab opens here, hand-ins read here
    .kit/launcher.py          the launcher (standard library only), messages.json
    .kit/wheels/, .kit/requirements.txt   the track's packages, installed with --no-index
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import stat
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from graders.lab import LabError, load_lab
from hub.config.settings import Settings
from hub.kit import manifest, wheelhouse
from hub.services.exchange.tracks import lab_tracks
from northlab.i18n import Catalog

HERE = Path(__file__).resolve().parent
LOCALE = Catalog(HERE / "locale")
LAUNCHER_SCRIPT = """#!/bin/sh
# northlab take-home kit: ./northlab-kit [install|start|sync --hub URL]
exec python3 "$(dirname "$0")/.kit/launcher.py" "$@"
"""


class KitError(Exception):
    """The kit cannot be built; the message is one sentence."""


@dataclass(frozen=True)
class BuiltKit:
    folder: Path
    manifest: dict
    wheels_bytes: int
    total_bytes: int


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def released_labs(settings: Settings, cohort: str, track: str) -> list[Path]:
    """Folders of ``cohort``'s released labs (exchange outbound) of ``track``."""
    course = settings.exchange_root / cohort
    outbound = course / "outbound"
    if not outbound.is_dir():
        raise KitError(f"Cohort {cohort} has no exchange: create it with `northlab cohort add "
                       f"{cohort}` and release labs first.")
    tracks = lab_tracks(str(course))
    labs = [p for p in sorted(outbound.iterdir())
            if p.is_dir() and not p.is_symlink() and tracks.get(p.name) == track]
    if not labs:
        raise KitError(f"Cohort {cohort} has no released labs of track {track} yet.")
    return labs


def editable_files(settings: Settings, track: str, lab_id: str) -> list[str]:
    """Released files the learner is meant to edit (the notebook, a code lab's files)."""
    try:
        lab = load_lab(settings.labs_root / track / lab_id)
    except LabError:
        return [f"{lab_id}.ipynb"]
    return [f"{lab_id}.ipynb", *lab.code_files]


def _copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, symlinks=False,
                    ignore=shutil.ignore_patterns(".*", "__pycache__"))


def _writable(folder: Path) -> None:
    """Released files are group-shared on the server; on the laptop they are the learner's."""
    for root, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            path = os.path.join(root, name)
            os.chmod(path, 0o755 if os.path.isdir(path) else 0o644)


def build_kit(settings: Settings, *, cohort: str, track: str, out: Path,
              learner: str | None = None, wheel_cache: Path | None = None,
              progress: Callable[[str], None] = lambda _: None) -> BuiltKit:
    """Write the kit of ``cohort``'s ``track`` (for ``learner``, or anyone) into ``out``."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise KitError(f"{out} is not empty: give a new or empty folder for the kit.")
    if learner is not None and not manifest.LEARNER.match(learner):
        raise KitError(f"'{learner}' is not a valid login name.")
    labs = released_labs(settings, cohort, track)
    progress("wheels")
    try:
        wheels = wheelhouse.wheelhouse(track, wheel_cache or settings.data_root / "kit-wheels")
    except wheelhouse.WheelhouseError as exc:
        raise KitError(str(exc)) from None
    key = manifest.signing_key(settings.hub_dir)
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for released in labs:
        progress(released.name)
        _copy_tree(released, out / "labs" / released.name)
        _copy_tree(released, out / "work" / released.name)
        entries.append({
            "id": released.name,
            "files": manifest.file_hashes(out / "labs" / released.name),
            "editable": editable_files(settings, track, released.name),
        })
    _writable(out / "labs")
    _writable(out / "work")
    own = out / ".kit"
    shutil.copytree(wheels, own / "wheels", ignore=shutil.ignore_patterns(
        wheelhouse.COMPLETE, "requirements.txt"))
    shutil.copy(wheels / "requirements.txt", own / "requirements.txt")
    shutil.copy(HERE / "launcher.py", own / "launcher.py")
    (own / "messages.json").write_text(_launcher_messages(), encoding="utf-8")
    command = out / "northlab-kit"
    command.write_text(LAUNCHER_SCRIPT, encoding="utf-8")
    command.chmod(command.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    (out / "README.txt").write_text(
        "\n\n".join(LOCALE.text("kit.readme", lang, track=track, cohort=cohort)
                    for lang in ("en", "fr")) + "\n", encoding="utf-8")
    body = {
        "schema": manifest.SCHEMA,
        "kit_id": uuid.uuid4().hex,
        "cohort": cohort,
        "track": track,
        "learner": learner,
        "issued_at": now_utc(),
        "issued_by": os.environ.get("SUDO_USER") or getpass.getuser(),
        "python": wheelhouse.python_tag(),
        "labs": entries,
    }
    signed = manifest.sign(body, key)
    (out / manifest.FILE_NAME).write_text(json.dumps(signed, indent=1, ensure_ascii=False)
                                          + "\n", encoding="utf-8")
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return BuiltKit(out, signed, wheelhouse.size_bytes(own / "wheels"), total)


def _launcher_messages() -> str:
    return json.dumps({lang: {k: v for k, v in messages.items() if k.startswith("launcher.")}
                       for lang, messages in LOCALE.messages.items()}, ensure_ascii=False)
