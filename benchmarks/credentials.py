"""Credential issuing and verification speed, per credential.

Issues N credentials through the real library (key, status list slot, eddsa-rdfc-2022
signature, DB write) into a throwaway data root, then verifies them with our offline
verifier (proof + dates + revocation against the signed status list) and with the
Digital Bazaar JavaScript stack (@digitalbazaar/vc 7, the stock verifier wallets use),
timed in the same run. Also times the criteria path: a result POSTed into the library
that completes an achievement (store + evaluate + issue).

Issue+sign and verify are also measured, in the same run, with the credential code of
commit BASELINE (before strict JSON-LD, the badge image and the issuer checks), extracted
with ``git archive``; the run fails if either is more than 2x slower than the baseline.

    python benchmarks/credentials.py [--count 200]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tqdm import tqdm

REPO = Path(__file__).resolve().parent.parent
#: The code measured: this checkout, or a baseline tree (see :func:`baseline_medians`).
TREE = Path(os.environ.get("NORTHLAB_BENCH_TREE", REPO))
sys.path.insert(0, str(TREE))

from hub.services.credentials.service import Credentials  # noqa: E402
from hub.services.credentials.settings import CredentialSettings  # noqa: E402
from hub.services.credentials.verify import verify_credential  # noqa: E402

JS = REPO / "tests" / "credentials" / "verify_with_digitalbazaar.mjs"
#: The commit the 2x budget is measured against (session start of issue 12).
BASELINE = "1663ef2"
PUBLIC_URL = "https://bench.example.org/services/credentials"


def record(learner: str, lab: str) -> dict:
    return {
        "schema": "northlab.result/1",
        "learner": learner,
        "lab": lab,
        "track": "cybersecurity",
        "course": None,
        "submission_id": "bench",
        "submitted_at": None,
        "graded_at": "2026-11-25T12:00:00Z",
        "score": 9,
        "max_score": 10,
        "duration": 1.0,
        "isolation": "benchmark",
        "late": False,
        "error": None,
        "tests": [
            {
                "name": "t",
                "points": 9,
                "max_points": 10,
                "passed": False,
                "feedback": {"en": "e", "fr": "f"},
            }
        ],
    }


def baseline_medians(count: int) -> dict[str, float] | None:
    """Median issue+sign and verify ms of the BASELINE code, or None without git history."""
    tmp = Path(tempfile.mkdtemp(prefix="northlab-bench-baseline-"))
    try:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", BASELINE, "hub", "graders"],
            capture_output=True, check=False,
        )
        if archive.returncode != 0:
            print(f"baseline {BASELINE} not in this clone's history: not compared")
            return None
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive.stdout, check=True)
        proc = subprocess.run(
            [sys.executable, __file__, "--count", str(count), "--medians-only"],
            env={**os.environ, "NORTHLAB_BENCH_TREE": str(tmp)},
            capture_output=True, text=True, check=True,
        )
        return json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200, help="credentials to issue and verify")
    parser.add_argument(
        "--medians-only", action="store_true",
        help="print only {issue, verify} median ms as JSON (used for the baseline run)",
    )
    args = parser.parse_args()
    baseline = None if args.medians_only else baseline_medians(args.count)
    tmp = Path(tempfile.mkdtemp(prefix="northlab-bench-credentials-"))
    try:
        labs = tmp / "labs" / "cybersecurity"
        for lab in ("a", "b", "c"):
            (labs / lab).mkdir(parents=True)
            (labs / lab / "lab.toml").write_text(
                f'id = "{lab}"\ncredential = "cybersecurity-foundations"\n'
            )
        shutil.copy(REPO / "labs/cybersecurity/achievement.toml", labs / "achievement.toml")
        library = Credentials(
            CredentialSettings(
                data_root=tmp / "data", labs_root=tmp / "labs", node_root=REPO,
                public_url=PUBLIC_URL,
            )
        )
        library.award("warm-up", "cybersecurity-foundations", awarded_by="b", reason="warm-up")

        issue_ms, documents = [], []
        quiet = args.medians_only
        for i in tqdm(range(args.count), desc="issue+sign", unit="cred", disable=quiet):
            start = time.perf_counter()
            credential = library.award(
                f"learner-{i}", "cybersecurity-foundations", awarded_by="bench", reason="bench"
            )
            issue_ms.append((time.perf_counter() - start) * 1000)
            documents.append(credential.document)

        status_list = library.status_list_credential(1)
        known = library.known_keys()
        verify_ms = []
        for document in tqdm(documents, desc="verify (northlab)", unit="cred", disable=quiet):
            start = time.perf_counter()
            result = verify_credential(
                document,
                loader=library.loader,
                known_keys=known,
                status_lists=lambda url: status_list,
            )
            verify_ms.append((time.perf_counter() - start) * 1000)
            assert result.valid, result.message
        if args.medians_only:
            medians = {"issue": statistics.median(issue_ms), "verify": statistics.median(verify_ms)}
            print(json.dumps(medians))
            return 0

        criteria_ms = []
        for i in tqdm(range(max(10, args.count // 10)), desc="result->credential", unit="cred"):
            library.record_result(record(f"crit-{i}", "a"), reported_by="bench")
            library.record_result(record(f"crit-{i}", "b"), reported_by="bench")
            start = time.perf_counter()
            intake = library.record_result(record(f"crit-{i}", "c"), reported_by="bench")
            criteria_ms.append((time.perf_counter() - start) * 1000)
            assert len(intake.issued) == 1

        files = []
        for i, document in enumerate(documents):
            path = tmp / f"c{i}.json"
            path.write_text(json.dumps(document))
            files.append(str(path))
        (tmp / "sl.json").write_text(json.dumps(status_list))
        subprocess.run(
            ["node", str(JS), "--status-list", str(tmp / "sl.json"), files[0]],
            capture_output=True,
            text=True,
            check=True,
        )
        start = time.perf_counter()
        subprocess.run(
            ["node", str(JS), "--status-list", str(tmp / "sl.json"), files[0]],
            capture_output=True,
            text=True,
            check=True,
        )
        node_start_ms = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        js = subprocess.run(
            ["node", str(JS), "--status-list", str(tmp / "sl.json"), *files],
            capture_output=True,
            text=True,
        )
        js_total_ms = (time.perf_counter() - start) * 1000
        assert js.returncode == 0, js.stdout[-500:] + js.stderr[-500:]
        js_per = max(0.0, js_total_ms - node_start_ms) / max(1, len(files) - 1)

        def line(name: str, values: list[float]) -> None:
            print(
                f"{name:<34} median {statistics.median(values):7.2f} ms   "
                f"p95 {sorted(values)[int(0.95 * (len(values) - 1))]:7.2f} ms   n={len(values)}"
            )

        print(f"\ncredentials benchmark ({args.count} credentials, SQLite, one core)")
        line("issue+sign (manual award)", issue_ms)
        line("result completes criteria -> issue", criteria_ms)
        line("verify, northlab (offline)", verify_ms)
        print(
            f"{'verify, Digital Bazaar vc 7 (node)':<34} mean   {js_per:7.2f} ms   "
            f"(batch of {len(files)}, node start-up {node_start_ms:.0f} ms excluded)"
        )
        print(f"ratio northlab/Digital Bazaar verify: {statistics.mean(verify_ms) / js_per:.2f}x")
        if baseline is None:
            return 0
        within = True
        for name, values in (("issue", issue_ms), ("verify", verify_ms)):
            ratio = statistics.median(values) / baseline[name]
            within = within and ratio <= 2.0
            print(
                f"{name + ' vs ' + BASELINE:<34} median {statistics.median(values):7.2f} ms "
                f"vs {baseline[name]:7.2f} ms   ratio {ratio:.2f}x (budget 2x)"
            )
        return 0 if within else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
