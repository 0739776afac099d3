"""A learner's gradebook page in Inuktitut: the English shown for untranslated texts, lab
titles and feedback is marked ``lang="en"`` (screen readers switch voice)."""

from __future__ import annotations

from sqlalchemy import select

from hub.services.records import Credential, Result
from tests.i18n.marks import mismarked


async def test_the_inuktitut_learner_page_marks_english(get, seeded):
    engine, roster = seeded
    with engine.connect() as conn:
        learner = conn.execute(select(Credential.learner).limit(1)).scalar_one()
        achievements = conn.execute(select(Credential.achievement).where(
            Credential.learner == learner)).scalars().all()
        labs = set(conn.execute(select(Result.lab).where(Result.learner == learner)).scalars())
        tests = {f"test_{n}" for n in range(1, 10)}
    cohorts = [c for c, people in roster.items() if learner in people]
    page = (await get("boss", f"learner/{learner}?lang=iu")).body.decode()
    assert "Check step 1 of the lab." in page and achievements and labs
    assert mismarked(page, [learner, *cohorts, *achievements, *labs, *tests]) == []
    assert '<span lang="en">Check step 1 of the lab.</span>' in page
    french = (await get("boss", f"learner/{learner}?lang=fr")).body.decode()
    assert "étape 1 du lab." in french and '<span lang="en">' not in french
