"""A site that moves its labs folder: the credential service and the gradebook, started
with what the hub gives its services, read achievements and lab titles from the new one."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
import requests

from hub.config.settings import REPO, load_settings
from hub.managed import service_environment
from northlab.settings import CredentialSettings
from tests.credentials.conftest import ServiceProcess
from tests.gradebook import realhub
from tests.support.ports import free_port

ACHIEVEMENT = "cybersecurity-foundations"
MOVED_LAB = "moved-folder-lab"


def moved_labs(folder: Path) -> Path:
    """A copy of the cybersecurity track whose achievement is renamed, plus a lab that
    exists only there."""
    labs = folder / "moved-labs"
    shutil.copytree(REPO / "labs" / "cybersecurity", labs / "cybersecurity")
    achievement = labs / "cybersecurity" / "achievement.toml"
    achievement.write_text(achievement.read_text(encoding="utf-8").replace(
        '"Cybersecurity Foundations"', '"Moved Labs Badge"'), encoding="utf-8")
    lab = labs / "cybersecurity" / MOVED_LAB
    shutil.copytree(labs / "cybersecurity" / "cipher-breaking", lab)
    text = (lab / "lab.toml").read_text(encoding="utf-8")
    title = tomllib.loads(text)["title"]["en"]
    (lab / "lab.toml").write_text(
        text.replace('id = "cipher-breaking"', f'id = "{MOVED_LAB}"')
        .replace(title, "Only in the moved labs folder"), encoding="utf-8")
    return labs


@pytest.mark.slow
def test_moved_labs_reach_the_credential_service_and_the_gradebook(tmp_path, monkeypatch):
    labs = moved_labs(tmp_path)
    config = tmp_path / "northlab.toml"
    config.write_text(f'labs_root = "{labs}"\ndata_root = "{tmp_path / "data"}"\n',
                      encoding="utf-8")
    monkeypatch.setenv("NORTHLAB_CONFIG", str(config))  # as the hub was started
    hub = load_settings()
    assert hub.labs_root == labs
    environment = service_environment(hub)

    credentials = ServiceProcess(CredentialSettings(data_root=hub.data_root), free_port(),
                                 "report-token", env=environment)
    credentials.start()
    try:
        achievement = requests.get(f"{credentials.base}achievements/{ACHIEVEMENT}", timeout=30)
        assert achievement.status_code == 200 and achievement.json()["name"] == (
            "Moved Labs Badge")
    finally:
        credentials.stop()

    (tmp_path / "hub").mkdir()
    gradebook = realhub.start(tmp_path / "hub", database_url=hub.results_db_url,
                              cohorts={"c1": ["learner"]}, leads={}, admins=["boss"],
                              environment=environment)
    try:
        token = gradebook.api("POST", "/users/boss/tokens", json={"note": "labs"}).json()
        page = requests.get(f"{gradebook.url}/services/gradebook/lab/{MOVED_LAB}",
                            headers={"Authorization": f"token {token['token']}"}, timeout=30)
        assert page.status_code == 200 and "Only in the moved labs folder" in page.text
    finally:
        gradebook.stop()
