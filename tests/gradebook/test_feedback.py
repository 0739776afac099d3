"""A learner reads their feedback history, errors included, in their language."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert
from tornado.httpclient import AsyncHTTPClient

from hub.services.gradebook.app import Gradebook
from hub.services.gradebook.config import GradebookConfig
from hub.services.gradebook.roster import StaticRoster
from hub.services.records import Result, open_database
from tests.support import synthetic
from tests.support.web import listening

from .stub import StubAuth, scopes_for

ERROR = {"code": "timeout", "message": {"en": "Your code ran out of time.",
                                        "fr": "Votre code a manqué de temps."}}


async def test_errors_and_feedback_follow_the_language(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'records.sqlite'}")
    roster = synthetic.seed(engine, synthetic.Plan(cohorts=1, learners_per_cohort=2, labs=1))
    when = datetime(2026, 10, 2, tzinfo=UTC)
    record = {"schema": "northlab.result/1", "learner": "learner-01-001", "lab": "lab-01",
              "track": "cybersecurity", "course": None, "submission_id": "broken",
              "submitted_at": None, "graded_at": when.isoformat(), "score": 0, "max_score": 8,
              "duration": 60, "isolation": "rlimits", "late": False, "tests": [],
              "error": ERROR}
    with engine.begin() as conn:
        conn.execute(insert(Result).values(
            learner="learner-01-001", lab="lab-01", track="cybersecurity", course=None,
            submission_id="broken", graded_at=when, score=0, max_score=8, percent=0,
            duration=60, isolation="rlimits", late=False, error_code="timeout",
            record=record))
    gradebook = Gradebook(GradebookConfig(), engine=engine, roster=StaticRoster(roster),
                          hub_auth=StubAuth({"learner-01-001": scopes_for()}))
    with listening(gradebook.application()) as url:
        async def page(lang: str) -> str:
            response = await AsyncHTTPClient().fetch(f"{url}/services/gradebook/me?lang={lang}",
                                                     headers={"X-Stub-User": "learner-01-001"})
            return response.body.decode()

        french, english = await page("fr"), await page("en")
    assert "Votre code a manqué de temps." in french and "Vérifiez l&#x27;étape" in french
    assert "Your code ran out of time." in english and "Check step" in english
    assert "Try 4" in english  # three graded tries, then the one that timed out
