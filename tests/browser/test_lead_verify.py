"""The cohort lead verifies a learner's credential from the gradebook. The learner earned it
on their own: the instructor graded their solutions of the credential's labs with
``northlab grade`` (the hub's outbox carries the results to the services), so this module
needs no other test to have run before it."""

from __future__ import annotations

import secrets

import pytest

from hub.people.manage import add_person

from .conftest import SLOW, World, grade_solutions, reload_until

pytestmark = pytest.mark.slow
ROLE = "learner-verified"
#: Three labs of the track's credential with no part a person grades, and the folder of
#: each that holds its solution (a notebook lab's nbgrader source has the solutions).
SOLVED = {"auth-log-forensics": "source", "cipher-breaking": "source",
          "sql-injection": "solution"}


@pytest.fixture(scope="module")
def graded_learner(world: World) -> str:
    """A learner of the cohort whose three labs of the credential the instructor graded."""
    name = world.name(ROLE)
    add_person(world.settings, world.client, name, role="learner", cohort=world.cohort,
               password=secrets.token_hex(8))
    grade_solutions(world, [name], SOLVED)
    return name


def test_lead_verifies_a_credential(world, visit, graded_learner):
    lead = visit("lead")
    page = lead.page
    lead.log_in()
    page.wait_for_url("**/services/gradebook/**", timeout=SLOW)
    page.click(f"a >> text={world.cohort}")
    row = page.locator(f"table.grid a >> text={graded_learner}")
    reload_until(page, lambda: row.count() > 0)  # the outbox delivers the learner's results
    row.click()
    page.wait_for_url("**/services/gradebook/learner/**")
    verify = page.locator("a[href*='/services/credentials/verify']")
    reload_until(page, lambda: verify.count() > 0)
    lead.check("learner")
    verify.click()
    page.locator("#result[data-valid=true]").wait_for(timeout=SLOW)
    lead.check("verified")
