"""The track spawn form, shared by the local, docker and kubernetes spawners.

A learner picks a track in the form (or passes ``{"track": "<id>"}`` to the REST API's
server start); :attr:`TrackOptions.track` is the chosen :class:`hub.tracks.Track`.
"""

from __future__ import annotations

import html

from hub.tracks import DEFAULT_TRACK, LOCALE, TRACKS, Track


def track_form() -> str:
    """The spawn form: one radio button per track, titles in English and French."""
    rows = []
    for i, track in enumerate(TRACKS.values()):
        checked = " checked" if i == 0 else ""
        rows.append(
            f'<label class="northlab-track" style="display:block;margin:.5em 0">'
            f'<input type="radio" name="track" value="{track.id}"{checked}> '
            f"<strong>{html.escape(track.title('en'))}</strong> / "
            f"<strong lang=\"fr\">{html.escape(track.title('fr'))}</strong><br>"
            f"<small>{html.escape(track.summary('en'))}<br>"
            f"<span lang=\"fr\">{html.escape(track.summary('fr'))}</span></small></label>"
        )
    title = f"{LOCALE.text('spawn.choose', 'en')} / {LOCALE.text('spawn.choose', 'fr')}"
    return f"<fieldset><legend>{html.escape(title)}</legend>{''.join(rows)}</fieldset>"


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

    options_form = track_form()

    def options_from_form(self, formdata: dict) -> dict:
        return {"track": parse_track((formdata.get("track") or [None])[0])}

    @property
    def track(self) -> Track:
        return TRACKS[parse_track(self.user_options.get("track"))]
