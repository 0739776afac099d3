"""The track spawn form, shared by the local, docker and kubernetes spawners.

A learner picks a track in the form (or passes ``{"track": "<id>"}`` to the REST API's
server start); :attr:`TrackOptions.track` is the chosen :class:`hub.tracks.Track`.
"""

from __future__ import annotations

import html
from typing import Any

from hub.tracks import DEFAULT_TRACK, LOCALE, TRACKS, Track
from northlab.groups import teaches_only


def in_every_language(message_id: str) -> str:
    """A message in every language, one ``lang`` span each; the page shows one
    (:mod:`hub.pages.hub_pages`)."""
    return "".join(
        f'<span class="l-{lang}" lang="{LOCALE.language_of(message_id, lang)}">'
        f"{html.escape(text)}</span>"
        for lang, text in LOCALE.all_languages(message_id).items()
    )


def track_form() -> str:
    """The spawn form: one radio button per track, title and summary in every language."""
    rows = []
    for i, track in enumerate(TRACKS.values()):
        checked = " checked" if i == 0 else ""
        rows.append(
            f'<label class="northlab-track" style="display:block;margin:.5em 0">'
            f'<input type="radio" name="track" value="{track.id}"{checked}> '
            f"<strong>{in_every_language(f'track.{track.id}.title')}</strong><br>"
            f"<small>{in_every_language(f'track.{track.id}.summary')}</small></label>"
        )
    legend = in_every_language("spawn.choose")
    return f"<fieldset><legend>{legend}</legend>{''.join(rows)}</fieldset>"


TRACK_FORM = track_form()


def options_form(spawner: Any) -> str:
    """The track chooser, for learners; none for an instructor who does not learn (their
    server starts at once on the default track: formgrader knows every track's kernel)."""
    return "" if teaches_only({group.name for group in spawner.user.groups}) else TRACK_FORM


def parse_track(value: str | None) -> str:
    """Validate a track id from the form or the REST API."""
    track = value or DEFAULT_TRACK
    if track not in TRACKS:
        raise ValueError(
            LOCALE.text("spawn.unknown_track", track=track, tracks=", ".join(TRACKS))
        )
    return track


class TrackOptions:
    """Spawner mixin: the track form and the ``track`` user option."""

    options_form = staticmethod(options_form)  # JupyterHub calls it with the spawner

    def options_from_form(self, formdata: dict) -> dict:
        return {"track": parse_track((formdata.get("track") or [None])[0])}

    @property
    def track(self) -> Track:
        return TRACKS[parse_track(self.user_options.get("track"))]
