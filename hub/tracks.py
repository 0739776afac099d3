"""The tracks: what each spawn profile gives a learner.

A track profile chooses the learner's default kernel (one named ipykernel per track,
shipped in ``hub/share/jupyter/kernels/``, started by :mod:`hub.kernel`), extra environment
variables, the working folder the lab opens in (``~/<track>``, where the Assignments tab
fetches labs) and, in docker/kubernetes modes, the image built from ``images/<track>/``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from graders.lab import TRACKS as TRACK_IDS
from northlab.i18n import Catalog

HUB_DIR = Path(__file__).resolve().parent
SHARE_DIR = HUB_DIR / "share" / "jupyter"
SINGLEUSER_CONFIG_DIR = HUB_DIR / "singleuser"
LOCALE = Catalog(HUB_DIR / "locale")


@dataclass(frozen=True)
class Track:
    """One spawn profile."""

    id: str
    env: dict[str, str] = field(default_factory=dict)
    #: JupyterLab extensions a learner of the track loads (nothing else is sent).
    lab_extensions: tuple[str, ...] = ("@jupyter/nbgrader",)
    #: Where the learner's server opens; empty: JupyterLab in the track's folder.
    start_url: str = ""

    @property
    def kernel(self) -> str:
        """Name of the track's kernelspec."""
        return f"northlab-{self.id}"

    @property
    def folder(self) -> str:
        """Working folder in the learner's home; fetched labs land here."""
        return self.id

    @property
    def default_url(self) -> str:
        return self.start_url or f"/lab/tree/{self.folder}"

    def title(self, language: str = "en") -> str:
        return LOCALE.text(f"track.{self.id}.title", language)

    def summary(self, language: str = "en") -> str:
        return LOCALE.text(f"track.{self.id}.summary", language)

    def image(self, prefix: str, tag: str) -> str:
        return f"{prefix}{self.id}:{tag}"


_HEADLESS = {"MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}

_WITH_WIDGETS = ("@jupyter/nbgrader", "@jupyter-widgets/jupyterlab-manager")

#: What a track's profile adds to the defaults of :class:`Track`; the list of tracks itself
#: is :data:`graders.lab.TRACKS` (one catalogue).
_PROFILES: dict[str, dict] = {
    "ai-data": {"env": dict(_HEADLESS), "lab_extensions": _WITH_WIDGETS},
    "robotics": {"env": dict(_HEADLESS), "lab_extensions": _WITH_WIDGETS},
    "gamedev": {"env": {"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy",
                        "PYGAME_HIDE_SUPPORT_PROMPT": "1"}},
    # first-time computer users: the Foundations pages (hub/foundations), not JupyterLab
    "foundations": {"start_url": "/foundations/"},
}

TRACKS: dict[str, Track] = {
    track_id: Track(track_id, **_PROFILES.get(track_id, {})) for track_id in TRACK_IDS
}
DEFAULT_TRACK = "cybersecurity"


def kernelspec(track: Track) -> dict:
    """The ``kernel.json`` of a track (``python`` is replaced by the server's interpreter)."""
    return {
        "argv": ["python", "-m", "hub.kernel", "-f", "{connection_file}"],
        "display_name": f"Python 3 ({track.title('en')})",
        "language": "python",
        "env": {"NORTHLAB_TRACK": track.id, **track.env},
        "metadata": {"debugger": False},
    }


def write_kernelspecs(share_dir: Path = SHARE_DIR) -> list[Path]:
    """Write every track's kernelspec; returns the kernel.json paths."""
    written = []
    for track in TRACKS.values():
        path = share_dir / "kernels" / track.kernel / "kernel.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(kernelspec(track), indent=1) + "\n"
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
        written.append(path)
    return written
