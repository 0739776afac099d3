"""``northlab gradebook export``: the gradebook's CSV exports from the server's shell.

The same files as the web page's export links (grades per learner x lab, or a per-learner
summary laid out for an LMS), for one cohort or all of them, e.g. for a funder report
written by cron. Cohort membership comes from the running hub (the ``northlab`` command's
own token); results from the shared database, read only.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from sqlalchemy.exc import OperationalError

from hub.services.records import open_database
from northlab.cli import CommandError
from northlab.settings import HubSettings, load
from northlab.tokens import cli_token

from . import exports, queries, views
from .catalogue import LabCatalogue
from .config import load_config
from .marks import MarkBook
from .roster import HubRoster, RosterUnavailable, Snapshot


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "gradebook", help="gradebook exports (CSV) from the shell",
        description="Gradebook exports from the shell; the web gradebook is at "
                    "/services/gradebook/ on the hub.")
    verbs = parser.add_subparsers(dest="gradebook_verb", metavar="VERB", required=True)
    export = verbs.add_parser(
        "export", help="write grades or an LMS summary as CSV",
        description="Write one row per learner x lab (default) or, with --summary, one row "
                    "per learner laid out for an LMS import. Needs the hub running.")
    export.add_argument("--cohort", help="cohort id, e.g. iqaluit-2026 (default: every cohort)")
    export.add_argument("--summary", choices=exports.LMS_LAYOUTS,
                        help="per-learner summary in this layout instead of the grade rows")
    export.add_argument("--lang", default="en", help="language of lab titles (default: en)")
    export.add_argument("--out", type=Path,
                        help="file to write; existing files are replaced (default: stdout)")
    export.set_defaults(func=run_export)


def run_export(args: argparse.Namespace) -> int:
    settings, config = load(HubSettings), load_config()
    roster = HubRoster(f"http://127.0.0.1:{settings.port}/hub/api",
                       cli_token(settings), ttl=0)
    try:
        snapshot = asyncio.run(roster.snapshot())
    except RosterUnavailable as exc:
        raise CommandError(
            f"The hub on port {settings.port} did not give its cohorts ({exc.__cause__}); "
            "start it with `northlab hub` if it is not running."
        ) from None
    body = export_csv(snapshot, database_url=config.database_url,
                      catalogue=LabCatalogue.from_folder(config.labs_root),
                      pass_percent=config.pass_percent, cohort=args.cohort,
                      summary=args.summary, language=args.lang)
    if args.out is None:
        sys.stdout.write(body.removeprefix("\ufeff"))
    else:
        tmp = args.out.with_name(args.out.name + ".part")
        tmp.write_text(body, encoding="utf-8")
        tmp.replace(args.out)
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


def export_csv(snapshot: Snapshot, *, database_url: str, catalogue: LabCatalogue,
               pass_percent: float, cohort: str | None, summary: str | None,
               language: str) -> str:
    """The CSV text of one cohort (or all) from the shared database."""
    if cohort is not None and cohort not in snapshot.members:
        known = ", ".join(snapshot.cohorts) or "none yet"
        raise CommandError(f"There is no cohort {cohort!r} in the hub (cohorts: {known}).")
    ids = [cohort] if cohort else snapshot.cohorts
    engine = open_database(database_url, migrate=False)
    try:
        with engine.connect() as conn:
            found = views.cohorts(conn, snapshot, ids, catalogue, pass_percent, MarkBook())
            if summary is None:
                return exports.grade_rows_csv(exports.grade_rows(found, language, pass_percent))
            learners = sorted({row.learner for view in found for row in view.rows})
            earned = queries.credential_counts(conn, learners)
            return exports.summary_for(found, earned, language, summary)
    except OperationalError:
        raise CommandError(
            f"Cannot read the results database at {database_url}: has the credential service "
            "stored any results yet?") from None
    finally:
        engine.dispose()
