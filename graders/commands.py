"""CLI verbs of the grading engine: ``northlab grade``, ``northlab check`` and
``northlab lab import``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graders.lab import TRACKS, LabError, load_lab
from northlab.cli import CommandError
from northlab.settings import SiteSettings, load


def outbox_folder(args: argparse.Namespace) -> Path | None:
    """``--outbox DIR``; inside the hub (NORTHLAB_DATA or a JupyterHub service/server env)
    the data root's ``outbox/``; otherwise no outbox."""
    if args.outbox:
        return Path(args.outbox)
    if args.no_outbox:
        return None
    if os.environ.get("NORTHLAB_DATA") or os.environ.get("JUPYTERHUB_API_URL"):
        return load(SiteSettings).data_root / "outbox"
    return None


def cmd_grade(args: argparse.Namespace) -> int:
    from graders.engine import Grader
    from graders.sandbox import SandboxUnavailable
    from graders.sandbox.process import ZygoteFailed
    from graders.submissions import LayoutError, find_submissions

    try:
        lab = load_lab(Path(args.lab_dir))
    except LabError as exc:
        raise CommandError(str(exc)) from None
    try:
        found = find_submissions(Path(args.submissions_dir), lab.assignment, due=args.due,
                                 layout=args.layout)
    except (FileNotFoundError, LayoutError) as exc:
        raise CommandError(str(exc)) from None
    if not found:
        raise CommandError(f"{args.submissions_dir}: no learner folders found")
    submissions = [s for s in found if not s.missing]
    missing = [s.learner for s in found if s.missing]
    outbox = None
    folder = outbox_folder(args)
    if folder is not None:
        from graders.outbox import Outbox

        outbox = Outbox(folder)
    bar = None
    if sys.stderr.isatty() and not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=len(submissions), desc=f"grading {lab.id}", unit="submission")

    def done(record: dict[str, Any]) -> None:
        if outbox is not None:
            outbox.put(record)
        if bar is not None:
            bar.update(1)

    try:
        with Grader(lab, workers=args.workers, course=args.course) as grader:
            records = grader.grade_all(submissions, on_done=done)
    except (SandboxUnavailable, ZygoteFailed) as exc:
        raise CommandError(str(exc)) from None
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        Path(args.json).write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n",
                                   encoding="utf-8")
    if args.timings:
        timings = {r["learner"]: {"duration": r["duration"],
                                  "learner_seconds": grader.learner_seconds.get(r["learner"])}
                   for r in records}
        Path(args.timings).write_text(json.dumps(timings, indent=1) + "\n", encoding="utf-8")
    failed = [r for r in records if r["error"] is not None]
    if not args.quiet:
        for record in records:
            print(summary_line(record, args.lang))
        print(f"{len(records) - len(failed)} graded, {len(failed)} could not be graded"
              + (f"; results in {args.json}" if args.json else ""))
        if missing:
            from graders.record import messages

            print(messages().text("summary.missing", args.lang, count=len(missing),
                                 names=", ".join(missing)))
    return 0 if not failed else 1


def due_date(text: str) -> datetime:
    """``--due``: an ISO 8601 moment; without an offset it is UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not an ISO 8601 date, e.g. 2026-12-01T17:00-05:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def summary_line(record: dict[str, Any], lang: str) -> str:
    if record["error"] is not None:
        message = record["error"]["message"]
        return f"{record['learner']}: {message.get(lang) or message['en']}"
    return f"{record['learner']}: {record['score']:g}/{record['max_score']:g}"


def cmd_check(args: argparse.Namespace) -> int:
    from graders.check import check_labs, junit_xml

    try:
        reports = check_labs([Path(d) for d in args.labs_dirs], progress=sys.stderr.isatty(),
                             compare=args.compare_nbgrader)
    except LabError as exc:
        raise CommandError(str(exc)) from None
    if not reports:
        raise CommandError(f"{', '.join(args.labs_dirs)}: no labs (folders with a lab.toml) "
                           "found")
    for report in reports:
        print(("ok   " if report.ok else "FAIL ") + report.name)
        for name, problem in report.checks:
            if problem:
                print(f"     {name}: {problem}")
        for warning in report.warnings:
            print(f"     warning: {warning}")
    if args.junit:
        Path(args.junit).write_text(junit_xml(reports), encoding="utf-8")
    bad = sum(1 for r in reports if not r.ok)
    warned = sum(1 for r in reports if r.warnings)
    print(f"{len(reports) - bad} of {len(reports)} labs ok"
          + (f"; {warned} with warnings (translations missing; add `languages = [...]` "
             "to lab.toml to make them errors)" if warned else ""))
    return 0 if bad == 0 else 1


def cmd_lab_import(args: argparse.Namespace) -> int:
    from graders.lab_import import import_assignment

    try:
        made = import_assignment(Path(args.course_dir), args.assignment, into=Path(args.into),
                                 track=args.track, lab_id=args.id, force=args.force)
    except (LabError, OSError) as exc:
        raise CommandError(str(exc)) from None
    print(f"imported {args.assignment} as {made.path}: {len(made.notebooks)} notebook(s) "
          f"({', '.join(made.notebooks)}), {made.files} file(s), {made.points:g} points")
    print(f"next: fill in the TODOs of {made.path / 'lab.toml'}, then run "
          f"northlab check {made.path}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    grade = subparsers.add_parser(
        "grade", help="grade every learner's submission of one lab in the sandbox",
        description="Grade SUBMISSIONS_DIR (one folder per learner, or nbgrader's "
        "submitted/<learner>/<lab>/ layout) against LAB_DIR. Exit 0 when every "
        "submission was graded (low scores are not errors).")
    grade.add_argument("lab_dir", metavar="LAB_DIR", help="the lab folder (with lab.toml)")
    grade.add_argument("submissions_dir", metavar="SUBMISSIONS_DIR")
    grade.add_argument("--layout", choices=("auto", "learners", "submitted", "course"),
                       default="auto",
                       help="learners: one folder per learner; submitted: nbgrader's "
                       "submitted/ folder; course: a course root (default: auto, from a "
                       "folder named submitted or a course's nbgrader_config.py)")
    grade.add_argument("--json", metavar="OUT", help="write the result records (a JSON list)")
    grade.add_argument("--workers", type=int, default=None,
                       help="parallel sandboxed workers (default: number of CPUs)")
    grade.add_argument("--lang", choices=("en", "fr"), default="en",
                       help="language of the summary printed here (records hold both)")
    grade.add_argument("--course", default=None, help="nbgrader course id for the records")
    grade.add_argument("--due", type=due_date, default=None, metavar="WHEN",
                       help="due date, ISO 8601 (e.g. 2026-12-01T17:00-05:00; UTC if no "
                            "offset): submissions stamped later are recorded as late")
    grade.add_argument("--outbox", metavar="DIR", default=None,
                       help="also put each record into this outbox (default inside the hub: "
                       "<data_root>/outbox)")
    grade.add_argument("--no-outbox", action="store_true",
                       help="do not deliver records to the outbox even inside the hub")
    grade.add_argument("--timings", metavar="FILE",
                       help="write per-learner grading time and time spent in the learner's "
                       "own code (JSON; used by benchmarks/grading.py)")
    grade.add_argument("-q", "--quiet", action="store_true", help="print nothing")
    grade.set_defaults(func=cmd_grade)

    check = subparsers.add_parser(
        "check", help="check labs: solution gets full marks, release at most the floor",
        description="For every lab under each LABS_DIR (default: labs): the instructor "
        "solution must get full marks, the released (blank) version no more than the lab's "
        "floor, and the metadata must be valid. Missing translations (title, summary, test "
        "feedback) are warnings, or errors for a lab that declares its languages in "
        "lab.toml (languages = [\"en\", \"fr\"]). Exit 1 if any lab fails.")
    check.add_argument("labs_dirs", metavar="LABS_DIR", nargs="*", default=["labs"],
                       help="folders of labs, or lab folders (default: labs)")
    check.add_argument("--junit", metavar="FILE", help="also write a JUnit XML report")
    check.add_argument("--compare-nbgrader", action="store_true",
                       help="also grade a generated cohort of each notebook lab (solution, "
                       "release, one solution cell blanked at a time) with stock nbgrader "
                       "autograde and require identical scores (slow)")
    check.set_defaults(func=cmd_check)

    lab = subparsers.add_parser("lab", help="author labs: import an nbgrader assignment",
                                description="Author labs.")
    lab_verbs = lab.add_subparsers(dest="lab_command", metavar="COMMAND", required=True)
    imports = lab_verbs.add_parser(
        "import", help="turn an nbgrader course's source assignment into a lab",
        description="Copy COURSE_DIR/source/ASSIGNMENT/ (its notebooks and data files, "
        "without what nbgrader ignores) into INTO/TRACK/<id>/source/ and draft its lab.toml: "
        "id from the assignment name, title and summary from the first heading and "
        "paragraph, points = nbgrader's maximum score, English only (northlab check warns "
        "about missing French). Refuses to replace an existing lab unless --force. "
        "Lab format: docs/labs.md.")
    imports.add_argument("course_dir", metavar="COURSE_DIR",
                         help="the nbgrader course folder (the one holding source/)")
    imports.add_argument("assignment", metavar="ASSIGNMENT",
                         help="the assignment's folder name in COURSE_DIR/source/")
    imports.add_argument("--track", choices=TRACKS, default=None,
                         help="the lab's track (default: INTO's name, if it is a track "
                         "folder such as labs/robotics)")
    imports.add_argument("--into", default="labs", metavar="LABS_DIR",
                         help="the labs folder (default: labs); the lab goes to "
                         "LABS_DIR/TRACK/<id>/")
    imports.add_argument("--id", default=None,
                         help="the lab id (default: from the assignment name, e.g. "
                         "'Problem_Set_1' -> problem-set-1)")
    imports.add_argument("--force", action="store_true",
                         help="replace a lab already at LABS_DIR/TRACK/<id>/")
    imports.set_defaults(func=cmd_lab_import)
