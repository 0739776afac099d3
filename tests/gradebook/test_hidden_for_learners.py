"""What a learner reads of hidden tests: one total per attempt, never a name, a verdict or a
hint (docs/labs.md; the feedback service does the same). With several attempts, anything
more is an oracle for each hidden test (review 10, F4). Staff keep the detail.

The seeded program's last test of every lab (``test_4``) is hidden; its hint is
"Check step 4 of the lab." ("Vérifiez l'étape 4 du lab.").
"""

from __future__ import annotations

import json
import re

LEARNER = "learner-01-001"
HIDDEN_NAME, VISIBLE_NAME = "test_4", "test_1"
HIDDEN_HINTS = ("step 4", "étape 4", "tape 4")  # the last: as escaped HTML may cut it


def attempts_of(page: str) -> int:
    return len(re.findall(r"<details", page))


async def test_my_page_shows_hidden_tests_as_one_total_per_attempt(get):
    for lang, total in (("en", "Hidden tests:"), ("fr", "Tests cachés")):
        page = (await get(LEARNER, f"me?lang={lang}")).body.decode()
        assert attempts_of(page) > 0 and VISIBLE_NAME in page
        assert HIDDEN_NAME not in page
        assert not any(hint in page for hint in HIDDEN_HINTS)
        assert "hidden test<" not in page and "test caché<" not in page
        assert page.count(total) == attempts_of(page)


async def test_the_learners_own_json_has_no_hidden_test(get):
    for path in ("api/me", f"api/learners/{LEARNER}"):
        data = json.loads((await get(LEARNER, path)).body)
        attempts = [a for lab in data["labs"] for a in lab["attempts"]]
        assert attempts
        for attempt in attempts:
            names = {t["name"] for t in attempt["tests"]}
            assert VISIBLE_NAME in names and HIDDEN_NAME not in names
            assert not any(t["hidden"] for t in attempt["tests"])
            assert attempt["hidden_max_points"] == 2.0
            assert attempt["hidden_points"] in (0.0, 2.0)
        assert not any(hint in json.dumps(data, ensure_ascii=False) for hint in HIDDEN_HINTS)


async def test_staff_keep_each_hidden_test(get):
    page = (await get("boss", f"learner/{LEARNER}?lang=en")).body.decode()
    assert HIDDEN_NAME in page and "hidden test" in page
    data = json.loads((await get("boss", f"api/learners/{LEARNER}")).body)
    tests = [t for lab in data["labs"] for a in lab["attempts"] for t in a["tests"]]
    assert any(t["name"] == HIDDEN_NAME and t["hidden"] for t in tests)
