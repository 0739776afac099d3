"""Tracks: kernelspecs shipped in the repo match the definitions; messages in EN and FR."""

from __future__ import annotations

import json

from hub.pages.track_form import parse_track, track_form
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


def test_track_kernel_runs_without_the_debugger(monkeypatch):
    """The shipped kernelspec starts hub.kernel: code runs, debugpy was never loaded."""
    from jupyter_client.manager import start_new_kernel

    monkeypatch.setenv("JUPYTER_PATH", str(SHARE_DIR))
    manager, client = start_new_kernel(kernel_name=TRACKS["robotics"].kernel)
    try:
        outputs: list[str] = []
        reply = client.execute_interactive(
            "import os, sys; print(os.environ['NORTHLAB_TRACK'], sys.modules.get('debugpy'),"
            " any(m.startswith(('debugpy.', '_pydevd')) for m in sys.modules), sum(range(5)))",
            timeout=60,
            output_hook=lambda msg: outputs.append(msg["content"].get("text", "")))
        assert reply["content"]["status"] == "ok"
        assert "".join(outputs).split() == ["robotics", "None", "False", "10"]
        assert "hub.kernel" in manager.provisioner.process.args
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
