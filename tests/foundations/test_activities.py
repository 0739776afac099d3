"""Every activity of labs/foundations, done through the Foundations pages (no browser).

A real learner's server (``jupyter server`` with the learner's configuration and a local
exchange holding each activity's release) serves the pages. For every activity (a new one
is covered as soon as it is in labs/foundations):

- the six weeks list it under its week, with its title, in English and French;
- its page shows every answer cell of the notebook as a field, with its label and options,
  in English, French and Inuktitut (English marked ``lang="en"`` there);
- a learner starts it, downloads its files, makes the finished files with the folder tools
  (new folders, moves, new names, deletions, uploads: worked out from ``solution/`` by
  content) and
  types the solution's answers into the form as a person would (options by their label,
  numbers as written in their language); ``northlab grade`` gives that full marks (a
  person still grades the written answers) and the untouched release the floor.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from bs4 import BeautifulSoup, Tag

from graders.lab import Lab, discover_labs
from hub.config.settings import REPO
from hub.services.exchange.tracks import TRACKS_FILE
from northlab.i18n import Catalog
from northlab.language import COOKIE
from tests.hub.learner_server import learner_server
from tests.support.release import write_release

TRACK = REPO / "labs" / "foundations"
LABS = sorted(discover_labs(TRACK), key=lambda lab: (lab.order, lab.id))
COURSE = "foundations-pages"
TOKEN = "foundations-pages-token"
TEXTS = Catalog(REPO / "hub" / "foundations" / "locale")
SYLLABICS = range(0x1400, 0x1680)


def notebook(lab: Lab) -> dict:
    return json.loads(lab.notebook_path(lab.id).read_text(encoding="utf-8"))


def answer_cells(nb: dict) -> list[tuple[dict, dict]]:
    """(answer spec, cell) of every answer cell."""
    return [(cell["metadata"]["northlab"]["answer"], cell) for cell in nb["cells"]
            if "answer" in cell.get("metadata", {}).get("northlab", {})]


def solution_value(spec: dict, cell: dict) -> object:
    source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    if cell["cell_type"] == "markdown":
        return source
    statement = ast.parse(source).body[0]
    assert statement.targets[0].id == spec["field"]
    return ast.literal_eval(statement.value)


def label(texts: dict, language: str) -> str:
    return texts.get(language) or texts["en"]


@dataclass
class Pages:
    url: str
    root: Path
    exchange: Path
    log: Path

    def get(self, path: str, language: str) -> BeautifulSoup:
        response = requests.get(self.url + path, timeout=120, cookies={COOKIE: language},
                                    headers={"Authorization": f"token {TOKEN}"})
        assert response.status_code == 200, (path, response.status_code, response.text[-500:])
        return BeautifulSoup(response.text, "html.parser")

    def post(self, path: str, language: str, data: list[tuple[str, str]],
             files: dict | None = None) -> BeautifulSoup:
        response = requests.post(self.url + path, data=data, files=files, timeout=300,
                                     cookies={COOKIE: language},
                                     headers={"Authorization": f"token {TOKEN}"})
        assert response.status_code == 200, (path, response.status_code, response.text[-500:])
        return BeautifulSoup(response.text, "html.parser")


def release(lab: Lab, outbound: Path) -> None:
    """What nbgrader releases: the source's files, each notebook without its solutions."""
    shutil.copytree(lab.source_dir, outbound)
    for name in lab.notebook_names:
        write_release(lab.notebook_path(name), outbound / f"{name}.ipynb")


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> Iterator[Pages]:
    """A foundations learner's ``jupyter server``, every activity released to their course."""
    tmp = tmp_path_factory.mktemp("foundations-pages")
    root, exchange = tmp / "home", tmp / "exchange"
    folder = root / "foundations"
    folder.mkdir(parents=True)
    course = exchange / COURSE
    for lab in LABS:
        release(lab, course / "outbound" / lab.id)
    (course / "inbound").mkdir()
    (course / TRACKS_FILE).write_text(json.dumps({lab.id: "foundations" for lab in LABS}))
    log = tmp / "server.log"
    with learner_server(root, "foundations", exchange, folder, TOKEN, log,
                        PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}") as url:
        yield Pages(url, root, exchange, log)


def activity_path(lab: Lab) -> str:
    return f"/foundations/activity/{COURSE}/{lab.id}"


def test_the_six_weeks_list_every_activity_in_its_week(pages: Pages) -> None:
    for language in ("en", "fr"):
        home = pages.get("/foundations/", language)
        for lab in LABS:
            meta = notebook(lab)["metadata"]["northlab"]["activity"]
            link = home.select_one(f"a[href$='{activity_path(lab)}']")
            assert link is not None, (lab.id, language)
            assert link.get_text(strip=True) == meta["title"][language]
            week = link.find_parent("li", class_="week").h2.get_text(strip=True)
            assert week == TEXTS.text("week", language, number=meta["week"]), lab.id


def form_fields(page: BeautifulSoup) -> dict[str, list[Tag]]:
    """The answer form's controls by name (the form holding the Hand it in button)."""
    form = page.select_one("button[value=hand_in]").find_parent("form")
    found: dict[str, list[Tag]] = {}
    for control in form.select("input[name], textarea[name], select[name]"):
        if control.get("form") is None:  # the folder tools belong to their own forms
            found.setdefault(control["name"], []).append(control)
    return found


def label_of(page: BeautifulSoup, control: Tag) -> str:
    return page.select_one(f"label[for='{control['id']}']").get_text(" ", strip=True)


def check_fields(page: BeautifulSoup, lab: Lab, language: str) -> dict[str, list[Tag]]:
    """Every answer cell is a field of its type, with its label and options."""
    controls = form_fields(page)
    specs = answer_cells(notebook(lab))
    assert sorted(controls) == sorted(["_xsrf", *(spec["field"] for spec, _ in specs)])
    for spec, cell in specs:
        found, name = controls[spec["field"]], spec["field"]
        kind = spec["type"]
        if kind in ("choice", "choices"):
            legend = found[0].find_parent("fieldset").legend.get_text(" ", strip=True)
            assert legend == label(spec["label"], language), name
            assert {c["type"] for c in found} == {"radio" if kind == "choice" else "checkbox"}
            assert [label_of(page, c) for c in found] == [
                label(option["label"], language) for option in spec["options"]], name
            continue
        (control,) = found
        assert label_of(page, control) == label(spec["label"], language), name
        tag = {"text": "textarea", "number": "input", "file": "select", "folder": "select"}
        assert control.name == tag[kind], name
        if cell["cell_type"] == "markdown":
            assert kind == "text", name
    return controls


def do_activity(pages: Pages, lab: Lab, submissions: Path) -> None:
    """A learner starts ``lab``, makes its files and answers through the pages; their
    folder and the untouched release are put in ``submissions`` for grading."""
    language = ("en", "fr")[LABS.index(lab) % 2]
    page = pages.post(activity_path(lab), language, [("action", "start")])
    assert "problem" not in page.select_one("#result")["class"], page.select_one("#result")
    folder = pages.root / "foundations" / lab.id
    assert folder.is_dir()
    title = notebook(lab)["metadata"]["northlab"]["activity"]["title"][language]
    assert page.h1.get_text(strip=True) == title
    check_fields(page, lab, language)
    for other in ("en", "fr", "iu"):
        check_fields(pages.get(activity_path(lab), other), lab, other)
    for link in page.select(".tree a[download]"):  # each file downloads as it is
        response = requests.get(pages.url + link["href"], timeout=120,
                                headers={"Authorization": f"token {TOKEN}"})
        assert response.status_code == 200, link["href"]
        assert response.content in {p.read_bytes() for p in folder.rglob(link.get_text())}
    page = make_finished_files(pages, lab, language, folder)
    page = answer(pages, lab, language, page)
    said = page.select_one("#result").get_text(" ", strip=True)
    assert TEXTS.text("result.saved", language) in said, said
    shutil.copytree(folder, submissions / "through-pages")
    shutil.copytree(pages.exchange / COURSE / "outbound" / lab.id, submissions / "blank")


@pytest.fixture(scope="module")
def graded(pages: Pages, tmp_path_factory) -> dict[str, dict[str, dict] | Exception]:
    """``{lab id: {learner: record}}`` (or what went wrong), every activity done through
    the pages and graded by ``northlab grade``, all at once (each mostly waits)."""
    tmp = tmp_path_factory.mktemp("graded")

    def done(lab: Lab) -> dict[str, dict] | Exception:
        try:
            do_activity(pages, lab, tmp / lab.id / "submissions")
            return {r["learner"]: r for r in northlab_grade(lab, tmp / lab.id)}
        except Exception as exc:  # reported by that activity's own test
            return exc

    with ThreadPoolExecutor(len(LABS)) as pool:
        return dict(zip([lab.id for lab in LABS], pool.map(done, LABS), strict=True))


@pytest.mark.parametrize("lab", LABS, ids=[lab.id for lab in LABS])
def test_each_activity_done_through_the_pages_gets_full_marks(graded, lab: Lab) -> None:
    records = graded[lab.id]
    if isinstance(records, Exception):
        raise records
    manual = sum(c["metadata"]["nbgrader"]["points"] for _, c in answer_cells(notebook(lab))
                 if c["cell_type"] == "markdown")
    done, blank = records["through-pages"], records["blank"]
    failed = [t["name"] for t in done["tests"] if not t["passed"] and not t.get("pending")]
    assert failed == [] and done["score"] == pytest.approx(lab.points - manual), done
    assert done.get("pending_points", 0) == pytest.approx(manual)
    assert blank["score"] <= lab.floor, blank


def northlab_grade(lab: Lab, folder: Path) -> list[dict]:
    out = folder / "records.json"
    done = subprocess.run(
        [sys.executable, "-m", "northlab.cli", "grade", str(lab.path), str(folder / "submissions"),
         "--layout", "learners", "--json", str(out), "--no-outbox", "--workers", "2", "-q"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"})
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text())


def answer(pages: Pages, lab: Lab, language: str, page: BeautifulSoup) -> BeautifulSoup:
    """Type the solution's answers into the form, as a person would, and save."""
    controls = form_fields(page)
    data = [("_xsrf", controls["_xsrf"][0].get("value", "")), ("action", "save")]
    for spec, cell in answer_cells(notebook(lab)):
        value, found, name = solution_value(spec, cell), controls[spec["field"]], spec["field"]
        if spec["type"] in ("choice", "choices"):
            wanted = value if isinstance(value, list) else [value]
            by_label = {label_of(page, c): c["value"] for c in found}
            for option in spec["options"]:
                if option["value"] in wanted:
                    data.append((name, by_label[label(option["label"], language)]))
        elif spec["type"] == "number":
            typed = str(value)
            data.append((name, typed.replace(".", ",") if language == "fr" else typed))
        elif spec["type"] in ("file", "folder"):
            offered = [o["value"] for o in found[0].select("option")]
            assert value in offered, (name, value, offered)
            data.append((name, value))
        else:
            data.append((name, value))
    return pages.post(activity_path(lab), language, data)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_finished_files(pages: Pages, lab: Lab, language: str,
                        folder: Path) -> BeautifulSoup:
    """Turn the fetched files into the finished ones of ``solution/`` with the page's
    folder tools only: each finished file is a fetched one with the same content (renamed
    and moved) or, when none has it, uploaded; fetched files left over are deleted."""
    page = pages.get(activity_path(lab), language)
    if not lab.solution_dir.is_dir():
        return page
    finished = sorted(p.relative_to(lab.solution_dir) for p in lab.solution_dir.rglob("*"))
    for top in sorted({p.parts[0] for p in finished}):
        fetched = [p.relative_to(folder) for p in sorted((folder / top).rglob("*"))
                   if p.is_file()] if (folder / top).is_dir() else []
        unused = {p: digest(folder / p) for p in fetched}
        for target in [p for p in finished if p.parts[0] == top]:
            if (lab.solution_dir / target).is_dir():
                if not (folder / target).is_dir():
                    page = act(pages, lab, language, page, "folder_make", {
                        "parent": target.parent.as_posix() if target.parent.parts else "",
                        "name": target.name})
                continue
            wanted = digest(lab.solution_dir / target)
            same = sorted((p.name != target.name, p) for p, d in unused.items() if d == wanted)
            match = same[0][1] if same else None  # the one of the same name first
            if match is None:
                page = upload(pages, lab, language, page, lab.solution_dir / target,
                              target.parent)
                continue
            del unused[match]
            if match.name != target.name:
                page = act(pages, lab, language, page, "folder_rename",
                           {"item": match.as_posix(), "name": target.name})
                match = match.with_name(target.name)
            if match.parent != target.parent:
                page = act(pages, lab, language, page, "folder_move", {
                    "item": match.as_posix(), "into": target.parent.as_posix()})
        for leftover in unused:
            page = act(pages, lab, language, page, "folder_delete",
                       {"item": leftover.as_posix()})
    return page


def act(pages: Pages, lab: Lab, language: str, page: BeautifulSoup, action: str,
        values: dict[str, str]) -> BeautifulSoup:
    """Press a folder tool's button with ``values`` chosen among what its form offers."""
    form_id = action.replace("_", "-")
    data = [("_xsrf", page.select_one(f"form#{form_id} input[name=_xsrf]")["value"]),
            ("action", action)]
    for name, value in values.items():
        control = page.select_one(f"[form={form_id}][name={name}]")
        if control.name == "select":
            offered = [o["value"] for o in control.select("option")]
            assert value in offered, (action, name, value, offered)
        data.append((name, value))
    page = pages.post(activity_path(lab), language, data)
    result = page.select_one("#result")
    assert "problem" not in result["class"], (action, values, result.get_text(" "))
    return page


def upload(pages: Pages, lab: Lab, language: str, page: BeautifulSoup, source: Path,
           parent: Path) -> BeautifulSoup:
    xsrf = page.select_one("form#folder-upload input[name=_xsrf]")["value"]
    parent_name = parent.as_posix() if parent.parts else ""
    page = pages.post(activity_path(lab), language,
                      [("_xsrf", xsrf), ("action", "folder_upload"), ("parent", parent_name)],
                      files={"file": (source.name, source.read_bytes())})
    result = page.select_one("#result")
    assert "problem" not in result["class"], (source.name, result.get_text(" "))
    return page


def test_the_inuktitut_page_marks_what_falls_back_to_english(pages: Pages, graded) -> None:
    """On an Inuktitut page every text in Latin letters (untranslated messages, the
    activity's English instructions, labels and options) is inside ``lang="en"``, and no
    syllabics are; the instructions are shown (in English) rather than left out."""
    for lab in LABS[:2]:
        page = pages.get(activity_path(lab), "iu")
        assert page.html["lang"] == "iu"
        assert page.select(".instructions[lang=en]"), lab.id
        paths = {o["value"] for o in page.select("option[value]")}
        names = paths | {path.rsplit("/", 1)[-1] for path in paths}
        for text in page.body.find_all(string=True):
            words = str(text).strip()
            if not words or words in names or text.parent.name == "textarea" or \
                    text.parent.name in ("li", "a") and \
                    text.find_parent(class_="tree") or text.find_parent(
                    class_="instructions", lang=False):  # a glossary in every language
                continue
            scope = text.find_parent(attrs={"lang": True})
            if any(ord(ch) in SYLLABICS for ch in words):
                assert scope["lang"] == "iu", (lab.id, words)
            elif any(ch.isalpha() for ch in words):
                assert scope["lang"] != "iu", (lab.id, words, text.parent.name)


def test_a_notebook_broken_in_jupyterlab_is_said_on_the_page_not_a_500(pages: Pages) -> None:
    lab = LABS[0]
    pages.post(activity_path(lab), "fr", [("action", "start")])
    saved = pages.root / "foundations" / lab.id / f"{lab.id}.ipynb"
    good = saved.read_bytes()
    saved.write_text('{"cells": [', encoding="utf-8")  # an edit in JupyterLab gone wrong
    try:
        for action in ("save", "check", "hand_in"):
            result = pages.post(activity_path(lab), "fr", [("action", action)]).select_one(
                "#result")
            assert "problem" in result["class"], (action, result)
            assert TEXTS.text("answer.bad_notebook", "fr") in result.get_text(" ", strip=True)
    finally:
        saved.write_bytes(good)


def test_a_refused_request_says_why_in_the_learners_language(pages: Pages) -> None:
    response = requests.post(pages.url + activity_path(LABS[0]), data=[("action", "nothing")],
                             timeout=300, cookies={COOKIE: "fr"},
                             headers={"Authorization": f"token {TOKEN}"})
    assert response.status_code == 400
    shown = BeautifulSoup(response.content, "html.parser").get_text(" ")
    assert TEXTS.text("error.unknown_action", "fr") in shown, shown
