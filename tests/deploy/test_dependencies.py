"""What the images install is enough: the grader image installs northlab's main dependencies
(plus track extras), so every module ``graders/`` imports must come from that closure."""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
FIRST_PARTY = {"northlab", "graders", "hub"}


def main_dependency_closure() -> set[str]:
    """Canonical names of pyproject's main dependencies and everything they require."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pending = [Requirement(line) for line in project["dependencies"]]
    closure: set[str] = set()
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        applies = not requirement.marker or requirement.marker.evaluate({"extra": ""})
        if name in closure or not applies:
            continue
        closure.add(name)
        pending.extend(Requirement(line) for line in metadata.requires(name) or [])
    return closure


def imported_top_level_modules(folder: Path) -> set[str]:
    """Top-level names of every absolute import in ``folder``'s Python files."""
    names = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - FIRST_PARTY - set(sys.stdlib_module_names)


@pytest.mark.parametrize("package", ["northlab", "graders"])
def test_every_module_the_core_and_graders_import_is_a_main_dependency(package: str) -> None:
    closure = main_dependency_closure()
    providers = metadata.packages_distributions()
    missing = {
        module: providers.get(module, ["not installed"])
        for module in imported_top_level_modules(REPO / package)
        if not closure & {canonicalize_name(d) for d in providers.get(module, [])}
    }
    assert not missing, f"{package}/ imports modules outside the main dependencies: {missing}"
