"""The ``northlab`` command: thin verbs over the library.

Each concern registers its own verbs: the module named for a verb in :data:`VERBS`
exposes ``register(subparsers)`` that adds its sub-parsers and sets ``func`` on each.
Only the module of the verb being run is imported, so start-up stays quick.
A verb's ``func(args) -> int`` returns the exit status and raises
:class:`CommandError` for bad input, which is printed as one clear sentence.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from northlab.settings import SettingsError

#: verb -> (module that registers it, one-line help for ``northlab --help``)
VERBS: dict[str, tuple[str, str]] = {
    "demo": ("hub.commands.cli", "Seed the demo cohort and start the hub."),
    "hub": ("hub.commands.cli", "Start the hub (JupyterHub + proxy) in the foreground."),
    "stop": ("hub.commands.cli",
             "Stop the hub and everything it started (servers, kernels, grading)."),
    "settings": ("hub.commands.cli", "Print every setting, its value and its meaning."),
    "learner": ("hub.commands.cli", "Manage a learner (the hub must be running)."),
    "instructor": ("hub.commands.cli", "Manage an instructor (the hub must be running)."),
    "cohort": ("hub.commands.cli", "Manage cohorts (one nbgrader course each)."),
    "grade": ("graders.commands", "Grade every learner's submission of one lab in the sandbox."),
    "check": ("graders.commands",
              "Check labs: solution gets full marks, release at most the floor."),
    "lab": ("graders.commands", "Author labs: import an nbgrader assignment as a lab."),
    "outbox": ("graders.outbox", "Deliver graded results to the credential service."),
    "manual": ("graders.manual_grades",
               "Carry grades instructors gave in formgrader into the results."),
    "track": ("graders.adapt",
              "Adapt a track to a community: render its theme, export, import."),
    "credential": ("hub.services.credentials.cli",
                   "Open Badges 3.0 credentials: issue, verify, revoke, list."),
    "gradebook": ("hub.services.gradebook.cli", "Gradebook exports (CSV) from the shell."),
    "kit": ("hub.kit.cli", "Take-home kits: build one, collect hand-ins."),
}


class CommandError(Exception):
    """Bad input or environment: printed as one line, exit status 2 (so is a bad setting,
    :class:`northlab.settings.SettingsError`)."""


class Parser(argparse.ArgumentParser):
    """argparse without abbreviations: ``--out`` must not quietly mean ``--outbox``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """The parser for ``verb`` (its module imported), or an overview of every verb."""
    parser = Parser(
        prog="northlab",
        description="northlab: lab environment, sandboxed auto-grader and microcredentials.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    if verb in VERBS:
        importlib.import_module(VERBS[verb][0]).register(subparsers)
    else:
        for name, (_, text) in VERBS.items():
            subparsers.add_parser(name, help=text, add_help=False)
    return parser


def _verb(argv: Sequence[str]) -> str | None:
    return next((arg for arg in argv if not arg.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_verb(argv))
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (CommandError, SettingsError) as exc:
        print(f"northlab: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("northlab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    # ``python -m northlab.cli``: run the imported module's main, so that CommandError is the
    # class the verbs raise (this file as __main__ would define a second one).
    from northlab.cli import main as imported_main

    sys.exit(imported_main())
