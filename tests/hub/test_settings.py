"""Settings: file and environment, documented keys, one-sentence errors."""

from __future__ import annotations

import os
import socket
from dataclasses import fields
from pathlib import Path

import pytest

from hub.config.settings import Settings, SettingsError, check_can_serve, load_settings
from northlab.settings import PARTS, describe


def test_defaults_and_env_wins_over_file(tmp_path):
    config = tmp_path / "northlab.toml"
    config.write_text('mode = "docker"\nport = 9000\ndata_root = "/srv/x"\n')
    settings = load_settings({"NORTHLAB_CONFIG": str(config), "NORTHLAB_PORT": "9100"})
    assert (settings.mode, settings.port, settings.data_root) == ("docker", 9100, Path("/srv/x"))
    assert settings.hub_database_url == "sqlite:////srv/x/hub/jupyterhub.sqlite"
    defaults = load_settings({})
    assert defaults.mode == "local" and defaults.port == 8000


def test_northlab_data_alias_and_lists(tmp_path):
    settings = load_settings({"NORTHLAB_DATA": str(tmp_path), "NORTHLAB_ADMIN_USERS": "a, b"})
    assert settings.data_root == tmp_path and settings.admin_users == ("a", "b")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"NORTHLAB_MODE": "swarm"}, "Unknown mode 'swarm'"),
        ({"NORTHLAB_PORT": "eighty"}, "not a valid int"),
        ({"NORTHLAB_PORT": "70000"}, "out of range"),
        ({"NORTHLAB_AUTHENTICATOR": "lti"}, "LTI login needs these settings"),
        ({"NORTHLAB_CONFIG": "/nonexistent/northlab.toml"}, "does not exist"),
    ],
)
def test_bad_settings_are_one_sentence(env, message):
    with pytest.raises(SettingsError) as info:
        load_settings(env)
    text = str(info.value)
    assert message in text and "\n" not in text and text.endswith(".")


def test_unknown_key_in_file(tmp_path):
    config = tmp_path / "northlab.toml"
    config.write_text('mood = "local"\n')
    with pytest.raises(SettingsError, match="Unknown setting 'mood'"):
        load_settings({"NORTHLAB_CONFIG": str(config)})


def test_every_setting_of_every_part_is_documented_once():
    rows = describe({"NORTHLAB_CONFIG": os.devnull})
    documented = {row.key for row in rows if len(row.help) > 20 and row.env.startswith("NORTHLAB_")}
    assert documented == {f.name for part in PARTS.values() for f in fields(part)}
    assert {f.name for f in fields(Settings)} <= documented
    variables = [row.env for row in rows]
    assert len(variables) == len(set(variables))  # one variable, one setting


def test_port_in_use_and_missing_proxy(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        busy = sock.getsockname()[1]
        settings = load_settings({"NORTHLAB_PORT": str(busy)})
        with pytest.raises(SettingsError, match=f"Port {busy} on 127.0.0.1 is already in use"):
            check_can_serve(settings)
    missing = load_settings({"NORTHLAB_PROXY_COMMAND": str(tmp_path / "chp")})
    with pytest.raises(SettingsError, match="configurable-http-proxy is missing"):
        check_can_serve(missing)


def test_missing_node(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SettingsError, match="Node.js is missing"):
        check_can_serve(load_settings({}))


def test_postgres_url_uses_the_installed_driver():
    settings = load_settings({"NORTHLAB_DATABASE_URL": "postgresql://hub:pw@db/jupyterhub"})
    assert settings.hub_database_url == "postgresql+psycopg2://hub:pw@db/jupyterhub"


def test_every_part_reads_the_one_labs_root_and_says_where_values_came_from(tmp_path):
    from hub.services.credentials.settings import load_settings as credential_settings
    from hub.services.gradebook.config import load_config

    config = tmp_path / "northlab.toml"
    config.write_text(f'labs_root = "{tmp_path / "labs"}"\n[gradebook]\npass_percent = 50\n')
    env = {"NORTHLAB_CONFIG": str(config), "NORTHLAB_SANDBOX_UID_BASE": "70000"}
    assert credential_settings(env).labs_root == tmp_path / "labs"  # `northlab credential`
    assert load_config(env).labs_root == tmp_path / "labs"
    moved = {**env, "NORTHLAB_LABS_ROOT": str(tmp_path / "moved")}
    assert load_config(moved).labs_root == credential_settings(moved).labs_root == (
        tmp_path / "moved")
    rows = {(row.part, row.key): row for row in describe(env)}
    assert rows["site", "labs_root"][2:4] == (str(tmp_path / "labs"), "northlab.toml")
    assert rows["gradebook", "pass_percent"][2:4] == ("50.0", "northlab.toml")
    assert rows["sandbox", "uid_base"][2:4] == ("70000", "environment")
    assert rows["hub", "mode"][2:4] == ("local", "default")
    assert rows["credentials", "public_url"].value == (
        "http://127.0.0.1:8000/services/credentials")


def test_unknown_key_in_a_part_table(tmp_path):
    config = tmp_path / "northlab.toml"
    config.write_text('[credentials]\nlabs_root = "/x"\n')  # the shared key is top level
    with pytest.raises(SettingsError, match=r"Unknown setting 'labs_root' in \[credentials\]"):
        describe({"NORTHLAB_CONFIG": str(config)})
