"""A cohort lead opens the class from the gradebook they land on: every learner's lab of the
cohort starts and the page shows them ready. A POST without the page's XSRF token, or by a
learner (with their own valid XSRF token), starts nothing."""

from __future__ import annotations

import re
import time
from urllib.parse import quote, urlsplit

import pytest

from .conftest import SLOW, World

pytestmark = pytest.mark.slow
#: Several learners' servers start at once on a loaded 2-core machine.
ALL_READY_SECONDS = 600


def learners(world: World) -> list[str]:
    return world.client.request("GET", f"/groups/cohort-{world.cohort}").json()["users"]


def running(world: World) -> set[str]:
    return {name for name in learners(world) if world.client.user(name)["servers"]}


def stop_servers(world: World, names: set[str]) -> None:
    for name in names:
        world.client.request("DELETE", f"/users/{name}/server")
    deadline = time.monotonic() + SLOW / 1000
    while running(world) & names and time.monotonic() < deadline:
        time.sleep(1)
    assert not running(world) & names, "servers did not stop"


def test_lead_opens_the_class_from_the_gradebook(world, visit):
    before = running(world)
    lead = visit("lead")
    page = lead.page
    lead.log_in()
    page.wait_for_url("**/services/gradebook/**", timeout=SLOW)
    # an earlier test may have left this person in French: the switch every page links to
    page.goto(f"{world.url}/hub/northlab/language?lang=en&next="
              + quote(urlsplit(page.url).path, safe=""))
    gradebook = f"{world.url}/services/gradebook/"
    try:
        # without the page's XSRF token the lead's own session is refused
        forged = page.request.post(f"{gradebook}cohort/{world.cohort}/open")
        assert forged.status == 403
        assert running(world) == before
        lead.check("program")
        page.click(f"button >> text=Open the class {world.cohort}")
        page.wait_for_url(re.compile(r".*/program\?opened="), timeout=SLOW)
        status = page.locator("#open-class-status")
        total = len(learners(world))
        everyone = f"Class {world.cohort}: {total} of {total} labs ready."
        deadline = time.monotonic() + ALL_READY_SECONDS
        while everyone not in status.inner_text() and time.monotonic() < deadline:
            page.wait_for_timeout(3000)
            page.click("#open-class-status a")  # "Check again"
            page.wait_for_load_state()
        assert everyone in status.inner_text()
        assert running(world) == set(learners(world))
        lead.check("class-open")
    finally:
        stop_servers(world, running(world) - before)


def test_a_learner_cannot_open_the_class(world, visit):
    before = running(world)
    learner = visit("learner-en")
    page = learner.page
    learner.log_in()
    gradebook = f"{world.url}/services/gradebook/"
    page.goto(gradebook + "me")  # the gradebook's login gives this session its XSRF cookie
    xsrf = next(cookie["value"] for cookie in learner.context.cookies(gradebook)
                if cookie["name"] == "_xsrf")
    answer = page.request.post(f"{gradebook}cohort/{world.cohort}/open",
                               headers={"X-XSRFToken": xsrf})
    assert answer.status == 403
    assert running(world) == before
