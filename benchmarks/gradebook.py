"""Gradebook page speed at program scale.

Seeds 2,000 learners (50 cohorts of 40) x 40 labs x 3 attempts (240,000 results, 960,000
test rows) into a throwaway copy of the shared results database (SQLite, the default),
starts the real gradebook tornado app (only the hub identity lookup is stubbed, as in
tests/gradebook/stub.py) and times each page over HTTP. Server time = the ``total`` of the
``Server-Timing`` header the app sends (queries + rendering); the first request and the
median of the following ones are printed, after the service's one-off start-up read of all
marks (timed too), plus the program page right after new results arrive. The last line is
``slowest page: <ms> ms`` (the slower of the cohort and program pages, median).

    python benchmarks/gradebook.py [--learners 2000 --labs 40 --attempts 3 --repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tornado.httpclient import AsyncHTTPClient
from tqdm import tqdm

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "gradebook"))

from stub import StubAuth, scopes_for  # noqa: E402

from hub.services.gradebook.app import Gradebook  # noqa: E402
from hub.services.gradebook.config import GradebookConfig  # noqa: E402
from hub.services.gradebook.roster import StaticRoster  # noqa: E402
from hub.services.records import open_database  # noqa: E402
from tests.support import synthetic  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--learners", type=int, default=2000, help="learners in total")
    parser.add_argument("--cohort-size", type=int, default=40, help="learners per cohort")
    parser.add_argument("--labs", type=int, default=40, help="labs per learner")
    parser.add_argument("--attempts", type=int, default=3, help="attempts per lab")
    parser.add_argument("--repeat", type=int, default=5, help="timed requests per page")
    parser.add_argument("--keep", type=Path, help="keep the seeded database at this path")
    parser.add_argument("--nbgrader-learners", type=int, default=200,
                        help="scale of the nbgrader comparison (0 skips it)")
    parser.add_argument("--nbgrader-labs", type=int, default=5,
                        help="labs in the nbgrader comparison")
    return parser.parse_args()


async def time_pages(gradebook: Gradebook, pages: list[tuple[str, str, str]],
                     repeat: int) -> dict[str, tuple[float, float, int]]:
    """``{label: (first ms, median ms, gzip bytes)}`` of each page's server time."""
    server = gradebook.application().listen(0, "127.0.0.1")
    port = next(iter(server._sockets.values())).getsockname()[1]
    client = AsyncHTTPClient()
    timings = {}
    try:
        for label, user, path in pages:
            server_ms = []
            size = 0
            for _ in range(repeat + 1):
                response = await client.fetch(
                    f"http://127.0.0.1:{port}{gradebook.config.prefix}{path}",
                    headers={"X-Stub-User": user, "Accept-Encoding": "gzip"},
                    decompress_response=False, request_timeout=300)
                total = response.headers["Server-Timing"].rpartition("total;dur=")[2]
                server_ms.append(float(total))
                size = len(response.body)
            timings[label] = (server_ms[0], statistics.median(server_ms[1:] or server_ms), size)
    finally:
        server.stop()
    return timings


def report(title: str, timings: dict[str, tuple[float, float, int]]) -> None:
    print(f"\n{title}")
    print(f"  {'page':<44} {'first ms':>9} {'median ms':>10} {'gzip KB':>8}")
    for label, (cold, median, size) in timings.items():
        print(f"  {label:<44} {cold:>9.1f} {median:>10.1f} {size / 1024:>8.1f}")


def compare_nbgrader(learners: int, labs: int, repeat: int) -> None:
    """Same-scale comparison with nbgrader's gradebook (the stock tool), one attempt each.

    nbgrader: ``Gradebook.student_dicts()`` (the formgrader's students page, DB part only)
    and ``submission_dicts`` for every assignment (its per-assignment grade tables).
    northlab: the program page and the program-wide CSV, server time including rendering.
    """
    import random
    import warnings

    from nbgrader.api import Grade
    from nbgrader.api import Gradebook as NbGradebook

    folder = Path(tempfile.mkdtemp(prefix="northlab-gradebook-nbgrader-"))
    try:
        cohort_size = min(40, learners)
        plan = synthetic.Plan(cohorts=max(1, learners // cohort_size),
                              learners_per_cohort=cohort_size, labs=labs, attempts=1)
        engine = open_database(f"sqlite:///{folder / 'records.sqlite'}")
        roster = synthetic.seed(engine, plan)
        students = [name for names in roster.values() for name in names]
        assignments = [lab for lab, _ in synthetic.lab_ids(plan)]
        rng = random.Random(1)
        # nbgrader's own add_submission trips SQLAlchemy 2 autoflush warnings: not ours to fix
        warnings.filterwarnings("ignore", module="nbgrader")
        warnings.filterwarnings("ignore", message=".*not in session.*")
        with NbGradebook(f"sqlite:///{folder / 'gradebook.db'}") as gb:
            for name in students:
                gb.add_student(name)
            for assignment in assignments:
                gb.add_assignment(assignment)
                gb.add_notebook(assignment, assignment)
                for t in range(plan.tests_per_lab):
                    gb.add_grade_cell(f"test_{t + 1}", assignment, assignment, max_score=2.0,
                                      cell_type="code")
            with tqdm(total=len(students) * len(assignments), unit="submission",
                      desc="seeding nbgrader", file=sys.stderr) as bar:
                for assignment in assignments:
                    for name in students:
                        gb.add_submission(assignment, name)
                        bar.update(1)
            for grade in gb.db.query(Grade):
                grade.auto_score = rng.choice((0.0, 2.0))
            gb.db.commit()

            def stock() -> tuple[float, float]:
                started = time.perf_counter()
                gb.student_dicts()
                overview = (time.perf_counter() - started) * 1000
                started = time.perf_counter()
                for assignment in assignments:
                    gb.submission_dicts(assignment)
                return overview, (time.perf_counter() - started) * 1000

            stock_runs = [stock() for _ in range(min(repeat, 2) + 1)][1:]  # nbgrader is slow
        gradebook = Gradebook(GradebookConfig(), engine=open_database(
            f"sqlite:///{folder / 'records.sqlite'}", migrate=False),
            roster=StaticRoster(roster), hub_auth=StubAuth({"admin": scopes_for(admin=True)}))
        ours = asyncio.run(time_pages(gradebook, [
            ("overview", "admin", "program"), ("table", "admin", "export/grades.csv")], repeat))
        nb_overview = statistics.median(r[0] for r in stock_runs)
        nb_table = statistics.median(r[1] for r in stock_runs)
        print(f"\nvs nbgrader {nbgrader_version()} gradebook, same run, {len(students)} learners "
              f"x {labs} labs x 1 attempt (median ms):")
        print(f"  all-learner overview: nbgrader student_dicts {nb_overview:.1f}, northlab "
              f"program page {ours['overview'][1]:.1f} (first request, marks not yet in "
              f"memory: {ours['overview'][0]:.1f}) -> {nb_overview / ours['overview'][1]:.1f}x")
        print(f"  learner x lab table:  nbgrader submission_dicts x {labs} {nb_table:.1f}, "
              f"northlab grades.csv {ours['table'][1]:.1f} -> "
              f"{nb_table / ours['table'][1]:.1f}x")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def nbgrader_version() -> str:
    from importlib.metadata import version

    return version("nbgrader")


def main() -> int:
    args = parse_args()
    cohorts = max(1, args.learners // args.cohort_size)
    plan = synthetic.Plan(cohorts=cohorts, learners_per_cohort=args.cohort_size,
                          labs=args.labs, attempts=args.attempts)
    folder = Path(tempfile.mkdtemp(prefix="northlab-gradebook-bench-"))
    try:
        db_path = folder / "records.sqlite"
        url = f"sqlite:///{db_path}"
        engine = open_database(url)
        started = time.perf_counter()
        total = cohorts * args.cohort_size
        with tqdm(total=total, unit="learner", desc="seeding", file=sys.stderr) as bar:
            roster = synthetic.seed(engine, plan, progress=bar.update)
        rows = total * args.labs * args.attempts
        print(f"seeded {total} learners x {args.labs} labs x {args.attempts} attempts = "
              f"{rows} results in {time.perf_counter() - started:.1f} s")
        engine.dispose()

        lead_cohort = sorted(roster)[len(roster) // 2]
        learner = roster[lead_cohort][0]
        auth = StubAuth({"admin": scopes_for(admin=True),
                         "lead": scopes_for(cohorts=(lead_cohort,)),
                         learner: scopes_for()})
        pages = [
            ("program page (admin, all cohorts)", "admin", "program"),
            ("program page (lead, one cohort)", "lead", "program"),
            (f"cohort page ({args.cohort_size} learners x {args.labs} labs)", "lead",
             f"cohort/{lead_cohort}"),
            ("cohort page sorted by average", "lead",
             f"cohort/{lead_cohort}?sort=average&dir=desc"),
            (f"learner page ({args.labs * args.attempts} attempts)", "lead",
             f"learner/{learner}"),
            ("lab page (all cohorts)", "admin", "lab/lab-01"),
            ("my progress (learner)", learner, "me"),
            ("CSV export: one cohort", "lead", f"cohort/{lead_cohort}/grades.csv"),
            ("CSV export: program, learner x lab", "admin", "export/grades.csv"),
            ("CSV export: program summary (Moodle)", "admin",
             "export/summary.csv?layout=moodle"),
        ]
        engine = open_database(url, migrate=False)
        gradebook = Gradebook(GradebookConfig(), engine=engine, roster=StaticRoster(roster),
                              hub_auth=auth)
        started = time.perf_counter()
        asyncio.run(gradebook.read(gradebook.marks.refresh))
        print(f"service start: marks of {rows} results loaded in "
              f"{(time.perf_counter() - started) * 1000:.0f} ms (once, in the background)")
        timings = asyncio.run(time_pages(gradebook, pages, args.repeat))
        report("server time per page (first request, then median of the next ones)", timings)
        # new results arrive (one lab handed in by a whole cohort): pages fold in only those
        synthetic.seed(engine, synthetic.Plan(cohorts=1, learners_per_cohort=args.cohort_size,
                                              labs=1, attempts=1, seed=99))
        fresh = asyncio.run(time_pages(gradebook, pages[:1], 0))
        print(f"  program page right after {args.cohort_size} new results: "
              f"{fresh[pages[0][0]][0]:.1f} ms")
        engine.dispose()
        if args.keep:
            shutil.copy(db_path, args.keep)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    if args.nbgrader_learners:
        compare_nbgrader(args.nbgrader_learners, args.nbgrader_labs, args.repeat)
    committed = {label: values for label, values in timings.items()}
    targets = [label for label, _, _ in pages if label.startswith(("program", "cohort"))]
    print(f"\nCSV export time (program, learner x lab): "
          f"{committed['CSV export: program, learner x lab'][1]:.0f} ms; one cohort: "
          f"{committed['CSV export: one cohort'][1]:.0f} ms")
    print("target: cohort and program pages <= 300 ms (median server time)")
    slowest = max(committed[label][1] for label in targets)
    print(f"slowest page: {slowest:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
