"""Invented, seeded results and credentials for the gradebook's tests and benchmarks.

Writes schema-valid result records (northlab/result.schema.json) for ``cohorts`` x
``learners`` x ``labs`` x ``attempts`` straight into the shared database with bulk inserts,
and returns the roster (cohort id -> learner names) the hub groups would hold. Learners,
labs and scores are invented; nothing refers to a real person.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine

from hub.services.records import Credential, IssuerKey, Result, StatusList, TestResult

TRACKS = ("cybersecurity", "ai-data", "robotics", "gamedev")
START = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Plan:
    """How much to invent."""

    cohorts: int = 2
    learners_per_cohort: int = 5
    labs: int = 4
    attempts: int = 3
    tests_per_lab: int = 4
    missing_rate: float = 0.0  # share of (learner, lab) pairs never submitted
    seed: int = 7


def lab_ids(plan: Plan) -> list[tuple[str, str]]:
    """``(lab id, track)`` of the invented labs."""
    return [(f"lab-{i + 1:02d}", TRACKS[i % len(TRACKS)]) for i in range(plan.labs)]


def roster(plan: Plan) -> dict[str, list[str]]:
    """Cohort id -> learner names of the plan."""
    return {
        f"site{c + 1:02d}-2026": [
            f"learner-{c + 1:02d}-{n + 1:03d}" for n in range(plan.learners_per_cohort)
        ]
        for c in range(plan.cohorts)
    }


def _record(learner: str, lab: str, track: str, submission: str, graded: datetime,
            tests: list[dict], late: bool, course: str) -> dict:
    score = sum(t["points"] for t in tests)
    return {
        "schema": "northlab.result/1", "learner": learner, "lab": lab, "track": track,
        "course": course, "submission_id": submission,
        "submitted_at": (graded - timedelta(seconds=30)).isoformat(),
        "graded_at": graded.isoformat(), "score": score,
        "max_score": sum(t["max_points"] for t in tests), "duration": 1.5,
        "isolation": "synthetic", "late": late, "tests": tests, "error": None,
    }


def seed(engine: Engine, plan: Plan, *, batch: int = 20_000,
         progress: Callable[[int], object] | None = None) -> dict[str, list[str]]:
    """Insert the plan's results and credentials; returns the roster.

    ``progress(1)`` is called after each learner (e.g. ``tqdm.update``).
    """
    rng = random.Random(plan.seed)
    labs = lab_ids(plan)
    difficulty = {lab: rng.uniform(-0.25, 0.15) for lab, _ in labs}
    cohorts = roster(plan)
    with engine.begin() as conn:
        next_id = (conn.execute(select(func.max(Result.id))).scalar() or 0) + 1
    results: list[dict] = []
    tests: list[dict] = []

    def flush() -> None:
        with engine.begin() as conn:
            if results:
                conn.execute(insert(Result), results)
            if tests:
                conn.execute(insert(TestResult), tests)
        results.clear()
        tests.clear()

    earned: list[tuple[str, str]] = []
    for cohort, learners in cohorts.items():
        for learner in learners:
            ability = rng.uniform(0.3, 1.0)
            tracks_done: dict[str, int] = {}
            for index, (lab, track) in enumerate(labs):
                if rng.random() < plan.missing_rate:
                    continue
                for attempt in range(plan.attempts):
                    graded = START + timedelta(days=index * 3 + attempt, minutes=rng.randrange(600))
                    chance = min(0.98, ability + difficulty[lab] + 0.12 * attempt)
                    late = rng.random() < 0.08
                    outcome = []
                    for t in range(plan.tests_per_lab):
                        passed = rng.random() < chance - 0.05 * t
                        outcome.append({
                            "name": f"test_{t + 1}", "points": 2.0 if passed else 0.0,
                            "max_points": 2.0, "passed": passed,
                            "hidden": t == plan.tests_per_lab - 1,
                            "feedback": {"en": f"Check step {t + 1} of the lab.",
                                         "fr": f"Vérifiez l'étape {t + 1} du lab."},
                        })
                    submission = f"s{plan.seed}-{attempt + 1}"
                    record = _record(learner, lab, track, submission, graded, outcome, late,
                                     cohort)
                    percent = 100.0 * record["score"] / record["max_score"]
                    results.append({
                        "id": next_id, "learner": learner, "lab": lab, "track": track,
                        "course": cohort, "submission_id": record["submission_id"],
                        "submitted_at": graded - timedelta(seconds=30), "graded_at": graded,
                        "score": record["score"], "max_score": record["max_score"],
                        "percent": percent, "duration": 1.5, "isolation": "synthetic",
                        "late": late, "error_code": None, "record": record,
                        "received_at": graded, "reported_by": "grader",
                    })
                    tests.extend(
                        {"result_id": next_id, "position": pos, **test}
                        for pos, test in enumerate(outcome)
                    )
                    next_id += 1
                    if percent >= 60 and attempt == plan.attempts - 1:
                        tracks_done[track] = tracks_done.get(track, 0) + 1
                if len(results) >= batch:
                    flush()
            earned.extend((learner, f"{track}-foundations")
                          for track, done in tracks_done.items() if done >= 2)
            if progress is not None:
                progress(1)
    flush()
    _credentials(engine, earned)
    return cohorts


def _credentials(engine: Engine, earned: list[tuple[str, str]]) -> None:
    if not earned:
        return
    with engine.begin() as conn:
        key = "did:key:zSynthetic#zSynthetic"
        if conn.execute(select(IssuerKey.id).where(IssuerKey.id == key)).first() is None:
            conn.execute(insert(IssuerKey).values(
                id=key, controller="did:key:zSynthetic", public_key_multibase="zSynthetic",
                private_key_file="synthetic.key", created_at=START))
        status_list = conn.execute(insert(StatusList).values(
            purpose="revocation", key_id=key, size=131072, allocated=len(earned), created_at=START)
        ).inserted_primary_key[0]
        conn.execute(insert(Credential), [
            {"id": f"synthetic-{status_list}-{i}", "learner": learner, "achievement": achievement,
             "issued_at": START + timedelta(days=60), "key_id": key,
             "status_list_id": status_list, "status_index": i, "document": {}}
            for i, (learner, achievement) in enumerate(earned)
        ])
