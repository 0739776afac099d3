"""Grading throughput: stock ``nbgrader autograde`` vs ``northlab grade`` on the same cohort.

Generates a cohort of N submissions (seeded) to a numpy/pandas notebook lab: right
answers (several ways), wrong answers, crashing cells and endless loops. Grades it with
stock nbgrader in a throwaway course (one kernel per submission, in sequence; per-cell
timeout = the loop limit) and with ``northlab grade`` (pre-warmed sandboxed interpreters,
``--workers`` in parallel; wall-clock limit = the same loop limit). Checks that every
honest (non-looping) submission gets the same score from both, then prints both wall
times, the median per-submission overhead of northlab (grading wall time minus the time
spent in the learner's own code), and ends with ``speedup: <ratio>x``.

    python benchmarks/grading.py [--n 200] [--workers 2] [--loop-seconds 5]
"""

from __future__ import annotations

import argparse
import json
import os
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

from graders.lab import load_lab  # noqa: E402
from graders.nbgrader_course import NbgraderCourse  # noqa: E402

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="cohort size (default 200)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                        help="northlab parallel workers (default: CPUs)")
    parser.add_argument("--loop-seconds", type=int, default=5,
                        help="time limit for looping code, in both graders (default 5)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="northlab-bench-"))
    try:
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
        return 1 if differ else 0
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
