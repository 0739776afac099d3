"""The ``northlab`` verb table matches what each module registers; verbs that need the hub
say so in one sentence (EN/FR) when it is down, and change nothing."""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from northlab.cli import VERBS, main
from tests.support.ports import free_port_block


@pytest.mark.parametrize("module", sorted({module for module, _ in VERBS.values()}))
def test_each_module_registers_exactly_its_verbs(module: str) -> None:
    subparsers = argparse.ArgumentParser().add_subparsers()
    importlib.import_module(module).register(subparsers)
    expected = {verb for verb, (owner, _) in VERBS.items() if owner == module}
    assert set(subparsers.choices) == expected


def test_overview_lists_every_verb(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    shown = capsys.readouterr().out
    assert all(verb in shown for verb in VERBS)


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_every_verb_has_help(verb: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main([verb, "--help"])
    assert stop.value.code == 0
    assert f"northlab {verb}" in capsys.readouterr().out


def run_northlab(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).parent / "northlab"), *args], env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("command", [
    ("cohort", "add", "tundra-2026", "--lead", "ann"),
    ("learner", "add", "bob", "--cohort", "tundra-2026"),
])
def test_a_hub_that_is_down_is_one_bilingual_sentence_and_nothing_changes(
        command: tuple[str, ...], tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {key: value for key, value in os.environ.items() if not key.startswith("NORTHLAB_")}
    env.update(NORTHLAB_DATA=str(data), NORTHLAB_PORT=str(free_port_block()))
    result = run_northlab(*command, env=env)
    assert result.returncode == 2 and result.stdout == ""
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "The hub does not answer" in result.stderr and "Le hub ne répond pas" in result.stderr
    assert not data.exists()  # no course folder, no token file, nothing


@pytest.mark.parametrize("verb", [["outbox", "deliver"], ["settings"]])
def test_a_bad_setting_is_one_sentence_not_a_traceback(verb: list[str], tmp_path: Path) -> None:
    env = {**os.environ, "NORTHLAB_PORT": "abc", "NORTHLAB_DATA_ROOT": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "northlab.cli", *verb], env=env,
                          capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("northlab: error:") and "NORTHLAB_PORT" in done.stderr
