"""Open the class (``northlab cohort warm`` and the instructor's button on the hub home): the
cohort's learners' servers start before they log in, forked from the fork-server; the idle
culler reclaims the ones nobody uses."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from hub import managed
from hub.commands.runner import hub_env
from hub.people.manage import add_person
from hub.tracks import LOCALE
from tests.support.browser import CHROMIUM_ARGS

from .test_forkserver import forked_by, server_pid

pytestmark = pytest.mark.slow

NORTHLAB = str(Path(sys.executable).parent / "northlab")


def warm(hub, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([NORTHLAB, "cohort", "warm", *args], env=hub_env(hub.settings),
                          capture_output=True, text=True, timeout=120)


def wait_for(condition, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {timeout} s")
        time.sleep(0.5)


def test_warm_opens_the_class_and_the_culler_reclaims_unused_servers(hub):
    cohort = hub.other_cohort  # known at hub start: its instructors' role exists
    learners = [hub.name("warm-a"), hub.name("warm-b")]
    teacher = hub.name("warm-t")
    for name in learners:
        add_person(hub.settings, hub.client, name, role="learner", cohort=cohort, password=None)
    add_person(hub.settings, hub.client, teacher, role="instructor", cohort=cohort,
               password=None)

    result = warm(hub, cohort, "--track", "robotics")
    assert result.returncode == 0, result.stderr
    assert f"cohort {cohort}: 2 server(s) starting, 0 already running" in result.stdout

    def ready() -> bool:
        return all(hub.client.user(n)["servers"].get("", {}).get("ready") for n in learners)

    wait_for(ready, "the warmed servers were not ready")
    for name in learners:
        assert "hub.forkserver" in forked_by(server_pid(hub, name))
    again = warm(hub, cohort)
    assert again.returncode == 0 and "0 server(s) starting, 2 already running" in again.stdout
    unknown = warm(hub, "no-such-cohort")
    assert unknown.returncode != 0 and "no-such-cohort" in unknown.stderr
    assert "Traceback" not in unknown.stderr

    # the idle culler, run with the instructor's token (sees only this cohort) and a short
    # timeout: nobody logged in, so both warmed servers are stopped
    token = hub.user_token(teacher)
    api = f"http://127.0.0.1:{hub.settings.port + managed.HUB_PORT_OFFSET}/hub/api"
    culler = subprocess.Popen(
        [sys.executable, "-m", "jupyterhub_idle_culler", "--timeout=1", "--cull-every=2",
         f"--url={api}"], env={**os.environ, "JUPYTERHUB_API_TOKEN": token},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: not any(hub.client.user(n)["servers"] for n in learners),
                 "the idle culler did not stop the unused warmed servers")
    finally:
        culler.terminate()
        culler.wait(30)


def log_in(page, hub, name: str, password: str) -> None:
    """Log in through the login page, then open the hub home."""
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", password)
    page.click("#login_submit")
    page.wait_for_url(lambda url: "/hub/login" not in url)
    page.goto(f"{hub.url}/hub/home")


def test_open_the_class_button_starts_the_learners_servers(hub):
    cohort = hub.other_cohort
    teacher, learner, password = hub.name("open-t"), hub.name("open-a"), "aurore-boreale-42"
    add_person(hub.settings, hub.client, teacher, role="instructor", cohort=cohort,
               password=password)
    add_person(hub.settings, hub.client, learner, role="learner", cohort=cohort,
               password=password)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="fr-CA")
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            log_in(page, hub, learner, password)
            assert page.locator(".open-class").count() == 0  # learners have no such button
            page.context.clear_cookies()
            log_in(page, hub, teacher, password)
            button = page.locator(f'.open-class[data-group="cohort-{cohort}"]')
            expect(button.locator(".l-fr")).to_have_text(
                LOCALE.text("page.open_class", "fr", cohort=cohort))
            expect(button.locator(".l-en")).to_be_attached()
            button.click()
            page.wait_for_selector("#open-class-done:not([hidden]), "
                                   "#open-class-failed:not([hidden])", timeout=120_000)
            assert page.locator("#open-class-done .l-fr").is_visible(), errors
            assert not errors, errors
        finally:
            browser.close()
    wait_for(lambda: hub.client.user(learner)["servers"].get("", {}).get("ready"),
             "the class was opened but the learner's server is not ready")
    assert "hub.forkserver" in forked_by(server_pid(hub, learner))
    for name in hub.client.request("GET", f"/groups/cohort-{cohort}").json()["users"]:
        if hub.client.user(name)["servers"]:
            hub.stop_server(name)
