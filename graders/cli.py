"""The ``northlab`` command: thin verbs over the library.

Each concern registers its own verbs: a module listed in :data:`COMMAND_MODULES`
exposes ``register(subparsers)`` that adds its sub-parsers and sets ``func`` on each.
A verb's ``func(args) -> int`` returns the exit status and raises
:class:`CommandError` for bad input, which is printed as one clear sentence.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMAND_MODULES: tuple[str, ...] = ("hub.services.credentials.cli", "graders.outbox", "hub.cli",
                                   "graders.commands", "hub.services.gradebook.cli")


class CommandError(Exception):
    """Bad input or environment: printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="northlab",
        description="northlab: lab environment, sandboxed auto-grader and microcredentials.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except CommandError as exc:
        print(f"northlab: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("northlab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
