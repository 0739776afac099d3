"""The ``northlab`` verb table matches what each module registers."""

from __future__ import annotations

import argparse
import importlib

import pytest

from graders.cli import VERBS, main


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
