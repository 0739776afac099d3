"""``northlab gradebook export``: the web page's CSV from the shell."""

from __future__ import annotations

import csv
import io

import pytest

from hub.services.gradebook.catalogue import LabCatalogue
from hub.services.gradebook.cli import export_csv
from hub.services.gradebook.roster import Snapshot
from northlab.cli import CommandError, main
from tests.support.ports import free_port

from .conftest import PLAN


def snapshot_of(roster) -> Snapshot:
    return Snapshot({k: tuple(v) for k, v in roster.items()})


def test_export_grades_and_summary(seeded, tmp_path):
    engine, roster = seeded
    url = str(engine.url)
    common = {"database_url": url, "catalogue": LabCatalogue({}), "pass_percent": 60,
              "language": "fr"}
    grades = export_csv(snapshot_of(roster), cohort="site02-2026", summary=None, **common)
    rows = list(csv.DictReader(io.StringIO(grades.removeprefix("\ufeff"))))
    assert {r["username"] for r in rows} == set(roster["site02-2026"])
    assert len(rows) == len(roster["site02-2026"]) * PLAN.labs
    everyone = export_csv(snapshot_of(roster), cohort=None, summary="moodle", **common)
    table = list(csv.reader(io.StringIO(everyone.removeprefix("\ufeff"))))
    assert table[0][0] == "Username" and len(table) == 1 + sum(map(len, roster.values()))


def test_export_refuses_unknown_cohorts_and_missing_databases(seeded, tmp_path):
    engine, roster = seeded
    with pytest.raises(CommandError, match="no cohort 'nowhere'"):
        export_csv(snapshot_of(roster), database_url=str(engine.url),
                   catalogue=LabCatalogue({}), pass_percent=60, cohort="nowhere",
                   summary=None, language="en")
    with pytest.raises(CommandError, match="Cannot read the results database"):
        export_csv(snapshot_of(roster), database_url=f"sqlite:///{tmp_path / 'none.sqlite'}",
                   catalogue=LabCatalogue({}), pass_percent=60, cohort=None,
                   summary=None, language="en")


def test_verb_without_a_hub_says_so_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NORTHLAB_DATA", str(tmp_path))
    monkeypatch.setenv("NORTHLAB_PORT", str(free_port()))
    assert main(["gradebook", "export"]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "start it with `northlab hub`" in error[0]
