"""Which track each lab released into a course belongs to: ``exchange/<course>/tracks.json``
(``{lab id: track}``), written when northlab releases a lab
(:func:`hub.courses.folders.record_track`) and read by the local file-system exchange (a
learner's Assignments list shows the labs of the track they started), the take-home kits
and the feedback service."""

from __future__ import annotations

import json
import os

TRACKS_FILE = "tracks.json"


def lab_tracks(course_dir: str) -> dict[str, str]:
    """``{lab id: track}`` of the labs northlab released into a course's exchange."""
    try:
        with open(os.path.join(course_dir, TRACKS_FILE), encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}
