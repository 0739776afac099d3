"""A first-time computer user's first week on the Foundations pages, keyboard only.

Three learners of the ``foundations`` track (English, French, Inuktitut), each their own
Unix user: log in, choose the track, land on the Foundations pages (not JupyterLab).
The English learner does the real track's week 1 (labs/foundations/files-and-folders):
makes the three folders, moves, renames and deletes files with the folder tools, names the
folder, checks and hands it in; their hand-in gets full marks from the grader. The French
and Inuktitut learners do a fixture activity with every kind of answer (choice, choices,
number, text, folder, a written reflection): make a folder, answer, get a clear error for
a wrong number, Check my work (every visible check right), Hand it in, see it handed in.
Every key press goes through the keyboard; every page is checked (screenshot, axe-core,
console) at a refurbished laptop's 1366x768 (English, Inuktitut) or a phone's 375x667
(French) and screenshotted at the other size, where nothing may be wider than the screen.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page

from graders.engine import Grader
from graders.i18n import Catalog
from graders.lab import load_lab
from graders.submissions import Submission, read_files
from hub import managed
from hub.courses import release_lab
from hub.people import add_person
from hub.settings import REPO

from .conftest import SLOW, Visitor

pytestmark = pytest.mark.slow
ACTIVITY = "first-steps"
SOURCE = REPO / "tests" / "fixtures" / "foundations" / ACTIVITY / "source"
TEXTS = Catalog(REPO / "hub" / "foundations" / "locale")
LAPTOP, PHONE = {"width": 1366, "height": 768}, {"width": 375, "height": 667}
#: The screen each learner's pages are checked on (axe-core); the other is screenshotted.
SCREENS = {"en": LAPTOP, "fr": PHONE, "iu": LAPTOP}
MAX_TABS = 60
TITLES = json.loads((SOURCE / f"{ACTIVITY}.ipynb").read_text(encoding="utf-8"))[
    "metadata"]["northlab"]["activity"]["title"]
WEEK_ONE = load_lab(REPO / "labs" / "foundations" / "files-and-folders")
#: The real week 1 done with the folder tools: (action, {control id: value}).
TIDY = "centre-files"
FOLDER_WORK = [
    *(("folder_make", {"new-name": name, "new-parent": TIDY})
      for name in ("photos", "meeting-notes", "forms")),
    *(("folder_move", {"move-item": f"{TIDY}/{name}", "move-into": f"{TIDY}/{into}"})
      for name, into in (("derby-photo-1.png", "photos"), ("derby-photo-2.png", "photos"),
                         ("derby-photo-3.png", "photos"),
                         ("meeting-notes-march.txt", "meeting-notes"),
                         ("meeting-notes-april.txt", "meeting-notes"),
                         ("volunteer-sign-up.txt", "forms"))),
    ("folder_rename", {"rename-item": f"{TIDY}/untitled.txt", "rename-name": "hall-booking.txt"}),
    ("folder_move", {"move-item": f"{TIDY}/hall-booking.txt", "move-into": f"{TIDY}/forms"}),
    ("folder_delete", {"delete-item": f"{TIDY}/meeting-notes-march (copy).txt"}),
]


@pytest.fixture(scope="module")
def first_week(world) -> None:
    """The week-1 activity released to the cohort; three first-time learners in it."""
    release_lab(world.settings, world.cohort, ACTIVITY, SOURCE, "foundations")
    release_lab(world.settings, world.cohort, WEEK_ONE.id, WEEK_ONE.source_dir, "foundations")
    for language in ("en", "fr", "iu"):
        name, password = world.name(f"first-{language}"), secrets.token_hex(8)
        add_person(world.settings, world.client, name, role="learner", cohort=world.cohort,
                   password=password)
        world.passwords[name] = password


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until ``selector`` has the focus (it must be reachable by keyboard)."""
    for _ in range(MAX_TABS):
        if page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} not reached with {MAX_TABS} presses of Tab on {page.url}")


def press(page: Page, selector: str, key: str = "Enter") -> None:
    tab_to(page, selector)
    page.keyboard.press(key)


def submit(page: Page, selector: str) -> None:
    """Press a link or a form's button with Enter and wait for the next page."""
    tab_to(page, selector)
    with page.expect_navigation(timeout=SLOW):
        page.keyboard.press("Enter")


def check_both(learner: Visitor, label: str) -> None:
    """Check the page (screenshot, axe-core, console) at the learner's screen size and
    screenshot it at the other; on the phone nothing may be wider than the screen."""
    page = learner.page
    assert page.locator("nav.langs a[hreflang]").count() == 3, "language switch on every page"
    checked = SCREENS[learner.name.rsplit("-", 1)[-1]]
    other = PHONE if checked == LAPTOP else LAPTOP
    page.set_viewport_size(other)
    page.screenshot(path=str(learner.folder / f"{learner.shots + 1:02d}-{label}-"
                             f"{other['width']}.png"), full_page=True)
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], label
    page.set_viewport_size(checked)
    learner.check(f"{label}-{checked['width']}")
    page.set_viewport_size(LAPTOP)


def result(page: Page) -> str:
    """The live region, which has the focus after an action."""
    assert page.evaluate("document.activeElement.id") == "result"
    return page.locator("#result").inner_text()


def t(language: str, message_id: str, **values: object) -> str:
    return TEXTS.text(message_id, language, **values)


def log_in_and_start(learner: Visitor, login_language: str) -> None:
    page = learner.page
    page.set_viewport_size(LAPTOP)
    page.goto(f"{learner.world.url}/hub/login")
    if login_language != "en":
        press(page, f".langs button[data-lang={login_language}]")
    tab_to(page, "#username_input")
    page.keyboard.type(learner.name)
    tab_to(page, "#password_input")
    page.keyboard.type(learner.world.passwords[learner.name])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url("**/hub/spawn**", timeout=SLOW)
    tab_to(page, "input[name=track]")
    for _ in range(8):
        if page.locator("input[value=foundations]").is_checked():
            break
        page.keyboard.press("ArrowDown")
    assert page.locator("input[value=foundations]").is_checked()
    submit(page, "#spawn_form [type=submit]")
    page.wait_for_url(f"**/user/{learner.name}/foundations/**", timeout=SLOW)
    assert "/lab" not in page.url


def choose(page: Page, selector: str, value: str) -> None:
    """Pick ``value`` in a drop-down list with the arrow keys."""
    tab_to(page, selector)
    page.keyboard.press("Home")
    for _ in range(page.locator(f"{selector} option").count()):
        if page.locator(selector).input_value() == value:
            return
        page.keyboard.press("ArrowDown")
    assert page.locator(selector).input_value() == value, (selector, value)


def open_activity(learner: Visitor, activity: str, title: str) -> None:
    """From the six weeks, open ``activity``, listed in week 1 with its title."""
    page, language = learner.page, learner.language
    link = page.locator(f"a[href$='/activity/{learner.world.cohort}/{activity}']")
    week = page.locator("li.week", has=link)
    assert week.locator("h2").inner_text() == t(language, "week", number=1)
    assert link.inner_text() == title
    submit(page, f"a[href$='/activity/{learner.world.cohort}/{activity}']")


def handed_in_on_the_six_weeks(learner: Visitor, activity: str) -> None:
    page = learner.page
    submit(page, "header nav a[href$='/foundations']")
    link = page.locator(f"a[href$='/activity/{learner.world.cohort}/{activity}']")
    status = page.locator("li.activity", has=link).locator(".status").inner_text()
    assert status == t(learner.language, "status.handed_in")
    check_both(learner, "six-weeks-after")


def walk_real_week_one(learner: Visitor) -> Path:
    """labs/foundations week 1 with the folder tools, keyboard only; the hand-in's folder."""
    page, language = learner.page, learner.language
    check_both(learner, "six-weeks")
    open_activity(learner, WEEK_ONE.id, WEEK_ONE.title[language])
    submit(page, "button[value=start]")
    assert t(language, "result.started") in result(page)
    check_both(learner, "activity-started")
    for action, values in FOLDER_WORK:
        for control, value in values.items():
            if page.locator(f"#{control}").evaluate("e => e.tagName") == "SELECT":
                choose(page, f"#{control}", value)
            else:
                tab_to(page, f"#{control}")
                page.keyboard.type(value)
        submit(page, f"button[value={action}]")
        assert "problem" not in (page.locator("#result").get_attribute("class") or ""), \
            (action, result(page))
    choose(page, "#answer-organised_folder", TIDY)
    submit(page, "button[value=check]")
    assert t(language, "result.all_right") in result(page)
    submit(page, "button[value=hand_in]")
    assert t(language, "result.handed_in") in result(page)
    check_both(learner, "handed-in")
    handed_in_on_the_six_weeks(learner, WEEK_ONE.id)
    return learner.world.settings.home_root / learner.name / "foundations" / WEEK_ONE.id


def walk_first_week(learner: Visitor) -> None:
    page, language = learner.page, learner.language
    check_both(learner, "six-weeks")
    open_activity(learner, ACTIVITY, TITLES[language])
    check_both(learner, "activity-new")

    submit(page, "button[value=start]")
    assert t(language, "result.started") in result(page)
    check_both(learner, "activity-started")

    tab_to(page, "#new-name")
    page.keyboard.type("trip-plan")
    submit(page, "button[value=folder_make]")
    assert t(language, "folder.made", name="trip-plan") in result(page)

    press(page, "input[name=strongest]", "ArrowDown")  # the second option
    tab_to(page, "#answer-free_boxes")
    page.keyboard.type("seven")
    press(page, "#answer-safe_habits-0", "Space")
    press(page, "#answer-safe_habits-2", "Space")
    tab_to(page, "#answer-greeting")
    page.keyboard.type("Good morning")
    press(page, "#answer-trip_folder", "ArrowDown")
    assert page.locator("#answer-trip_folder").input_value() == "trip-plan"
    tab_to(page, "#answer-reflection")
    page.keyboard.type("I keep it in my head, <never> on paper & never shared.")
    submit(page, "button[value=check]")
    assert t(language, "result.not_saved") in result(page)
    assert t(language, "answer.not_a_number") in page.locator(".question.invalid").inner_text()
    assert page.locator("#answer-free_boxes").get_attribute("aria-invalid") == "true"
    assert page.locator("input[name=strongest][value='1']").is_checked()  # nothing lost
    check_both(learner, "wrong-number")

    tab_to(page, "#answer-free_boxes")
    page.keyboard.press("Control+A")
    page.keyboard.type("7")
    submit(page, "button[value=check]")
    said = result(page)
    assert t(language, "result.checked", passed=5, total=5, points=5, max_points=5) in said
    assert t(language, "result.all_right") in said and t(language, "result.manual") in said
    check_both(learner, "checked")

    submit(page, "button[value=hand_in]")
    assert t(language, "result.handed_in") in result(page)
    assert page.locator("#answer-reflection").input_value().startswith("I keep it in my head")
    check_both(learner, "handed-in")
    handed_in_on_the_six_weeks(learner, ACTIVITY)


def test_first_time_learner_does_the_real_week_one(first_week, visit):
    learner = visit("first-en", "en")
    log_in_and_start(learner, "en")
    folder = walk_real_week_one(learner)
    with Grader(WEEK_ONE, workers=1) as grader:
        record = grader.grade(Submission(learner.name, folder, files=read_files(folder)))
    assert record["error"] is None and record["score"] == WEEK_ONE.points, record


def test_first_time_learner_walks_week_one(first_week, visit):
    learner = visit("first-fr", "fr")
    log_in_and_start(learner, "fr")
    walk_first_week(learner)


def test_first_time_learner_switches_to_inuktitut(first_week, visit):
    learner = visit("first-iu", "iu")
    log_in_and_start(learner, "en")  # the hub's pages in English: switched on ours
    page = learner.page
    assert page.locator("html").get_attribute("lang") == "en"
    submit(page, "nav.langs a[hreflang=iu]")
    assert page.locator("html").get_attribute("lang") == "iu"
    assert page.locator("nav.langs a[aria-current]").inner_text() == "ᐃᓄᒃᑎᑐᑦ"
    walk_first_week(learner)
    page.reload()  # the choice is remembered (the shared language cookie)
    assert page.locator("html").get_attribute("lang") == "iu"


def test_the_learners_server_reads_their_scores_from_the_gradebook(first_week, world):
    """A token with the role the hub gives learners' servers (``server``) reads its person's
    gradebook page at the address local-mode servers get (the six weeks show scores from
    there). The token is made for the test: a server forked from the fork-server has its
    environment set after the fork, which /proc does not show."""
    name = world.name("first-en")
    token = world.client.request("POST", f"/users/{name}/tokens", json={
        "roles": ["server"], "note": "foundations browser test", "expires_in": 600}).json()
    response = requests.get(managed.service_url(world.settings, "gradebook") + "api/me",
                            timeout=60, headers={"Authorization": f"token {token['token']}"})
    assert response.status_code == 200, response.text
    assert response.json()["learner"] == name
