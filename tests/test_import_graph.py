"""Arrows point one way (issue 14): read every module of graders/ and hub/ as text (ast, no
module is imported) and check who imports whom, lazy imports inside functions included.

The layers, each importing only those below it: ``hub/`` (the JupyterHub side: it
configures, starts and calls the services) -> ``hub/services/`` (apps beside the hub) ->
``graders/`` (the engine) -> ``northlab/`` (the core)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
OURS = ("northlab", "graders", "hub", "tests", "benchmarks")

#: the shared core (northlab/): settings, catalogues, the result record and the CLI root.
#: Every part may import it; it imports nothing else of ours.
CORE = {"northlab"}
#: what services may import of graders/: the core, and the lab model (lab.toml, the track
#: list), which is not core since it checks AUTOTEST lines (graders.autotest)
FOR_SERVICES = CORE | {"graders.lab"}
#: the one service that grades (instant feedback on submit) also runs the engine
GRADING_SERVICES = {
    "hub.services.feedback": FOR_SERVICES | {"graders.engine", "graders.submissions",
                                             "graders.outbox"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(*packages: str) -> dict[str, Path]:
    """Every module below ``packages``, by dotted name."""
    return {module_name(path): path for package in packages
            for path in sorted((REPO / package).rglob("*.py"))}


def submodule(module: str, name: str) -> str:
    """``module.name`` if that is a module of ours (``from graders import engine``), else
    ``module`` (``from graders.engine import Grader``)."""
    path = REPO.joinpath(*module.split("."), name)
    return f"{module}.{name}" if path.with_suffix(".py").exists() or path.is_dir() else module


def imported(name: str, path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every import of our own code in ``path``, relative ones resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            module = ".".join([*base, *([node.module] if node.module else [])]) if node.level \
                else node.module or ""
            targets = list(dict.fromkeys(submodule(module, alias.name) for alias in node.names))
        else:
            continue
        for target in targets:
            if target.split(".")[0] in OURS:
                yield node.lineno, target


def within(module: str, allowed: set[str]) -> bool:
    """Whether ``module`` is one of ``allowed`` or inside one of them."""
    return any(module == a or module.startswith(a + ".") for a in allowed)


def breaches(packages: tuple[str, ...], rule) -> list[str]:
    """``path:line imports target`` for every import of ``packages`` that ``rule`` refuses."""
    return [f"{path.relative_to(REPO)}:{line} imports {target}"
            for name, path in modules(*packages).items()
            for line, target in imported(name, path) if not rule(name, target)]


def test_graders_never_import_hub() -> None:
    assert breaches(("graders",), lambda _, target: not within(target, {"hub"})) == []


NAMED = re.compile(rf"({'|'.join(OURS)})(\.\w+)+")


def named_modules(*packages: str) -> Iterator[tuple[str, str]]:
    """(module, text) for every string constant in ``packages`` that names a module of ours
    (``"hub.commands.cli"``, ``python -m hub.x``'s argument): a lazy import by name."""
    for name, path in modules(*packages).items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and NAMED.fullmatch(node.value):
                yield name, node.value


def test_graders_never_name_hub_modules() -> None:
    """Not even by name for a lazy import: the CLI root (northlab/cli.py) loads verbs."""
    assert {text for _, text in named_modules("graders") if within(text, {"hub"})} == set()


def outside_services(target: str) -> bool:
    """A module of hub/ that is not one of the services'."""
    return within(target, {"hub"}) and not within(target, {"hub.services"})


def test_services_never_import_the_hub() -> None:
    """The hub imports its services (it registers and starts them); a service imports
    nothing of hub/ outside hub/services/, not even lazily or by name: what both sides
    need (settings, language, group names, tokens) is in the core."""
    assert breaches(("hub/services",), lambda _, target: not outside_services(target)) == []
    assert [text for _, text in named_modules("hub/services") if outside_services(text)] == []


def test_the_core_imports_nothing_but_the_core() -> None:
    assert breaches(("northlab",), lambda _, target: within(target, CORE)) == []


def test_services_import_graders_only_through_the_core() -> None:
    def allowed(name: str, target: str) -> bool:
        grants = next((g for s, g in GRADING_SERVICES.items() if within(name, {s})),
                      FOR_SERVICES)
        return not within(target, {"graders"}) or within(target, grants)

    assert breaches(("hub/services",), allowed) == []


@pytest.mark.parametrize("source, target", [
    ("from hub.settings import Settings", "hub.settings"),
    ("from .. import engine", "graders.engine"),
    ("def later():\n    import graders.engine as e", "graders.engine"),
])
def test_imports_are_found(tmp_path: Path, source: str, target: str) -> None:
    """The reader sees the forms a forbidden import could take."""
    path = tmp_path / "module.py"
    path.write_text(source)
    assert [t for _, t in imported("graders.sandbox.module", path)] == [target]
