"""Languages in a real browser: the switch on every page (hub, gradebook, credentials,
JupyterLab) is remembered for the person by the hub, not only by the browser, and Inuktitut
syllabics render with the font the hub serves (this machine's Chromium has none of its own).
"""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Page

from hub.people.manage import add_person

from .conftest import SLOW, TRACK, Visitor, World

pytestmark = pytest.mark.slow
ROLE = "learner-iu"
SYLLABICS = "ᐃᓄᒃᑎᑐᑦ"
FACE = "Noto Sans Canadian Aboriginal"
#: Draws ``text`` on a canvas with the face, and the same number of unassigned code points
#: (drawn as boxes by every font); syllabics drawn as boxes would give the same picture.
RENDERING = """async ([face, text]) => {
  await document.fonts.ready;
  await document.fonts.load(`32px "${face}"`, text).catch(() => []);  // withheld: error
  const loaded = [...document.fonts].some(
    f => f.family.replace(/"/g, '') === face && f.status === 'loaded');
  const draw = (font, s) => {
    const canvas = document.createElement('canvas');
    canvas.width = 420; canvas.height = 60;
    const context = canvas.getContext('2d');
    context.font = font;
    context.fillText(s, 4, 44);
    return canvas.toDataURL();
  };
  const boxes = '\\u0378'.repeat([...text].length);
  const differs = font => draw(font, text) !== draw(font, boxes);
  const withFace = `32px "${face}", sans-serif`;
  return {loaded, face: differs(withFace), system: differs('32px sans-serif'),
          picture: draw(withFace, text)};
}"""


@pytest.fixture(scope="module")
def person(world: World) -> str:
    """A learner of the demo cohort used only here (the journeys' learners keep their language)."""
    name, password = world.name(ROLE), f"{ROLE}-{secrets.token_hex(6)}"
    add_person(world.settings, world.client, name, role="learner", cohort=world.cohort,
               password=password)
    world.passwords[name] = password
    return ROLE


def rendering(page: Page) -> dict:
    return page.evaluate(RENDERING, [FACE, SYLLABICS])


def cookie(visitor: Visitor) -> str | None:
    return next((c["value"] for c in visitor.context.cookies() if c["name"] == "northlab-lang"),
                None)


def switch(visitor: Visitor, selector: str, language: str, back: str) -> None:
    """Click a language link (through the hub) and wait to be back on ``back``."""
    with visitor.page.expect_navigation(url=f"**{back}**"):
        visitor.page.click(selector)
    visitor.language = language
    visitor.check(f"{back.strip('/').replace('/', '-')}-{language}")


def log_in_as_is(visitor: Visitor) -> None:
    """Log in without touching the login page's language (it shows the browser's)."""
    page = visitor.page
    page.goto(f"{visitor.world.url}/hub/login")
    assert page.locator("html").get_attribute("lang") == "en"
    page.fill("#username_input", visitor.name)
    page.fill("#password_input", visitor.world.passwords[visitor.name])
    page.click("#login_submit")
    page.wait_for_load_state()


def test_syllabics_render_with_the_hubs_font_not_as_boxes(visit, world, person):
    learner = visit(person, "en")
    learner.log_in()
    page = learner.page
    page.wait_for_url("**/hub/spawn**")
    with page.expect_response("**/hub/northlab/language?lang=iu") as saved:
        page.click(".langs button[data-lang=iu]")
    assert saved.value.status == 204
    learner.language = "iu"
    learner.check("track-chooser-iu")
    served = rendering(page)
    assert served["loaded"] and served["face"], served
    font = page.request.get(f"{world.url}/hub/northlab/fonts/"
                            "NotoSansCanadianAboriginal-Regular.woff2")
    assert font.ok and "immutable" in font.headers["cache-control"]
    switch = f"{world.url}/hub/northlab/language"
    unknown = page.request.get(f"{switch}?lang=xx")
    assert unknown.status == 400 and "Traceback" not in unknown.text()
    elsewhere = page.request.get(f"{switch}?lang=iu&next=//evil.example/", max_redirects=0)
    assert elsewhere.status == 204  # never sent to another site
    # the hub's font withheld: syllabics are drawn as the computer's own fonts draw them
    # (boxes where it has none; this Debian has DejaVu Sans), not as the served face does
    blocked = visit(person, "en")
    blocked.context.route("**/northlab/fonts/*.woff2", lambda route: route.abort())
    blocked.page.goto(f"{world.url}/hub/login")
    alone = rendering(blocked.page)
    assert not alone["loaded"] and alone["face"] == alone["system"]
    assert alone["picture"] != served["picture"]


def test_language_switch_on_every_page_is_remembered_for_the_person(visit, world, person):
    first = visit(person, "en")
    first.log_in()  # English on the login page, the browser's language
    page = first.page
    page.wait_for_url("**/hub/spawn**")
    page.click(".langs button[data-lang=iu]")
    first.language = "iu"
    page.goto(f"{world.url}/services/gradebook/me")  # the cookie carries the choice
    first.check("gradebook-iu")
    assert page.locator("a[hreflang=fr]").inner_text() == "Français"
    switch(first, "a[hreflang=fr]", "fr", "/services/gradebook/me")
    page.goto(f"{world.url}/services/credentials/")
    first.check("credentials-fr")
    switch(first, f"a[hreflang=iu] >> text={SYLLABICS}", "iu", "/services/credentials/")
    assert rendering(page)["loaded"]

    # another browser (a community computer): the hub brings the person's choice back
    second = visit(person, "iu")
    log_in_as_is(second)
    second.page.wait_for_url("**/hub/spawn**")
    second.check("track-chooser-another-browser")
    assert cookie(second) == "iu"

    # JupyterLab: its northlab menu offers every language; a choice there is remembered too
    lab = second.page
    lab.check(f"input[value={TRACK}]")
    lab.click("#spawn_form [type=submit]")
    lab.wait_for_url(f"**/user/{second.name}/lab**", timeout=SLOW)
    lab.locator(".lm-MenuBar-itemLabel", has_text="northlab").wait_for(timeout=SLOW)
    lab.locator(".jp-DirListing-content").first.wait_for(timeout=SLOW)
    second.check("jupyterlab-iu")
    assert rendering(lab)["loaded"]
    lab.click(".lm-MenuBar-itemLabel >> text=northlab")
    lab.click("#northlab-menu .lm-Menu-item[data-type=submenu]")  # Language
    chosen = lab.locator(".lm-Menu-item[data-command='northlab:language-iu']")
    assert chosen.inner_text().strip() == SYLLABICS
    assert "lm-mod-toggled" in chosen.get_attribute("class")
    with lab.expect_navigation(url=f"**/user/{second.name}/lab**", timeout=SLOW):
        lab.click(".lm-Menu-item[data-command='northlab:language-fr']")  # through the hub
    lab.locator(".lm-MenuBar-itemLabel", has_text="Fichier").wait_for(timeout=SLOW)  # French
    lab.click(".lm-MenuBar-itemLabel >> text=northlab")
    progress = lab.locator(".lm-Menu-item[data-command='northlab:open-progress']")
    assert progress.inner_text().strip() == "Ma progression"
    lab.keyboard.press("Escape")

    third = visit(person, "fr")  # yet another browser: French, chosen in JupyterLab
    log_in_as_is(third)
    assert cookie(third) == "fr"
    third.page.goto(f"{world.url}/hub/home")
    third.check("home-third-browser")
