"""A first-time computer user's first week on the Foundations pages, keyboard only.

Three learners of the ``foundations`` track (English, French, Inuktitut), each their own
Unix user: log in, choose the track, land on the Foundations pages (not JupyterLab).
Each does the real track's week 1 (labs/foundations/files-and-folders) in their language:
makes the three folders, moves, renames and deletes files with the folder tools, names the
folder, checks and hands it in; the hand-in gets full marks from the grader. The French
learner then does a fixture activity with every other kind of answer (choice, choices,
number, text, a written reflection), including a clear error for a wrong number.
Inuktitut has no translator yet: every page shows English where a text has no Inuktitut,
marked ``lang="en"``, and its syllabics are drawn with the hub's font, not as boxes.
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
from graders.lab import load_lab
from graders.submissions import Submission, read_files
from hub import managed
from hub.config.settings import REPO
from hub.courses.folders import release_lab
from hub.people.manage import add_person
from northlab.i18n import Catalog

from .conftest import SLOW, Visitor

pytestmark = pytest.mark.slow
ACTIVITY = "first-steps"
SOURCE = REPO / "tests" / "fixtures" / "foundations" / ACTIVITY / "source"
TEXTS = Catalog(REPO / "hub" / "foundations" / "locale")
LAPTOP, PHONE = {"width": 1366, "height": 768}, {"width": 375, "height": 667}
#: The screen each learner's pages are checked on (axe-core); the other is screenshotted.
SCREENS = {"en": LAPTOP, "fr": PHONE, "iu": LAPTOP}
MAX_TABS = 60
SYLLABICS = "\u1400-\u167f\u18b0-\u18ff"
FACE = "Noto Sans Canadian Aboriginal"
#: Text of the page in the wrong language scope: syllabics outside ``lang="iu"``, or Latin
#: letters inside it (English shown for an untranslated text must be marked ``lang="en"``).
#: File and folder names (the tree, the lists of paths) are names in no language; an
#: instructions block without ``lang`` is the glossary, a table in every language.
MISMARKED = """syllabics => {
  const syllabic = new RegExp(`[${syllabics}]`), latin = /[A-Za-z\u00c0-\u024f]/;
  const found = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walk.nextNode(); node; node = walk.nextNode()) {
    const element = node.parentElement, words = node.data.trim();
    if (!words || element.closest('script, style, textarea, option, .tree')
        || element.closest('.instructions:not([lang])')) continue;
    const lang = element.closest('[lang]').getAttribute('lang');
    if (syllabic.test(words) ? lang !== 'iu' : latin.test(words) && lang === 'iu')
      found.push(`${lang}: ${words.slice(0, 60)}`);
  }
  return found;
}"""
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
    if learner.language == "iu":
        inuktitut_page(learner, label)
    page.set_viewport_size(LAPTOP)


def syllabics_drawn_with_the_hubs_font(learner: Visitor) -> int:
    """Every element with syllabics in its own text has them drawn with the face the hub
    serves (not boxes, not a font the computer happens to have), as Chromium reports the
    fonts it used (DevTools CSS.getPlatformFontsForNode); returns how many elements."""
    page = learner.page
    page.evaluate("document.fonts.ready.then(() => true)")
    expected = page.evaluate("""syllabics => {
      const syllabic = new RegExp(`[${syllabics}]`, 'g');
      return [...document.body.querySelectorAll('*')].map(element => [element,
        [...element.childNodes].filter(n => n.nodeType === Node.TEXT_NODE)
          .map(n => n.data.match(syllabic) || []).flat().length])
        .filter(([, count]) => count).map(([element, count], i) => {
          element.dataset.syllabics = i; return count; });
    }""", SYLLABICS)
    cdp = learner.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        for index, count in enumerate(expected):
            node = cdp.send("DOM.querySelector", {
                "nodeId": root, "selector": f"[data-syllabics='{index}']"})["nodeId"]
            fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
            drawn = sum(f["glyphCount"] for f in fonts if f["isCustomFont"]
                        and f["postScriptName"].startswith(FACE.replace(" ", "")))
            assert drawn >= count, (page.url, index, fonts)
    finally:
        cdp.detach()
        page.evaluate("() => document.querySelectorAll('[data-syllabics]')"
                      ".forEach(e => delete e.dataset.syllabics)")
    return len(expected)


def inuktitut_page(learner: Visitor, label: str) -> None:
    """An Inuktitut page: English shown for untranslated texts is marked ``lang="en"``, and
    the syllabics it has (the language's name at least) are drawn with the hub's font."""
    mismarked = learner.page.evaluate(MISMARKED, SYLLABICS)
    assert not mismarked, (label, mismarked)
    assert learner.page.locator("[lang=en]").count(), label  # nothing translated yet
    assert syllabics_drawn_with_the_hubs_font(learner) >= 1, label


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
    open_activity(learner, WEEK_ONE.id, WEEK_ONE.title.get(language, WEEK_ONE.title["en"]))
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


def test_first_time_learner_does_week_one_in_french_on_a_phone(first_week, visit):
    learner = visit("first-fr", "fr")
    log_in_and_start(learner, "fr")
    walk_real_week_one(learner)  # Check my work: every check right (graded: the English test)
    walk_first_week(learner)  # every other kind of answer, and a wrong number


def test_first_time_learner_does_week_one_in_inuktitut(first_week, visit):
    learner = visit("first-iu", "iu")
    log_in_and_start(learner, "en")  # the hub's pages in English: switched on ours
    page = learner.page
    assert page.locator("html").get_attribute("lang") == "en"
    submit(page, "nav.langs a[hreflang=iu]")
    assert page.locator("html").get_attribute("lang") == "iu"
    assert page.locator("nav.langs a[aria-current]").inner_text() == "ᐃᓄᒃᑎᑐᑦ"
    link = page.locator(f"a[href$='/activity/{learner.world.cohort}/{WEEK_ONE.id}']")
    assert "iu" not in WEEK_ONE.title  # no translation: the English title, marked
    assert link.locator("span[lang=en]").inner_text() == WEEK_ONE.title["en"]
    walk_real_week_one(learner)
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
