"""Tracks: kernelspecs shipped in the repo match the definitions; messages in EN and FR."""

from __future__ import annotations

import json

from hub.profiles import parse_track, track_form
from hub.tracks import LOCALE, SHARE_DIR, TRACKS, kernelspec, write_kernelspecs


def test_shipped_kernelspecs_match(tmp_path):
    for path in write_kernelspecs(tmp_path):
        shipped = SHARE_DIR / path.relative_to(tmp_path)
        assert json.loads(shipped.read_text()) == json.loads(path.read_text())
    assert kernelspec(TRACKS["gamedev"])["env"]["SDL_VIDEODRIVER"] == "dummy"


def test_french_catalogue_is_complete():
    assert LOCALE.missing() == {}
    for track in TRACKS.values():
        assert track.title("fr") != track.title("en")


def test_track_form_and_parsing():
    form = track_form()
    for track in TRACKS:
        assert f'value="{track}"' in form
    assert "Cybersécurité" in form
    assert parse_track(None) == "cybersecurity" and parse_track("robotics") == "robotics"
    try:
        parse_track("knitting")
    except ValueError as exc:
        assert "knitting" in str(exc)
    else:
        raise AssertionError("unknown track accepted")
