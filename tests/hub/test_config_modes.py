"""Build the real hub/jupyterhub_config.py in each mode and check what it sets."""

from __future__ import annotations

import pytest
from traitlets.config.loader import PyFileConfigLoader

from hub.commands.runner import CONFIG
from hub.tracks import TRACKS


def build(monkeypatch, tmp_path, **env) -> object:
    for key in [k for k in __import__("os").environ if k.startswith("NORTHLAB_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("NORTHLAB_DATA", str(tmp_path))
    for key, value in env.items():
        monkeypatch.setenv(f"NORTHLAB_{key.upper()}", value)
    return PyFileConfigLoader(CONFIG.name, path=str(CONFIG.parent)).load_config()


def test_local_mode(monkeypatch, tmp_path):
    (tmp_path / "hub").mkdir()
    (tmp_path / "hub" / "cohorts.json").write_text('{"iqaluit-2026": {"leads": ["ana"]}}')
    c = build(monkeypatch, tmp_path, port="8123")
    assert c.JupyterHub.spawner_class == "hub.spawner.NorthlabSpawner"
    assert c.NorthlabSpawner.home_root == str(tmp_path / "home")
    assert c.JupyterHub.authenticator_class == "nativeauthenticator.NativeAuthenticator"
    assert c.NativeAuthenticator.open_signup is False
    assert c.JupyterHub.db_url == f"sqlite:///{tmp_path}/hub/jupyterhub.sqlite"
    assert c.JupyterHub.port == 8123 and c.JupyterHub.hub_port == 8124
    assert c.ConfigurableHTTPProxy.command[0].endswith("node_modules/.bin/configurable-http-proxy")
    assert set(c.JupyterHub.custom_scopes) == {
        "custom:northlab:report-results", "custom:northlab:gradebook"}
    assert "cohort-iqaluit-2026" in c.JupyterHub.load_groups
    assert c.JupyterHub.load_groups["leads-iqaluit-2026"] == {"users": ["ana"]}  # older file
    roles = {role["name"]: role for role in c.JupyterHub.load_roles}
    lead = roles["cohort-lead-iqaluit-2026"]
    assert lead["groups"] == ["leads-iqaluit-2026"] and "users" not in lead
    assert "list:users!group=cohort-iqaluit-2026" in lead["scopes"]
    assert not [s for s in lead["scopes"] if s.startswith("read:users") and "!group=" not in s]
    assert roles["grader"]["scopes"] == ["custom:northlab:report-results"]
    services = {s["name"]: s for s in c.JupyterHub.services}
    assert "jupyterhub_idle_culler" in services["idle-culler"]["command"]
    assert "delete:servers" in roles["idle-culler"]["scopes"]


def test_lti_option(monkeypatch, tmp_path):
    c = build(monkeypatch, tmp_path, authenticator="lti", lti_client_id="abc",
              lti_issuer="https://moodle.example", lti_authorize_url="https://m/auth",
              lti_jwks_url="https://m/jwks")
    assert c.JupyterHub.authenticator_class.endswith("LTI13Authenticator")
    assert c.LTI13Authenticator.client_id == ["abc"]


def test_docker_mode(monkeypatch, tmp_path):
    c = build(monkeypatch, tmp_path, mode="docker", mem_limit="1G", cpu_limit="1")
    assert c.JupyterHub.spawner_class.__name__ == "TrackDockerSpawner"
    profiles = c.TrackDockerSpawner.track_profiles
    assert set(profiles) == set(TRACKS)
    for track, profile in profiles.items():
        assert profile["image"] == f"northlab/{track}:latest"
        assert profile["mem_limit"] and profile["cpu_limit"] > 0
    assert profiles["gamedev"]["environment"]["SDL_VIDEODRIVER"] == "dummy"


def test_kubernetes_mode(monkeypatch, tmp_path):
    c = build(monkeypatch, tmp_path, mode="kubernetes")
    assert c.JupyterHub.spawner_class == "kubespawner.KubeSpawner"
    slugs = {p["slug"]: p["kubespawner_override"] for p in c.KubeSpawner.profile_list}
    assert set(slugs) == set(TRACKS)
    for track, override in slugs.items():
        assert override["image"] == f"northlab/{track}:latest"
        assert override["mem_limit"] and override["cpu_limit"] > 0


@pytest.mark.parametrize("mode", ["local", "docker", "kubernetes"])
def test_every_mode_keeps_culler_and_scopes(monkeypatch, tmp_path, mode):
    c = build(monkeypatch, tmp_path, mode=mode)
    assert "idle-culler" in {s["name"] for s in c.JupyterHub.services}
    assert "custom:northlab:gradebook" in c.JupyterHub.custom_scopes


def test_the_hub_database_commits_without_waiting_for_the_disk(monkeypatch, tmp_path):
    (tmp_path / "hub").mkdir()
    c = build(monkeypatch, tmp_path)
    connection = c.JupyterHub.db_kwargs["creator"]()
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert connection.execute("PRAGMA database_list").fetchone()[2] == str(
            tmp_path / "hub" / "jupyterhub.sqlite")
    finally:
        connection.close()
