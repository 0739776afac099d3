"""The cohort lead verifies a learner's credential from the gradebook (after the course day
of test_journeys, on the same hub)."""

from __future__ import annotations

import pytest

from .conftest import SLOW

pytestmark = pytest.mark.slow


def test_lead_verifies_a_credential(world, visit):
    lead = visit("lead")
    page = lead.page
    lead.log_in()
    page.wait_for_url("**/services/gradebook/**", timeout=SLOW)
    page.click(f"a >> text={world.cohort}")
    page.click(f"table.grid a >> text={world.name('learner-en')}")
    page.wait_for_url("**/services/gradebook/learner/**")
    page.click("a[href*='/services/credentials/verify']")
    page.locator("#result[data-valid=true]").wait_for(timeout=SLOW)
    lead.check("verified")
