"""``northlab kit build`` and ``northlab kit collect``: thin verbs over :mod:`hub.kit`."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from graders.commands import due_date, summary_line
from hub.config.settings import load_settings
from hub.kit.build import LOCALE, KitError, build_kit
from hub.kit.collect import CLOCKS, grade_hand_in, hand_in
from hub.kit.manifest import ManifestError
from hub.tracks import DEFAULT_TRACK, TRACKS
from northlab.cli import CommandError


def _language(args: argparse.Namespace) -> str:
    if args.lang:
        return args.lang
    env = os.environ.get("LANGUAGE") or os.environ.get("LC_ALL") or os.environ.get("LANG", "")
    return "fr" if env.lower().startswith("fr") else "en"


def _bar(total: int, what: str):
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=what, unit="lab")


def cmd_build(args: argparse.Namespace) -> int:
    settings = load_settings()
    steps: list[str] = []

    def progress(step: str) -> None:
        steps.append(step)
        if sys.stderr.isatty():
            print(f"  {step}", file=sys.stderr, flush=True)

    try:
        kit = build_kit(settings, cohort=args.cohort, track=args.track, out=Path(args.out),
                        learner=args.learner,
                        wheel_cache=Path(args.wheel_cache) if args.wheel_cache else None,
                        progress=progress)
    except KitError as exc:
        raise CommandError(str(exc)) from None
    labs = ", ".join(lab["id"] for lab in kit.manifest["labs"])
    print(f"kit {kit.manifest['kit_id']} for {args.learner or 'cohort ' + args.cohort} "
          f"({args.track}): {labs}; {kit.total_bytes / 2**20:.0f} MB in {kit.folder}")
    return 0


def cmd_collect(args: argparse.Namespace) -> int:
    settings = load_settings()
    lang = _language(args)
    folder = Path(args.folder)
    if not folder.is_dir():
        raise CommandError(f"{folder}: no such folder.")
    try:
        result = hand_in(settings, folder, learner=args.learner, clock=args.clock)
    except ManifestError as exc:
        raise CommandError(LOCALE.text(exc.message_id, lang, **exc.values)) from None
    for lab in result.labs:
        print(LOCALE.text(lab.message_id, lang, **lab.values))
    if args.no_grade or not result.landed:
        return 0
    bar = _bar(len(result.landed), "grading")
    try:
        records = grade_hand_in(settings, result, due=args.due,
                                on_done=lambda _: bar.update(1) if bar else None)
    finally:
        if bar is not None:
            bar.close()
    for record in records:
        print(summary_line(record, lang))
    return 0 if all(r["error"] is None for r in records) else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "kit", help="take-home kits: build one, collect hand-ins",
        description="Take-home kits for learners without a connection at home: a folder "
        "with the released labs, the track's packages as wheels and a launcher that installs "
        "and opens JupyterLab with no network. Learners hand in by bringing the folder back "
        "(collect) or with `./northlab-kit sync --hub URL` from the kit when online.")
    verbs = parser.add_subparsers(dest="kit_verb", metavar="VERB", required=True)
    build = verbs.add_parser(
        "build", help="write a kit folder (USB stick, laptop disk)",
        description="Write OUT: the cohort's released labs of the track, the track's Python "
        "packages as wheels (downloaded once from PyPI, cached under <data_root>/kit-wheels), "
        "the launcher and a manifest signed by this hub.")
    build.add_argument("out", metavar="OUT", help="new or empty folder to write the kit into")
    build.add_argument("--cohort", required=True, help="cohort id, e.g. iqaluit-2026")
    build.add_argument("--learner", help="learner the kit is issued to (default: anyone in "
                       "the cohort, named at hand-in)")
    build.add_argument("--track", choices=sorted(TRACKS), default=DEFAULT_TRACK,
                       help=f"track whose labs go in the kit (default: {DEFAULT_TRACK})")
    build.add_argument("--wheel-cache", metavar="DIR",
                       help="where downloaded wheels are kept (default: <data_root>/kit-wheels)")
    build.set_defaults(func=cmd_build)
    collect = verbs.add_parser(
        "collect", help="hand in the work in a kit folder and grade it",
        description="Check FOLDER's manifest (signed by this hub), land each started lab in "
        "the course's submitted/<learner>/<lab>/ like an exchange submission, and grade it "
        "in the sandbox. Running it again on the same work changes nothing.")
    collect.add_argument("folder", metavar="FOLDER", help="the kit folder (e.g. the USB stick)")
    collect.add_argument("--learner", help="whose work it is (required for a cohort kit; "
                         "must match a learner's kit)")
    collect.add_argument("--clock", choices=CLOCKS, default="hub",
                         help="which time counts for lateness: hub (when collected, default) "
                         "or kit (the laptop's clock, which the learner controls)")
    collect.add_argument("--due", type=due_date, default=None, metavar="WHEN",
                         help="due date, ISO 8601 (UTC if no offset): labs whose counted time "
                         "(see --clock) is later are recorded as late")
    collect.add_argument("--no-grade", action="store_true", help="land the work, do not grade")
    collect.add_argument("--lang", choices=("en", "fr"), help="language of the messages "
                         "(default: from LANG)")
    collect.set_defaults(func=cmd_collect)
