"""The hub's managed services: what each is started with."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config.settings import load_settings
from hub.managed import GRADER_SERVICE, services
from hub.people.accounts import COURSE_INSTRUCTORS_PREFIX


def _by_name(tmp_path: Path) -> dict[str, dict]:
    settings = load_settings({"NORTHLAB_DATA": str(tmp_path / "data"), "NORTHLAB_PORT": "9200"})
    settings.hub_dir.mkdir(parents=True, exist_ok=True)
    listed, _ = services(settings)
    return {service["name"]: service for service in listed}


def test_grader_service_delivers_the_outbox(tmp_path: Path) -> None:
    grader = _by_name(tmp_path)[GRADER_SERVICE]
    courses = load_settings({"NORTHLAB_DATA": str(tmp_path / "data")}).courses_root
    # local mode: results queued by instructors are vouched for by their course's Unix group;
    # grades saved in formgrader reach the results awaiting them (gradebook.db per course)
    assert grader["command"][-7:] == ["outbox", "deliver", "--watch", "--sync-manual",
                                      str(courses), "--course-group-prefix",
                                      COURSE_INSTRUCTORS_PREFIX]
    assert grader["environment"] == {
        "NORTHLAB_DATA": str(tmp_path / "data"), "NORTHLAB_PORT": "9200",
        "NORTHLAB_LABS_ROOT": str(load_settings({}).labs_root)}


def test_image_contexts_reach_the_web_services(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NORTHLAB_JSONLD_CONTEXTS", raising=False)
    assert "NORTHLAB_JSONLD_CONTEXTS" not in _by_name(tmp_path)["credentials"]["environment"]
    monkeypatch.setenv("NORTHLAB_JSONLD_CONTEXTS", "/opt/northlab/contexts.json")
    by_name = _by_name(tmp_path)
    for name in ("credentials", "gradebook"):
        assert by_name[name]["environment"]["NORTHLAB_JSONLD_CONTEXTS"] == (
            "/opt/northlab/contexts.json")
