"""One spawn profile per track in the container modes: image, limits, environment.

Limits scale from the ``mem_limit`` / ``cpu_limit`` settings by a per-track weight: the
ai-data and robotics tracks load scikit-learn, pandas and OpenCV and get more room. The
guarantee (what the scheduler reserves) is a quarter of the limit, so a modest node packs
many mostly-idle learners while a busy learner can still burst to the limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from hub.config.settings import Settings
from hub.tracks import TRACKS, Track

#: Resource weight per track, relative to the mem_limit / cpu_limit settings.
TRACK_WEIGHTS: dict[str, float] = {
    "cybersecurity": 1.0,
    "ai-data": 2.0,
    "robotics": 1.5,
    "gamedev": 1.0,
}
#: Share of the limit that the scheduler reserves for each learner.
GUARANTEE_SHARE = 0.25
#: Where learner homes are mounted inside the track images (docker-stacks' user).
HOME_IN_IMAGE = "/home/jovyan"
#: URL of the nbgrader exchange service as learners' servers reach it (set per mode).
EXCHANGE_URL_VARIABLE = "NORTHLAB_EXCHANGE_URL"
#: URL of the gradebook as learners' servers reach it (the Foundations pages' scores).
GRADEBOOK_URL_VARIABLE = "NORTHLAB_GRADEBOOK_URL"
#: URL of the feedback service as learners' servers reach it (instant feedback on submit).
FEEDBACK_URL_VARIABLE = "NORTHLAB_FEEDBACK_URL"

_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def parse_bytes(spec: str) -> int:
    """``"2G"`` -> bytes (K, M, G, T suffixes, powers of 1024, like JupyterHub)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*", str(spec), re.IGNORECASE)
    if not match:
        raise ValueError(f"Not a memory size: {spec!r} (use e.g. 512M or 2G).")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def format_bytes(count: int) -> str:
    """Bytes -> the largest exact K/M/G suffix form (``2147483648`` -> ``"2G"``)."""
    for suffix in ("T", "G", "M", "K"):
        if count % _UNITS[suffix] == 0:
            return f"{count // _UNITS[suffix]}{suffix}"
    return str(count)


@dataclass(frozen=True)
class Profile:
    """What a learner's container gets for one track."""

    track: Track
    image: str
    mem_limit: str
    mem_guarantee: str
    cpu_limit: float
    cpu_guarantee: float
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.track.id


def profile(track_id: str, settings: Settings) -> Profile:
    """The profile of one track under ``settings`` (raises KeyError for unknown tracks)."""
    track = TRACKS[track_id]
    weight = TRACK_WEIGHTS.get(track.id, 1.0)
    mem = int(parse_bytes(settings.mem_limit) * weight)
    mem -= mem % (1024**2)
    cpu = round(settings.cpu_limit * weight, 2)
    return Profile(
        track=track,
        image=track.image(settings.image_prefix, settings.image_tag),
        mem_limit=format_bytes(mem),
        mem_guarantee=format_bytes(int(mem * GUARANTEE_SHARE) // 1024**2 * 1024**2),
        cpu_limit=cpu,
        cpu_guarantee=round(cpu * GUARANTEE_SHARE, 3),
        # fetched labs land in the track's folder, where JupyterLab opens (as in local mode)
        environment={"NORTHLAB_TRACK": track.id,
                     "NORTHLAB_ASSIGNMENT_DIR": f"{HOME_IN_IMAGE}/{track.folder}", **track.env},
    )


def set_exchange_url(c: Any, url: str) -> None:
    """Tell learners' servers where the exchange service is (kept with other variables)."""
    set_learner_url(c, EXCHANGE_URL_VARIABLE, url)


def set_learner_url(c: Any, variable: str, url: str) -> None:
    """Tell learners' servers a service's address in ``variable`` (kept with the others)."""
    environment = dict(c.Spawner.environment) if "environment" in c.Spawner else {}
    c.Spawner.environment = {**environment, variable: url}


def profiles(settings: Settings) -> list[Profile]:
    """Every track's profile, in the order of :data:`hub.tracks.TRACKS`."""
    return [profile(track_id, settings) for track_id in TRACKS]
