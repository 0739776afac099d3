"""A course day through the UI, in order: two learners (English, French) fetch, answer,
validate and submit a lab; the instructor, in English then in French, collects, autogrades,
grades each learner's written answer by hand and releases feedback in formgrader inside
JupyterLab; the learners fetch their feedback, see the person's grade in their progress,
their credential and certificate; the cohort lead reads the gradebook.

The tests of this module are one story and run in file order on the shared hub.
"""

from __future__ import annotations

import csv
import io
import json
import tomllib

import pytest
import requests
from playwright.sync_api import Page

from hub.config.settings import REPO
from hub.tracks import LOCALE

from .conftest import (
    EARLIER_LABS,
    LAB,
    SLOW,
    TRACK,
    WRITTEN,
    WRITTEN_ANSWER,
    WRITTEN_POINTS,
    Visitor,
    grade_solutions,
    reload_until,
)
from .lab_answers import answer, solutions

pytestmark = pytest.mark.slow
HUB_TEXTS = LOCALE.messages
#: JupyterLab's File menu in each language (its French language pack).
FILE_MENU = {"en": "File", "fr": "Fichier"}
#: What the instructor writes on each learner's written answer, in the instructor's language.
COMMENTS = {"en": "Clear and careful advice for the centre.",
            "fr": "Des conseils clairs et soignés pour le centre."}


@pytest.fixture(scope="module", autouse=True)
def earlier_labs_passed(world) -> None:
    """Both learners passed the track's other credential labs before today (graded by the
    instructor with ``northlab grade``): today's lab is their third."""
    grade_solutions(world, [world.name("learner-en"), world.name("learner-fr")],
                    dict.fromkeys(EARLIER_LABS, "source"))


def start_track(learner: Visitor) -> None:
    """Log in, choose the track on the hub's page, wait for JupyterLab."""
    page = learner.page
    learner.log_in()
    page.wait_for_url("**/hub/spawn**")
    learner.check("track-chooser")
    page.check(f"input[value={TRACK}]")
    page.click("#spawn_form [type=submit]")
    lab_ready(learner)


def lab_ready(visitor: Visitor) -> None:
    """Wait until JupyterLab has loaded its extensions (the menus are there)."""
    page = visitor.page
    page.wait_for_url(f"**/user/{visitor.name}/lab**", timeout=SLOW)
    for menu in ("Nbgrader", "northlab", FILE_MENU[visitor.language]):
        page.locator(".lm-MenuBar-itemLabel", has_text=menu).wait_for(timeout=SLOW)
    page.locator(".jp-DirListing-content").first.wait_for(timeout=SLOW)
    visitor.check("jupyterlab")
    page.click(".lm-MenuBar-itemLabel >> text=northlab")  # in the language chosen at login
    progress = page.locator(".lm-Menu-item[data-command='northlab:open-progress']")
    assert progress.inner_text().strip() == HUB_TEXTS[visitor.language]["lab.progress"]
    page.keyboard.press("Escape")


def open_assignments(visitor: Visitor) -> None:
    page = visitor.page
    page.click(".lm-MenuBar-itemLabel >> text=Nbgrader")
    page.click(".lm-Menu-item[data-command='nbgrader:open-assignment-list']")
    page.locator("#released_assignments_list").wait_for()


#: nbgrader's Assignments tab: each lab's own button (Fetch, Submit, Fetch Feedback) is
#: btn-primary in every list; a notebook's Validate sits in a nested row.
RELEASED = "#released_assignments_list .list_item"
FETCHED = "#fetched_assignments_list .list_item"
SUBMITTED = "#submitted_assignments_list .list_item"
LAB_BUTTON = "button.btn-primary"


def fetched_notebook(visitor: Visitor) -> str:
    """Path (from the server's root) of the lab's notebook the learner fetched."""
    token = visitor.world.user_token(visitor.name)
    for path in (f"{TRACK}/{LAB}/{LAB}.ipynb", f"{LAB}/{LAB}.ipynb"):
        response = requests.get(f"{visitor.world.url}/user/{visitor.name}/api/contents/{path}",
                                headers={"Authorization": f"token {token}"}, timeout=60,
                                params={"content": 0})
        if response.status_code == 200:
            return path
    raise AssertionError(f"{LAB} was not fetched into {visitor.name}'s files")


def learner_submits(learner: Visitor) -> None:
    page, world = learner.page, learner.world
    start_track(learner)
    notebooks = learner.page.locator(".jp-LauncherCard[data-category=Notebook]")
    assert notebooks.count() == 1, "the launcher offers the track's kernel only"
    open_assignments(learner)
    released = page.locator(RELEASED, has_text=LAB)
    released.wait_for(timeout=SLOW)
    learner.check("assignments-released")
    released.locator(LAB_BUTTON).click()
    fetched = page.locator(FETCHED, has_text=LAB).first
    fetched.locator(LAB_BUTTON).wait_for(timeout=SLOW)
    learner.check("assignments-fetched")

    path = fetched_notebook(learner)
    answer(f"{world.url}/user/{learner.name}", world.user_token(learner.name), path,
           solutions(world.settings, TRACK, LAB))
    fetched.locator(".assignment-notebooks-link").click()
    notebook_row = page.locator("#fetched_assignments_list .nested_list_item", has_text=LAB)
    notebook_row.locator("a", has_text=LAB).click()
    page.locator(".jp-NotebookPanel:visible .jp-Cell").first.wait_for(timeout=SLOW)
    learner.check("notebook-answered")

    open_assignments(learner)
    notebook_row.locator("button").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator(".validation-success").wait_for(timeout=SLOW)
    learner.check("validated")
    dialog.locator("button.jp-mod-accept").click()

    fetched.locator(LAB_BUTTON).click()
    page.locator(SUBMITTED, has_text=LAB).wait_for(timeout=SLOW)
    learner.check("submitted")


def test_learners_fetch_answer_validate_submit(visit):
    learner_submits(visit("learner-en"))
    learner_submits(visit("learner-fr", "fr"))


def start_lab(visitor: Visitor) -> None:
    """Log in and wait for JupyterLab: an instructor lands there, no track to choose."""
    visitor.log_in()
    assert visitor.page.locator("#spawn_form").count() == 0, "an instructor has no track chooser"
    lab_ready(visitor)


def formgrader_done(instructor: Visitor, frame, label: str) -> None:
    """Wait for formgrader's success dialog, check the page, close the dialog."""
    modal = frame.locator("#success-modal, #error-modal").first
    modal.wait_for(timeout=SLOW)
    assert modal.get_attribute("id") == "success-modal", modal.inner_text()
    instructor.check(label)
    modal.locator(".modal-footer button").click()
    modal.wait_for(state="detached")


def instructor_grades(instructor: Visitor, learner: str, *, collect: bool,
                      release: bool) -> None:
    """The instructor's day in formgrader inside JupyterLab: (collect,) autograde
    ``learner``, grade their written answer by hand, (generate and release feedback).

    Formgrader is nbgrader's own English-only page (instructors are not among those the
    language rule covers: learners and leads); JupyterLab around it and northlab's pages
    are in the instructor's language (:func:`lab_ready` checks JupyterLab's menus)."""
    page = instructor.page
    start_lab(instructor)
    page.click(".lm-MenuBar-itemLabel >> text=Nbgrader")
    page.click(".lm-Menu-item[data-command='nbgrader:open-formgrader']")
    frame = page.frame_locator("iframe[src$='/formgrader']")
    lab_row = frame.locator("tr", has=frame.locator("td", has_text=LAB)).first
    lab_row.wait_for(timeout=SLOW)
    instructor.check("formgrader")
    if collect:
        lab_row.locator("td.collect a").click()
        formgrader_done(instructor, frame, "collected")
    lab_row.locator("td.num-submissions a", has_text="2").click()
    row = frame.locator("tr", has=frame.locator("td.student-id", has_text=learner))
    assert "None" not in row.locator("td.student-name").inner_text()
    row.locator("td.autograde a").click()
    formgrader_done(instructor, frame, "autograded")
    # the written answer is a person's to grade
    row.locator("td.status", has_text="needs manual grading").wait_for(timeout=SLOW)
    instructor.check("submissions")

    frame.locator("a", has_text="Manual Grading").first.click()
    frame.locator("td.name a", has_text=LAB).click()
    frame.locator("td.name a", has_text=LAB).click()
    # "Show All Names" reveals only rows already there: formgrader fetches them after load
    frame.locator("td.name a.name-hidden").first.wait_for(timeout=SLOW)
    frame.locator("#toggle_names").click()
    frame.locator("td.name a.name-shown", has_text=learner).click()
    written = frame.locator(".nbgrader_cell", has=frame.locator(f"input#{WRITTEN}"))
    written.wait_for(timeout=SLOW)
    assert WRITTEN_ANSWER in written.locator(".panel-body").inner_text()
    instructor.check("manual-grading")
    comment = written.locator(f"#{WRITTEN}-comment")
    comment.fill(COMMENTS[instructor.language])
    comment.press("Tab")
    written.locator(".comment-saved").wait_for(state="visible", timeout=SLOW)
    score = written.locator(f"input#{WRITTEN}")
    score.fill(str(WRITTEN_POINTS))
    score.press("Tab")
    written.locator(".score-saved").wait_for(state="visible", timeout=SLOW)
    instructor.check("manually-graded")
    if release:  # the grading page links back only through its breadcrumb
        frame.locator(".breadcrumb a", has_text="Manual Grading").click()
        frame.locator("a", has_text="Manage Assignments").first.click()
        lab_row.locator("td.generate-feedback a").click()
        formgrader_done(instructor, frame, "feedback-generated")
        lab_row.locator("td.release-feedback a").click()
        formgrader_done(instructor, frame, "feedback-released")


def test_instructor_grades_in_formgrader(world, visit):
    instructor_grades(visit("instructor"), world.name("learner-en"), collect=True,
                      release=False)
    instructor_grades(visit("instructor", "fr"), world.name("learner-fr"), collect=False,
                      release=True)


def open_from_northlab_menu(visitor: Visitor, command: str) -> Page:
    """Open a northlab menu entry (a new browser tab); returns its page, checked."""
    page = visitor.page
    with visitor.context.expect_page() as opened:
        page.click(".lm-MenuBar-itemLabel >> text=northlab")
        page.click(f".lm-Menu-item[data-command='northlab:open-{command}']")
    tab = opened.value
    tab.wait_for_load_state()
    visitor.check(command, tab)
    return tab


def lab_title(language: str) -> str:
    lab = tomllib.loads((REPO / "labs" / TRACK / LAB / "lab.toml").read_text())
    return lab["title"][language]


def learner_reads_feedback(learner: Visitor) -> None:
    page = learner.page
    start_lab(learner)
    open_assignments(learner)
    submitted = page.locator(SUBMITTED, has_text=LAB).first
    submitted.locator(LAB_BUTTON).click()
    view = page.locator("#submitted_assignments_list .nested_list_item a").first
    view.wait_for(timeout=SLOW)
    learner.check("feedback-fetched")
    view.click()
    page.locator(".jp-DirListing-item[title*='.html'], .jp-DirListing-item", has_text=".html"
                 ).first.dblclick()
    page.locator(".jp-HTMLViewer iframe, iframe[sandbox]").first.wait_for(timeout=SLOW)
    learner.check("feedback")

    progress = open_from_northlab_menu(learner, "progress")
    lab = progress.locator("section.lab", has_text=lab_title(learner.language))
    written = lab.locator("tr", has=progress.locator("th", has_text=WRITTEN))
    # the hub's grader service carries the person's grade in when gradebook.db changes
    graded = f"{WRITTEN_POINTS:g}/{WRITTEN_POINTS:g}"
    reload_until(progress, lambda: written.count() == 1 and graded in written.inner_text())
    assert COMMENTS[learner.language] in written.inner_text()
    assert lab.locator(".awaiting").count() == 0
    learner.check("progress-graded", progress)
    credentials = open_from_northlab_menu(learner, "credentials")
    card = credentials.locator("section.credential").first
    reload_until(credentials, lambda: card.count() > 0)
    with learner.context.expect_page() as opened:
        card.locator("a[href*='certificate.png']").click(modifiers=["Control"])
    certificate = opened.value
    certificate.wait_for_load_state()
    assert certificate.evaluate("document.contentType") == "image/png"
    learner.check("certificate", certificate)

    with credentials.expect_download() as info:
        card.locator("a[href$='.json']").click()
    signed = json.loads(info.value.path().read_text(encoding="utf-8"))
    assert signed["issuer"]["url"].startswith(learner.world.url)  # the hub's own port


def test_learners_read_feedback_progress_credential(world, visit):
    learner_reads_feedback(visit("learner-en"))
    learner_reads_feedback(visit("learner-fr", "fr"))


def test_lead_reads_the_gradebook(world, visit):
    lead = visit("lead")
    page = lead.page
    lead.log_in()
    page.wait_for_url("**/services/gradebook/**", timeout=SLOW)
    lead.check("landing")
    page.click(f"a >> text={world.cohort}")
    page.wait_for_url(f"**/cohort/{world.cohort}*")
    lead.check("cohort")
    learner = world.name("learner-en")
    assert page.locator("table.grid tbody th", has_text=learner).count() == 1
    with page.expect_download() as info:
        page.click(f"a[href*='/cohort/{world.cohort}/grades.csv']")
    rows = list(csv.DictReader(io.StringIO(
        info.value.path().read_text(encoding="utf-8-sig"))))
    assert (learner, LAB) in {(r["username"], r["lab"]) for r in rows}
    page.click(f"ul.columns a[href*='/lab/{LAB}']")
    page.wait_for_url(f"**/lab/{LAB}?cohort={world.cohort}")
    lead.check("lab")
    page.go_back()
    page.click(f"table.grid a >> text={learner}")
    page.wait_for_url(f"**/learner/{learner}")
    lead.check("learner")

    lead.language = "fr"
    page.click("a[hreflang=fr]")
    lead.check("learner")
    page.click(f"a >> text={world.cohort}")
    lead.check("cohort")
