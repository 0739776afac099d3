"""One fresh demo-like hub for the browser journeys, Debian's Chromium, and a page checker.

The hub is what `make demo` starts (local mode, the repository's labs, a cohort with an
admin, an instructor, a cohort lead and learners, each their own Unix user), with test
names, a temp data root and a free port block. Only the labs the journeys use are released.
Every checked page is screenshotted to ``var/browser-artefacts/`` (kept by CI), must pass
axe-core with no serious or critical violation (minus :data:`AXE_ALLOWLIST`), must have
logged no console error and asked no other host for anything (the product runs offline).
The journeys' lab gets a written answer a person grades (:func:`labs_with_written_answer`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Frame, Page, Route, sync_playwright

from graders.outbox import POLL
from hub.commands.runner import start_hub, stop_hub
from hub.config.settings import REPO, load_settings
from hub.courses.folders import release_lab
from hub.people.manage import HubClient, add_cohort, add_person
from northlab.language import COOKIE, SWITCH_PATH
from tests.hub.conftest import Hub, open_checkout_for_learners, remove_site
from tests.support.ports import free_port_block

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
ARTEFACTS = REPO / "var" / "browser-artefacts"
#: The lab the learners work through the UI, and the earlier labs of the same credential
#: they are recorded as having passed (the credential needs three).
TRACK, LAB = "cybersecurity", "password-hashing"
EARLIER_LABS = ("auth-log-forensics", "cipher-breaking")
ROLES = ("admin", "instructor", "lead", "learner-en", "learner-fr")
#: The journeys' lab ends with a written answer a person grades (the demo labs have none):
#: its "not graded" notes cell becomes a manually graded answer worth these points.
WRITTEN, WRITTEN_POINTS = "report", 2
WRITTEN_ANSWER = ("Four accounts were exposed: reset those passwords today and turn on "
                  "multi-factor sign-in. Store passwords only as salted, slow hashes.")


@dataclass(frozen=True)
class Upstream:
    """An axe-core finding in upstream code (JupyterLab, nbgrader) that northlab cannot fix
    element by element: the rule, where (URL part) and which elements (HTML pattern)."""

    rule: str
    where: str
    element: str
    reason: str

    def covers(self, rule: str, url: str, html: str) -> bool:
        return (rule == self.rule and self.where in url
                and re.search(self.element, html) is not None)


AXE_ALLOWLIST = (
    Upstream("aria-allowed-attr", "/user/", r"^<jp-button [^>]*aria-pressed=",
             "JupyterLab 4's toolbar buttons (@jupyter/web-components jp-button) carry "
             "aria-pressed on a custom element with no role."),
    Upstream("aria-required-children", "/user/",
             r'^<div id="(released|fetched|submitted)_assignments_list" [^>]*role="tablist"',
             "nbgrader's Assignments tab marks its lists role=tablist with no tab inside."),
    Upstream("aria-input-field-name", "/user/", r'^<div [^>]*class="cm-content" role="textbox"',
             "CodeMirror 6 editors in JupyterLab cells have no accessible name."),
    Upstream("aria-prohibited-attr", "/user/",
             r'^<div class="lm-Widget jp-Cell [^"]*" aria-label="[^"]*Cell Content"',
             "JupyterLab 4 labels notebook cells with aria-label on a div with no role."),
    Upstream("button-name", "/user/", r'^<button class="jp-Button jp-collapseHeadingButton"',
             "JupyterLab 4's collapse-heading buttons in Markdown headings have no name."),
    Upstream("aria-required-children", "/user/", r'^<div role="feed" aria-label="Cells"',
             "JupyterLab 4's windowed notebook is a role=feed whose cells are not articles."),
    Upstream("frame-title", "/user/", r'^<iframe [^>]*src="[^"]*/formgrader"',
             "nbgrader's JupyterLab extension embeds formgrader in an iframe with no title."),
    Upstream("frame-title", "/user/", r'^<iframe sandbox="allow-same-origin" [^>]*src="blob:',
             "JupyterLab's HTML viewer (a learner's feedback file) frames it with no title."),
    # nbgrader's formgrader pages (Bootstrap 3 templates of nbgrader 0.9)
    Upstream("html-has-lang", "/formgrader", r"^<html>", "its templates set no lang."),
    Upstream("color-contrast", "/formgrader",
             r'^(<li class="active">|<a href="[^"]*/formgrader/[^"]*"( tabindex="-1")?>)',
             "Bootstrap 3's grey breadcrumb items and links."),
    Upstream("link-name", "/formgrader",
             r'^<a href="#"><span class="glyphicon [^"]*" aria-hidden="true"></span></a>$',
             "its action links (edit, generate, collect, autograde, feedback) are icons only."),
    Upstream("list", "/formgrader", r'^<ul class="nav (nav-pills nav-stacked|text-center)">',
             "its navigation puts non-<li> elements in a <ul>."),
    Upstream("nested-interactive", "/formgrader", r'^<div class="panel-heading" role="tab"',
             "its collapsible help panels are role=tab around links."),
    Upstream("aria-dialog-name", "/formgrader",
             r'^<div class="modal fade in" id="(success|error)-modal" role="dialog"',
             "its result dialogs have no accessible name."),
    Upstream("scrollable-region-focusable", "/formgrader", r"^<pre>",
             "its command-output boxes scroll but cannot take focus."),
    Upstream("color-contrast", "/formgrader/submissions/",
             r'^(<a class="(name-hidden|name-shown|tabbable)"|<span class="[a-z0-9]{1,3}">)',
             "the grading page's grey navigation links and Pygments' comment colours."),
    Upstream("link-in-text-block", "/formgrader/submissions/", r'^<a class="anchor-link"',
             "nbconvert's heading anchors (¶) in the graded notebook."),
    Upstream("label", "/formgrader/submissions/", r'^<input class="(score|extra-credit) tabbable',
             "the grading page's score and extra-credit inputs have no label (formgrade "
             "template index.html.j2)."),
)
#: The allowlist's entries that covered a finding in this run (see the browser fixture).
ALLOWED_SEEN: set[Upstream] = set()
#: Console errors of upstream code that northlab cannot fix, with the reason.
CONSOLE_ALLOWLIST = {
    r"^blob:.*Blocked script execution":
        "JupyterLab shows an HTML file (nbgrader's feedback) untrusted: its scripts do not run.",
}
#: Generous: a loaded 2-core machine starts servers and kernels slowly.
SLOW = 120_000
#: Passes of the hub's grader service (graders.outbox.POLL apart) a page waits for a result
#: to reach the gradebook or credentials: on a loaded machine a busy outbox or a slow
#: service (its retries back off) takes many.
OUTBOX_PASSES = 36


def reload_until(page: Page, done: Callable[[], bool]) -> None:
    """Reload ``page`` once per pass of the hub's grader service, as a person waiting for a
    grade would, until ``done()`` (at most :data:`OUTBOX_PASSES` passes)."""
    for _ in range(OUTBOX_PASSES):
        if done():
            return
        page.wait_for_timeout(POLL * 1000)
        page.reload()
    assert done(), f"{page.url} never showed it after {OUTBOX_PASSES} outbox passes"


@dataclass
class World(Hub):
    """The running demo-like hub (a hub-test ``Hub`` with the demo cohort), its people and
    their passwords."""

    passwords: dict[str, str] = field(default_factory=dict)

    @property
    def cohort(self) -> str:
        return f"{self.prefix}-demo"


def _stop_servers(world: World, timeout: float = 60) -> None:
    for user in world.client.request("GET", "/users").json():
        if user["servers"]:
            world.client.request("DELETE", f"/users/{user['name']}/server")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(u["servers"] for u in world.client.request("GET", "/users").json()):
            return
        time.sleep(0.5)


def labs_with_written_answer(labs_root: Path) -> None:
    """A copy of the repository's labs at ``labs_root`` in which the journeys' lab ends
    with a written answer (an nbgrader manually graded answer cell)."""
    shutil.copytree(REPO / "labs", labs_root)
    lab = labs_root / TRACK / LAB
    path = lab / "source" / f"{LAB}.ipynb"
    notebook = json.loads(path.read_text(encoding="utf-8"))
    *_, report, notes = notebook["cells"]
    text = "".join(report["source"])
    graded = (text.replace("(not graded)", f"(graded by your instructor: {WRITTEN_POINTS} "
                           "points)").replace("(non notées)", "(notées par votre "
                                               f"instructeur : {WRITTEN_POINTS} points)"))
    assert graded.count(f"{WRITTEN_POINTS} points") == 2, "the lab's report cell changed"
    report["source"] = graded
    notes["source"] = WRITTEN_ANSWER
    notes["metadata"]["nbgrader"] = {
        "grade": True, "solution": True, "locked": False, "task": False,
        "grade_id": WRITTEN, "points": WRITTEN_POINTS, "schema_version": 3}
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False), encoding="utf-8")
    toml = lab / "lab.toml"
    points = tomllib.loads(toml.read_text(encoding="utf-8"))["points"]
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        f"points = {points}\n", f"points = {points + WRITTEN_POINTS}\n", 1), encoding="utf-8")


def grade_solutions(world: World, learners: list[str], solved: dict[str, str]) -> None:
    """The instructor grades ``learners``' solutions of labs (lab id -> the lab's folder
    holding its solution) with ``northlab grade``, one run per lab in parallel, into the
    hub's outbox: the hub's grader service delivers them to the gradebook and credentials."""
    northlab = Path(sys.executable).parent / "northlab"
    scratch = Path(tempfile.mkdtemp(prefix="journeys-solutions-"))
    env = {**os.environ, "NORTHLAB_DATA": str(world.settings.data_root),
           "PATH": f"{northlab.parent}:{os.environ['PATH']}"}
    runs = []
    try:
        for lab, folder in solved.items():
            lab_dir = world.settings.labs_root / TRACK / lab
            for learner in learners:
                shutil.copytree(lab_dir / folder, scratch / lab / learner)
            runs.append(subprocess.Popen(
                [str(northlab), "grade", str(lab_dir), str(scratch / lab), "--layout",
                 "learners", "--course", world.cohort, "--workers", "1", "-q",
                 "--outbox", str(world.settings.data_root / "outbox")],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        for run in runs:
            output, _ = run.communicate(timeout=600)
            assert run.returncode == 0, output
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
                run.wait()
        shutil.rmtree(scratch, ignore_errors=True)


@contextlib.contextmanager
def demo_hub() -> Iterator[World]:
    """A fresh hub seeded like `northlab demo`; stopped and removed completely after."""
    if os.geteuid() != 0:
        pytest.fail("the browser journeys need root (local mode creates Unix users), as in CI")
    open_checkout_for_learners()
    prefix = "b" + secrets.token_hex(2)
    data_root = Path(tempfile.mkdtemp(prefix="northlab-browser-", dir="/tmp"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("NORTHLAB_")}
    labs_with_written_answer(data_root / "labs")
    env.update(NORTHLAB_DATA=str(data_root), NORTHLAB_PORT=str(free_port_block()),
               NORTHLAB_ADMIN_USERS=f"{prefix}-admin", NORTHLAB_LABS_ROOT=str(data_root / "labs"))
    settings = load_settings(env)
    world = World(settings, None, HubClient(settings), prefix)  # type: ignore[arg-type]
    try:
        add_cohort(settings, world.cohort)
        release_lab(settings, world.cohort, LAB, settings.labs_root / TRACK / LAB / "source",
                    TRACK)
        world.process = start_hub(settings)
        for role in ROLES:
            name, password = world.name(role), f"{role}-{secrets.token_hex(6)}"
            if role == "admin":
                world.client.ensure_user(name, admin=True)
            add_person(settings, world.client, name, role=role.split("-")[0],
                       cohort=None if role == "admin" else world.cohort, password=password)
            world.passwords[name] = password
        yield world
    except BaseException:
        _tear_down(world, data_root)
        raise
    left = _tear_down(world, data_root)
    assert not left, f"processes left behind after the hub stopped: {left}"


def _tear_down(world: World, data_root: Path) -> dict[str, list[int]]:
    """Stop the servers and the hub, wait for every process of theirs to exit (killing
    what is left after the wait), remove the test's users, groups and data root.
    Returns what had to be killed."""
    settings, prefix = world.settings, world.prefix
    if world.process is not None:
        _stop_servers(world)
        stop_hub(settings, world.process)
    return remove_site(settings, prefix, data_root)


@pytest.fixture(scope="package")
def world() -> Iterator[World]:
    with pytest.MonkeyPatch.context() as patch:
        # as `northlab demo`: credentials for the loopback address the demo serves
        patch.setenv("NORTHLAB_CREDENTIALS_ALLOW_LOOPBACK", "1")
        with demo_hub() as running:
            yield running


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    shutil.rmtree(ARTEFACTS, ignore_errors=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    # CI keeps this list: an entry never seen in a full run is no longer justified
    lines = [f"{'seen' if known in ALLOWED_SEEN else 'NOT SEEN'}\t{known.rule}\t{known.where}"
             f"\t{known.reason}" for known in AXE_ALLOWLIST]
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / "axe-allowlist.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


class Visitor:
    """One person's browser session: pages are checked (screenshot, axe, console)."""

    def __init__(self, browser: Browser, world: World, role: str, story: str,
                 language: str) -> None:
        self.browser, self.world, self.name = browser, world, world.name(role)
        self.language = language
        self.folder = ARTEFACTS / story / f"{role}-{language}"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.shots = len(list(self.folder.glob("*.png")))
        # bypass_csp lets axe-core be injected into pages whose CSP forbids inline scripts
        self.context: BrowserContext = browser.new_context(
            bypass_csp=True, accept_downloads=True, locale="en-CA",
            viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(60_000)
        self.console_errors: list[str] = []
        # the product runs offline: a request for any other host fails the next check
        self.offsite: list[str] = []
        host = re.escape(urlsplit(world.url).netloc)
        self.context.route(re.compile(rf"^(?!(https?|wss?)://{host}/)[a-z]+://"), self._offsite)
        self.context.on("page", self._watch)
        self.page: Page = self.context.new_page()

    def _watch(self, page: Page) -> None:
        page.on("console", lambda message: message.type == "error" and self._error(
            f"{message.location.get('url')}: {message.text}"))
        page.on("pageerror", lambda error: self._error(f"{page.url}: {error}"))

    def _offsite(self, route: Route) -> None:
        self.offsite.append(route.request.url)
        route.abort()

    def _error(self, text: str) -> None:
        if not any(re.search(pattern, text) for pattern in CONSOLE_ALLOWLIST):
            self.console_errors.append(text)

    def log_in(self, next_path: str = "") -> None:
        """Log in through the login page, in this visitor's language."""
        self.remember_language()
        page = self.page
        page.goto(f"{self.world.url}/hub/login" + (f"?next={next_path}" if next_path else ""))
        if page.locator("html").get_attribute("lang") != self.language:
            page.click(f".langs button[data-lang={self.language}]")
        self.check("login")
        page.fill("#username_input", self.name)
        page.fill("#password_input", self.world.passwords[self.name])
        page.click("#login_submit")
        page.wait_for_load_state()

    def remember_language(self) -> None:
        """Make this visitor's language the one the hub remembers for the person.

        The hub brings a person's last language back at every login (hub/pages/language.py),
        whichever test left it; so, as the person in another browser, sign in straight to
        the hub's language switch (the link of every page). A refused login changes nothing.
        """
        switch = f"/hub/{SWITCH_PATH}?lang={self.language}&next=/hub/home"
        context = self.browser.new_context(locale="en-CA")
        try:
            page = context.new_page()
            page.goto(f"{self.world.url}/hub/login?next={quote(switch, safe='')}")
            page.fill("#username_input", self.name)
            page.fill("#password_input", self.world.passwords[self.name])
            with page.expect_navigation(timeout=SLOW):
                page.click("#login_submit")
            if not urlsplit(page.url).path.endswith("/hub/login"):  # not refused
                assert urlsplit(page.url).path.endswith("/hub/home"), page.url
                cookies = {c["name"]: c["value"] for c in context.cookies()}
                assert cookies.get(COOKIE) == self.language, cookies.get(COOKIE)
        finally:
            context.close()

    def check(self, label: str, page: Page | None = None) -> None:
        """Screenshot, axe-core and console errors of the current page."""
        page = page or self.page
        page.wait_for_load_state()
        assert not self.offsite, f"requests for other hosts by {label}: {self.offsite}"
        if page.evaluate("document.contentType") != "text/html":
            # an image (the certificate) in the browser's own viewer: no page of ours
            assert not self.console_errors, f"console errors by {label}: {self.console_errors}"
            return
        if "/lab" not in urlsplit(page.url).path:  # northlab's own pages (JupyterLab: menus)
            assert page.locator("html").get_attribute("lang") == self.language, page.url
        self.shots += 1
        page.screenshot(path=str(self.folder / f"{self.shots:02d}-{label}.png"), full_page=True)
        bad = [found for frame in page.frames if not frame.is_detached()
               and frame.url.startswith(self.world.url) for found in axe_violations(frame)]
        assert not bad, f"axe-core on {label} ({page.url}): {bad}"
        assert not self.console_errors, f"console errors by {label}: {self.console_errors}"

    def close(self) -> None:
        self.context.close()


def axe_violations(frame: Frame) -> list[dict]:
    """Serious and critical axe-core violations in ``frame`` not in the allowlist."""
    frame.add_script_tag(path=str(AXE))
    found = frame.evaluate(
        "async () => (await axe.run(document, {iframes: false})).violations.map(v => ({"
        "id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.html)}))")
    bad = []
    for violation in found:
        nodes = []
        for html in violation["nodes"]:
            known = next((k for k in AXE_ALLOWLIST if k.covers(violation["id"], frame.url, html)),
                         None)
            if known is None:
                nodes.append(html)
            else:
                ALLOWED_SEEN.add(known)
        if violation["impact"] in ("serious", "critical") and nodes:
            bad.append({**violation, "url": frame.url, "nodes": [html[:200] for html in nodes[:3]]})
    return bad


@pytest.fixture
def visit(browser: Browser, world: World, request: pytest.FixtureRequest):
    """``visit(role, language)`` -> a :class:`Visitor`; closed after the test."""
    opened: list[Visitor] = []

    def open_visitor(role: str, language: str = "en") -> Visitor:
        visitor = Visitor(browser, world, role, request.node.name, language)
        opened.append(visitor)
        return visitor

    yield open_visitor
    for visitor in opened:
        visitor.close()
