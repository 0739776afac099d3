"""One lab.toml the services cannot read (not UTF-8) is left out with a log line; the
gradebook, the credential service and ``northlab manual`` still read every other lab."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from graders.lab import lab_tables
from graders.manual_grades import assignment_names
from hub.services.credentials.achievements import load_achievements
from hub.services.gradebook.catalogue import LabCatalogue

REPO = Path(__file__).resolve().parents[2]


def test_a_lab_toml_not_in_utf8_is_left_out_and_logged(
        tmp_path: Path, caplog: pytest.LogCaptureFixture):
    track = tmp_path / "cybersecurity"
    track.mkdir()
    shutil.copy(REPO / "labs" / "cybersecurity" / "achievement.toml", track)
    for lab, title in (("good", "Good"), ("latin", "Caf\xe9")):
        (track / lab).mkdir()
        (track / lab / "lab.toml").write_bytes(
            f'id = "{lab}"\ntrack = "cybersecurity"\ncredential = "cybersecurity-foundations"\n'
            f'title = {{ en = "{title}" }}\n'.encode("latin-1"))
    assert [path.parent.name for path, _ in lab_tables(tmp_path)] == ["good"]
    assert "latin" in caplog.text
    assert set(LabCatalogue.from_folder(tmp_path).labs) == {"good"}
    assert load_achievements(tmp_path)["cybersecurity-foundations"].labs == ("good",)
    assert assignment_names(tmp_path) == {"good": "good"}
