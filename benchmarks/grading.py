"""Grading throughput: stock ``nbgrader autograde`` vs ``northlab grade`` on the same cohort.

Generates a cohort of N submissions (seeded) to a numpy/pandas notebook lab: right
answers (several ways), wrong answers, crashing cells and endless loops. Grades it with
stock nbgrader in a throwaway course (one kernel per submission, in sequence; per-cell
timeout = the loop limit) and with ``northlab grade`` (pre-warmed sandboxed interpreters,
``--workers`` in parallel; wall-clock limit = the same loop limit). Checks that every
honest (non-looping) submission gets the same score from both, then prints both wall
times, the median per-submission overhead of northlab (grading wall time minus the time
spent in the learner's own code), and ends with ``speedup: <ratio>x``.

Then a small-cohort case: nbgrader's own user-guide course ``ps1`` (2 learners x 2
notebooks, used in place from the installed nbgrader), stock ``nbgrader autograde`` vs
``northlab grade`` (both whole commands, start-up included), the same per-cell scores, and
where northlab's time goes (imports, sandbox start-up, grading).

Then single-submission latency through the warm instant-feedback service
(``python -m hub.services.feedback``, as the hub runs it): submissions handed in one at a
time into an exchange inbound, from the moment nbgrader's last file is written to the
moment the learner's answer is ready, and its overhead on top of the learner's own code
(goal: at most 1 s), next to one stock ``nbgrader autograde`` of one submission (what
formgrader's Autograde button runs).

    python benchmarks/grading.py [--n 200] [--workers 2] [--loop-seconds 5] [--small-only]
                                 [--instant-only]
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "graders"))

from northlab_labkit import USER_GUIDE, ps1_course, ps1_lab  # noqa: E402

from graders.lab import load_lab  # noqa: E402
from graders.nbgrader_course import NbgraderCourse  # noqa: E402
from hub.services.feedback.spool import Spool  # noqa: E402
from tests.support.ports import free_port_block  # noqa: E402

#: run in a fresh interpreter: where ``northlab grade``'s time goes on the small cohort
PHASES = """
import json, sys, time
started = time.perf_counter()
from pathlib import Path
from graders.engine import Grader
from graders.lab import load_lab
from graders.submissions import find_submissions
imported = time.perf_counter()
lab = load_lab(Path(sys.argv[1]))
subs = find_submissions(Path(sys.argv[2]), lab.assignment)
grader = Grader(lab, workers=int(sys.argv[3]))
made = time.perf_counter()
with grader:
    ready = time.perf_counter()
    records = grader.grade_all(subs)
    graded = time.perf_counter()
print(json.dumps({"imports": imported - started, "lab": made - imported,
                  "sandbox start-up": ready - made, "grading": graded - ready,
                  "learner code": sum(grader.learner_seconds.values())}))
"""

LAB = REPO / "tests" / "fixtures" / "labs" / "ai-data" / "nb-basics"
RIGHT = {
    "answer-square": ["def square(x):\n    return x * x", "def square(x):\n    return x ** 2",
                      "def square(x):\n    return int(np.square(x))"],
    "answer-means": ["def column_means(df):\n    return df.mean().to_dict()",
                     "def column_means(df):\n    return {c: df[c].sum() / len(df) "
                     "for c in df.columns}"],
    "answer-total": ['total = float(np.loadtxt("data/values.txt").sum())',
                     'total = float(pd.read_csv("data/values.txt", header=None)[0].sum())'],
}
WRONG = {
    "answer-square": "def square(x):\n    return x + x",
    "answer-means": "def column_means(df):\n    return df.median().to_dict() | {'extra': 1}",
    "answer-total": "total = 10",
}
CRASH = "raise ValueError('oops')"
LOOP = "while True:\n    pass"


def make_notebook(cells: dict[str, str]) -> str:
    nb = json.loads((LAB / "source" / f"{LAB.name}.ipynb").read_text())
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution"):
            cell["source"] = cells[meta["grade_id"]]
    return json.dumps(nb)


def cohort(n: int, seed: int = 7) -> dict[str, tuple[str, str]]:
    """learner -> (kind, notebook JSON); about 4% of submissions loop forever."""
    rng = random.Random(seed)
    out = {}
    for i in range(n):
        roll = rng.random()
        kind = "loop" if roll < 0.04 else "crash" if roll < 0.20 else \
            "wrong" if roll < 0.45 else "right"
        cells = {k: rng.choice(v) for k, v in RIGHT.items()}
        victim = rng.choice(sorted(cells))
        if kind == "wrong":
            cells[victim] = WRONG[victim]
        elif kind == "crash":
            cells[victim] = CRASH
        elif kind == "loop":
            cells["answer-total"] = LOOP
        out[f"learner{i:04d}"] = (kind, make_notebook(cells))
    return out


def small_cohort(tmp: Path, workers: int) -> int:
    """nbgrader's ps1 (2 learners x 2 notebooks): stock autograde vs northlab grade."""
    lab_dir = ps1_lab(tmp / "labs")
    course = NbgraderCourse(ps1_course(tmp / "ps1-course"), load_lab(lab_dir),
                            course="course101")
    course.generate()
    print("small cohort: nbgrader's ps1, 2 learners x 2 notebooks", flush=True)
    started = time.perf_counter()
    course.autograde()
    stock_seconds = time.perf_counter() - started
    stock = course.grades()
    out = tmp / "ps1.json"
    started = time.perf_counter()
    result = subprocess.run(
        [str(Path(sys.executable).parent / "northlab"), "grade", str(lab_dir),
         str(USER_GUIDE / "submitted"), "--json", str(out), "--workers", str(workers),
         "--no-outbox", "-q"], cwd=REPO)
    ours_seconds = time.perf_counter() - started
    if result.returncode != 0:
        print("northlab grade failed on ps1", file=sys.stderr)
        return 1
    ours = {(r["learner"], t["notebook"], t["name"]): (
                None if t.get("pending") else float(t["points"]), float(t["max_points"]))
            for r in json.loads(out.read_text()) for t in r["tests"]}
    phases = json.loads(subprocess.run(
        [sys.executable, "-c", PHASES, str(lab_dir), str(USER_GUIDE / "submitted"), str(workers)],
        cwd=REPO, capture_output=True, text=True, check=True).stdout)
    print(f"  per-cell scores identical: {ours == stock} ({len(stock)} cells)")
    print(f"  stock nbgrader autograde: {stock_seconds:.1f} s")
    print(f"  northlab grade --workers {workers}: {ours_seconds:.1f} s "
          f"(ratio {ours_seconds / stock_seconds:.2f} of stock)")
    print("  northlab's time, measured again in one process: " + ", ".join(
        f"{name} {seconds:.2f} s" for name, seconds in phases.items()))
    return 0 if ours == stock else 1


def instant_feedback(tmp: Path, runs: int = 10) -> int:
    """Latency of one submission through the warm feedback service vs one stock autograde."""
    labs = tmp / "instant-labs"
    lab_dir = labs / "ai-data" / LAB.name
    shutil.copytree(LAB, lab_dir)
    with open(lab_dir / "lab.toml", "a", encoding="utf-8") as handle:
        handle.write("\n[feedback]\non_submit = true\nattempts = 0\n")
    data_root = tmp / "instant-data"
    inbound = data_root / "exchange" / "bench" / "inbound"
    inbound.mkdir(parents=True)
    (inbound.parent / "outbound" / LAB.name).mkdir(parents=True)  # released in the course
    learner = pwd.getpwuid(os.getuid()).pw_name  # the kernel says who owns a submission
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("NORTHLAB_")},
           "NORTHLAB_DATA": str(data_root), "NORTHLAB_CONFIG": os.devnull,
           "NORTHLAB_LABS_ROOT": str(labs), "JUPYTERHUB_API_TOKEN": "unused",
           "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{free_port_block(1)}"}
    spool = Spool(data_root / "feedback")
    service = subprocess.Popen([sys.executable, "-m", "hub.services.feedback"], cwd=REPO,
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    notebook = make_notebook({k: v[0] for k, v in RIGHT.items()})
    values = (LAB / "source" / "data" / "values.txt").read_bytes()
    latencies, overheads = [], []
    try:
        print("instant feedback: one submission at a time through the warm service",
              flush=True)
        for i in range(runs + 1):  # the first one waits for the service to start
            folder = inbound / f"{learner}+{LAB.name}+2026-11-30 08:00:{i:02d}.000000 UTC+{i}"
            (folder / "data").mkdir(parents=True)
            (folder / f"{LAB.name}.ipynb").write_text(notebook)
            (folder / "data" / "values.txt").write_bytes(values)
            (folder / "timestamp.txt").write_text("2026-11-30 08:00:00.000000 UTC")
            started = time.perf_counter()
            (folder / "submission_secret.txt").write_text(str(i))
            deadline = started + 300
            while time.perf_counter() < deadline:
                done = [e for e in spool.entries(learner) if e.get("state") == "graded"]
                if len(done) > i:
                    break
                time.sleep(0.01)
            else:
                print("the feedback service did not answer", file=sys.stderr)
                return 1
            if i == 0:
                continue
            latency = time.perf_counter() - started
            latencies.append(latency)
            overheads.append(latency - (done[-1].get("learner_seconds") or 0.0))
    finally:
        service.terminate()
        service.wait(timeout=60)
    course = NbgraderCourse(tmp / "instant-course", load_lab(lab_dir))
    course.generate()
    course.add_submission("learner", {f"{LAB.name}.ipynb": notebook.encode(),
                                      "data/values.txt": values})
    started = time.perf_counter()
    course.autograde()
    stock_seconds = time.perf_counter() - started
    print(f"  warm service, {runs} submissions: median latency "
          f"{statistics.median(latencies):.2f} s, median overhead on top of the learner's "
          f"code {statistics.median(overheads):.2f} s (max {max(overheads):.2f} s; goal <= 1 s; "
          "includes waiting for the service's next look at the exchange)")
    print(f"  stock nbgrader autograde of one submission: {stock_seconds:.1f} s "
          f"(ratio {statistics.median(latencies) / stock_seconds:.2f} of stock)")
    return 0 if statistics.median(overheads) <= 1.0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="cohort size (default 200)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                        help="northlab parallel workers (default: CPUs)")
    parser.add_argument("--loop-seconds", type=int, default=5,
                        help="time limit for looping code, in both graders (default 5)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--small-only", action="store_true",
                        help="only the small-cohort case (nbgrader's ps1)")
    parser.add_argument("--instant-only", action="store_true",
                        help="only single-submission latency through the feedback service")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="northlab-bench-"))
    try:
        if args.small_only:
            return small_cohort(tmp, args.workers)
        if args.instant_only:
            return instant_feedback(tmp)
        lab_dir = tmp / "labs" / "ai-data" / LAB.name
        shutil.copytree(LAB, lab_dir)
        toml = lab_dir / "lab.toml"
        toml.write_text(toml.read_text().replace(
            "wall_seconds = 20", f"wall_seconds = {args.loop_seconds}").replace(
            "cpu_seconds = 15", f"cpu_seconds = {args.loop_seconds}"))
        lab = load_lab(lab_dir)
        course = NbgraderCourse(tmp / "course", lab, timeout=args.loop_seconds)
        course.generate()
        data = (LAB / "source" / "data" / "values.txt").read_bytes()
        subs = cohort(args.n)
        for learner, (_, text) in subs.items():
            course.add_submission(learner, {f"{lab.id}.ipynb": text.encode(),
                                            "data/values.txt": data})
        kinds = [k for k, _ in subs.values()]
        mix = ", ".join(f"{kinds.count(k)} {k}" for k in ("right", "wrong", "crash", "loop"))
        print(f"cohort: {args.n} submissions ({mix})")

        print("grading with stock nbgrader autograde ...", flush=True)
        started = time.perf_counter()
        course.autograde()
        stock_seconds = time.perf_counter() - started
        stock = course.scores()

        print(f"grading with northlab grade --workers {args.workers} ...", flush=True)
        out, timings = tmp / "northlab.json", tmp / "timings.json"
        started = time.perf_counter()
        result = subprocess.run(
            [str(Path(sys.executable).parent / "northlab"), "grade", str(lab_dir),
             str(tmp / "course"), "--json", str(out), "--timings", str(timings),
             "--workers", str(args.workers), "--no-outbox", "-q"], cwd=REPO)
        ours_seconds = time.perf_counter() - started
        if result.returncode != 0:
            print("northlab grade failed", file=sys.stderr)
            return 1
        ours = {r["learner"]: r["score"] for r in json.loads(out.read_text())}

        honest = [learner for learner, (kind, _) in subs.items() if kind != "loop"]
        differ = [x for x in honest if stock.get(x) != ours.get(x)]
        print(f"honest submissions with identical scores: {len(honest) - len(differ)}/"
              f"{len(honest)}")
        for learner in differ[:10]:
            print(f"  DIFFERENT {learner} ({subs[learner][0]}): stock {stock.get(learner)}, "
                  f"northlab {ours.get(learner)}")
        times = json.loads(timings.read_text())
        overhead = [(t["duration"] - (t["learner_seconds"] or 0.0)) * 1000
                    for learner, t in times.items() if subs[learner][0] != "loop"]
        print(f"stock nbgrader autograde: {stock_seconds:.1f} s "
              f"({stock_seconds / args.n * 1000:.0f} ms per submission)")
        print(f"northlab grade: {ours_seconds:.1f} s "
              f"({ours_seconds / args.n * 1000:.0f} ms per submission, "
              f"{args.workers} workers, including start-up)")
        print(f"northlab median per-submission overhead: {statistics.median(overhead):.0f} ms "
              f"(p90 {statistics.quantiles(overhead, n=10)[-1]:.0f} ms)")
        print(f"speedup: {stock_seconds / ours_seconds:.1f}x")
        return small_cohort(tmp, args.workers) or instant_feedback(tmp) or (
            1 if differ else 0)
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
