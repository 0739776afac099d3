"""The Foundations pages: the learner's six weeks, and one activity at a time.

Plain HTML forms (a page works without JavaScript); every action is a POST that answers
with the page again and the result in its live region. Fetch, hand in and Check my work
run in a worker child (:mod:`hub.foundations.worker`), like the Assignments tab's requests.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from markupsafe import Markup
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from hub.assignments.handlers import (
    TIMEOUT_SECONDS,
    handed_in_feedback,
    instant_feedback,
    run_worker,
)
from hub.foundations import answers
from hub.foundations.answers import AnswerError, Field
from hub.foundations.folder import ActivityFolder
from hub.foundations.markdown import render_markdown
from northlab.i18n import Catalog, Shown, pick
from northlab.language import choose_language, other_language, shown

HERE = Path(__file__).resolve().parent
LOCALE = Catalog(HERE / "locale")
WEEKS = range(1, 7)
GRADEBOOK_SECONDS = 10
NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}"
ACTIONS = ("start", "save", "check", "hand_in", "folder_make", "folder_upload", "folder_move",
           "folder_rename", "folder_delete")


@jinja2.pass_context
def mark_language(context: jinja2.runtime.Context, value: Any) -> Any:
    """Every ``{{ text }}`` in another language than the page's (an untranslated message,
    an activity's English text on an Inuktitut page) is wrapped in ``<span lang>``, so that
    screen readers switch voice. Attributes, ``<title>`` and ``<option>`` use ``plain()``
    (and ``lang_attr()``), where no element can go."""
    lang = other_language(context.get("language", ""), value)
    return Markup('<span lang="{}">{}</span>').format(lang, value) if lang else value


def lang_attr(language: str, text: Any) -> Markup:
    lang = other_language(language, text)
    return Markup(' lang="{}"').format(lang) if lang else Markup("")


TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                               autoescape=True, trim_blocks=True, lstrip_blocks=True,
                               finalize=mark_language)


def hub_root(hub_prefix: str) -> str:
    """The hub's base URL (``/``, or e.g. ``/northlab/``) from its prefix (``<base>hub/``):
    where the proxy routes services (``<base>services/gradebook/``)."""
    return hub_prefix.removesuffix("hub/") or "/"


def static_version() -> str:
    """A digest of the static files: their URLs change when they do (long browser cache)."""
    digest = hashlib.sha256()
    for path in sorted((HERE / "static").iterdir()):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@dataclass
class Result:
    """What the live region says after an action."""

    messages: list[str] = field(default_factory=list)
    tests: list[dict[str, Any]] = field(default_factory=list)
    ok: bool = True
    errors: dict[str, str] = field(default_factory=dict)  #: field name -> message


class FoundationsHandler(JupyterHandler):
    """Base: language, catalogue, page rendering and the worker."""

    @property
    def language(self) -> str:
        return choose_language(self, LOCALE.languages)

    def t(self, message_id: str, **values: object) -> Shown:
        return shown(LOCALE, message_id, self.language, **values)

    def pick(self, texts: Any, fallback: str = "") -> Shown:
        """The learner's language from a ``{language: text}`` of the activity, else English."""
        return pick(texts, self.language, fallback)

    def page_url(self, *parts: str) -> str:
        return url_path_join(self.base_url, "foundations", *(quote(p, safe="") for p in parts))

    def render_page(self, name: str, **context: Any) -> None:
        self.set_header("Cache-Control", "no-store")
        hub_prefix = self.settings.get("hub_prefix", "/hub/")
        self.finish(TEMPLATES.get_template(name).render(
            t=self.t, pick=self.pick, language=self.language, plain=str,
            lang_attr=lambda text: lang_attr(self.language, text),
            languages=[(code, LOCALE.text("language.name", code)) for code in LOCALE.languages],
            here=self.request.path, xsrf=self.xsrf_form_html(),
            home=self.page_url(), static=self.page_url("static"),
            version=self.settings["northlab_foundations_version"],
            hub=hub_prefix, root=hub_root(hub_prefix), **context))

    async def worker(self, request: dict[str, Any]) -> dict[str, Any]:
        return await run_worker(self.settings["northlab_foundations_root"], request,
                                self.language, module="hub.foundations.worker")

    def failure(self, answer: dict[str, Any]) -> str:
        """One sentence for a failed worker answer (never a traceback)."""
        value = answer.get("value")
        lines = [line.strip() for line in str(value or "").splitlines() if line.strip()]
        detail = lines[-1][:200] if lines else "?"
        return self.t("result.failed", detail=detail)

    async def activities(self) -> tuple[list[dict[str, Any]], str]:
        answer = await self.worker({"action": "activities"})
        if not answer.get("success"):
            return [], self.t("home.failed", detail=self.failure(answer))
        return answer["value"], ""


async def gradebook_scores() -> dict[str, dict[str, float]]:
    """``{lab: {"score", "max_score"}}`` of the learner's best graded attempt per lab, from
    the gradebook's ``api/me`` with this server's own token ({} when it cannot answer)."""
    url, token = os.environ.get("NORTHLAB_GRADEBOOK_URL"), os.environ.get(
        "JUPYTERHUB_API_TOKEN")
    if not url or not token:
        return {}
    try:
        response = await AsyncHTTPClient().fetch(
            url_path_join(url, "api/me"), headers={"Authorization": f"token {token}"},
            request_timeout=GRADEBOOK_SECONDS, follow_redirects=False)
        return scores_from(json.loads(response.body))
    except (OSError, HTTPClientError, ValueError):
        return {}


def scores_from(me: Any) -> dict[str, dict[str, float]]:
    """The best attempt per lab of a gradebook ``api/me`` answer."""
    labs = me.get("labs") if isinstance(me, dict) else None
    found: dict[str, dict[str, float]] = {}
    for lab in labs if isinstance(labs, list) else []:
        if not isinstance(lab, dict) or not isinstance(lab.get("lab"), str) \
                or not isinstance(lab.get("attempts"), list):
            continue
        attempts = [a for a in lab["attempts"] if isinstance(a, dict)
                    and type(a.get("score")) in (int, float)
                    and type(a.get("max_score")) in (int, float) and a["max_score"] > 0]
        if attempts:
            best = max(attempts, key=lambda a: a["score"] / a["max_score"])
            found[lab["lab"]] = {"score": best["score"], "max_score": best["max_score"]}
    return found


def week_of(activity: dict[str, Any]) -> int | None:
    week = activity.get("meta", {}).get("week")
    return week if type(week) is int and week in WEEKS else None


def status_of(activity: dict[str, Any]) -> str:
    if activity["feedback"] or activity.get("score"):
        return "graded"
    if activity["handed_in"]:
        return "handed_in"
    return "fetched" if activity["fetched"] else "new"


class HomeHandler(FoundationsHandler):
    @web.authenticated
    async def get(self) -> None:
        (found, problem), scores = await asyncio.gather(self.activities(),
                                                        gradebook_scores())
        weeks: dict[int | None, list[dict[str, Any]]] = {week: [] for week in WEEKS}
        for activity in sorted(found, key=lambda a: (week_of(a) or 99,
                                                     a.get("meta", {}).get("order", 0), a["id"])):
            activity["title"] = self.pick(activity.get("meta", {}).get("title"), activity["id"])
            activity["score"] = {k: _number(v) for k, v in scores.get(activity["id"], {}).items()}
            activity["status"] = status_of(activity)
            activity["url"] = self.page_url("activity", activity["course"], activity["id"])
            weeks.setdefault(week_of(activity), []).append(activity)
        done = sum(1 for activity in found if activity["handed_in"])
        self.render_page("home.html", weeks=weeks, problem=problem, any=bool(found),
                         done=done, total=len(found))


class ActivityHandler(FoundationsHandler):
    """One activity: start it, answer, save, check, hand in, organise its folder."""

    async def find(self, course: str, lab: str) -> dict[str, Any]:
        """The activity from the learner's own copy when fetched (no nbgrader request),
        else from the exchange's list (404 when it is not released to them)."""
        fetched = self.fetched(course, lab)
        if fetched is not None:
            return fetched
        found, problem = await self.activities()
        for activity in found:
            if (activity["course"], activity["id"]) == (course, lab):
                activity["title"] = self.pick(activity.get("meta", {}).get("title"), lab)
                activity["status"] = status_of(activity)
                return activity
        raise web.HTTPError(404, problem or self.t("activity.missing"))

    def fetched(self, course: str, lab: str) -> dict[str, Any] | None:
        """``<track folder>/<lab>/``: its notebook named like the lab, else its first."""
        folder = Path(self.settings["northlab_foundations_assignments"]) / lab
        notebooks = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
        if not notebooks:
            return None
        path = folder / f"{lab}.ipynb" if folder / f"{lab}.ipynb" in notebooks else notebooks[0]
        root = Path(self.settings["northlab_foundations_root"]).resolve()
        if not path.resolve().is_relative_to(root):
            return None
        meta = answers.activity_meta(path)
        return {"course": course, "id": lab, "fetched": True, "handed_in": 0,
                "feedback": False, "status": "", "meta": meta,
                "title": self.pick(meta.get("title"), lab),
                "notebook": str(path.resolve().relative_to(root))}

    def notebook_path(self, activity: dict[str, Any]) -> Path | None:
        if not activity["fetched"] or not activity["notebook"]:
            return None
        root = Path(self.settings["northlab_foundations_root"]).resolve()
        path = (root / activity["notebook"]).resolve()
        return path if path.is_relative_to(root) and path.is_file() else None

    @web.authenticated
    async def get(self, course: str, lab: str) -> None:
        await self.show(await self.find(course, lab), Result(), {})

    @web.authenticated
    async def post(self, course: str, lab: str) -> None:
        action = self.get_body_argument("action", "")
        if action not in ACTIONS:
            raise web.HTTPError(400, self.t("error.unknown_action"))
        activity = await self.find(course, lab)
        result, typed = Result(), {}
        if action == "start":
            if not activity["fetched"]:
                answer = await self.worker({"action": "fetch", "course_id": course,
                                            "assignment_id": lab})
                if not answer.get("success"):
                    result = Result([self.failure(answer)], ok=False)
                else:
                    activity = await self.find(course, lab)
                    result.messages.append(self.t("result.started"))
            await self.show(activity, result, typed)
            return
        path = self.notebook_path(activity)
        if path is None:
            raise web.HTTPError(409, self.t("error.start_first"))
        if action.startswith("folder_"):
            result = self.folder_action(action, path)
        else:
            result, typed = self.save(path)
            if result.ok and action == "check":
                result = await self.check(path, result)
            elif result.ok and action == "hand_in":
                earlier = await instant_feedback(course)  # labs graded on submit (issue 19)
                answer = await self.worker({"action": "submit", "course_id": course,
                                            "assignment_id": lab})
                if answer.get("success"):
                    result.messages = [self.t("result.handed_in")]
                    activity["status"] = "handed_in"
                    graded = earlier and await handed_in_feedback(course, lab, len(
                        [e for e in earlier["entries"] if e.get("lab") == lab]), self.language)
                    if graded:
                        result.messages.append(" · ".join(filter(None, (
                            graded["title"], graded["message"], graded.get("hidden")))))
                else:
                    result = Result([self.failure(answer)], ok=False)
        await self.show(activity, result, typed)

    def save(self, path: Path) -> tuple[Result, dict[str, list[str]]]:
        """Write the form's answers into the notebook; nothing is written if one is wrong,
        nor when the notebook cannot be used (too big, broken in JupyterLab) or written:
        the page says so, as :meth:`show` does, and keeps what was typed."""
        values, errors, typed = {}, {}, {}
        try:
            notebook = answers.read_notebook(path)
            folder = ActivityFolder(path.parent, frozenset({path.name}))
            for item in answers.fields(notebook):
                raw = self.get_body_arguments(item.name, strip=False)
                typed[item.name] = raw
                paths = folder.paths(folder=item.type == "folder") if item.type in (
                    "file", "folder") else set()
                try:
                    values[item.name] = answers.value_from_form(item, raw, paths)
                except AnswerError as exc:
                    errors[item.name] = self.t(exc.message, **exc.values)
            if errors:
                return Result([self.t("result.not_saved")], ok=False, errors=errors), typed
            if answers.write_answers(notebook, values):
                answers.save_notebook(path, notebook)
        except AnswerError as exc:
            return Result([self.t(exc.message, **exc.values)], ok=False), typed
        except OSError as exc:
            return Result([self.t("result.failed", detail=exc.strerror or "?")], ok=False), typed
        return Result([self.t("result.saved")]), {}

    async def check(self, path: Path, result: Result) -> Result:
        root = Path(self.settings["northlab_foundations_root"]).resolve()
        answer = await self.worker({"action": "check", "path": str(path.relative_to(root))})
        if not answer.get("success") or not isinstance(answer.get("value"), dict):
            return Result([self.t("result.check_failed")], ok=False)
        tests = answer["value"]["tests"]
        graded = [test for test in tests if not test["manual"]]
        passed = sum(1 for test in graded if test["passed"])
        messages = [self.t("result.checked", passed=passed, total=len(graded),
                           points=_number(sum(t["points"] or 0 for t in graded)),
                           max_points=_number(sum(t["max_points"] or 0 for t in graded)))]
        if graded and passed == len(graded):
            messages.append(self.t("result.all_right"))
        if len(graded) < len(tests):
            messages.append(self.t("result.manual"))
        if answer["value"].get("changed"):
            messages.append(self.t("result.changed"))
        for number, test in enumerate(tests, 1):
            test["name"] = self.t("test.name", number=number)
            test["state"] = "manual" if test["manual"] else "passed" if test[
                "passed"] else "failed"
            test["hint"] = "" if test["passed"] or test["manual"] else self.pick(
                test["feedback"])
        return Result(messages, tests)

    def folder_action(self, action: str, path: Path) -> Result:
        folder = ActivityFolder(path.parent, frozenset({path.name}))
        try:
            if action == "folder_make":
                name = folder.make_folder(self.get_body_argument("parent", ""),
                                          self.get_body_argument("name", ""))
                return Result([self.t("folder.made", name=name)])
            if action == "folder_move":
                name = folder.move(self.get_body_argument("item", ""),
                                   self.get_body_argument("into", ""))
                return Result([self.t("folder.moved", name=name)])
            if action == "folder_rename":
                name = folder.rename(self.get_body_argument("item", ""),
                                     self.get_body_argument("name", ""))
                return Result([self.t("folder.renamed", name=name)])
            if action == "folder_delete":
                name = folder.delete(self.get_body_argument("item", ""))
                return Result([self.t("folder.deleted", name=name)])
            uploads = self.request.files.get("file") or []
            if not uploads or not uploads[0]["filename"]:
                return Result([self.t("folder.no_file")], ok=False)
            name = folder.upload(self.get_body_argument("parent", ""),
                                 uploads[0]["filename"], uploads[0]["body"])
            return Result([self.t("folder.uploaded", name=name)])
        except AnswerError as exc:
            return Result([self.t(exc.message, **exc.values)], ok=False)
        except OSError as exc:
            return Result([self.t("result.failed", detail=exc.strerror or "?")], ok=False)

    async def show(self, activity: dict[str, Any], result: Result,
                   typed: dict[str, list[str]]) -> None:
        path = self.notebook_path(activity)
        blocks, entries, folders, files = [], [], [], ""
        if path is not None:
            try:
                notebook = answers.read_notebook(path)
                blocks = self.blocks(notebook, typed, result.errors)
            except AnswerError as exc:
                result = Result([self.t(exc.message, **exc.values)], ok=False)
            folder = ActivityFolder(path.parent, frozenset({path.name}))
            entries = folder.entries()
            folders = [entry.path for entry in entries if entry.folder]
            root = Path(self.settings["northlab_foundations_root"]).resolve()
            files = url_path_join(self.base_url, "files",
                                  quote(path.parent.relative_to(root).as_posix()))
        self.render_page("activity.html", activity=activity, blocks=blocks, result=result,
                         entries=entries, folders=folders, files=files, folder_used=any(
                             b["kind"] == "field" and b["field"].type in ("file", "folder")
                             for b in blocks),
                         protected=path.name if path else "",
                         action=self.request.path, timeout=TIMEOUT_SECONDS)

    def blocks(self, notebook: dict[str, Any], typed: dict[str, list[str]],
               errors: dict[str, str]) -> list[dict[str, Any]]:
        """The page, in notebook order: instructions (markdown cells in the learner's
        language) and answer fields; code that is no answer is not shown."""
        by_cell = {item.cell: item for item in answers.fields(notebook)}
        languages = self.instruction_languages(notebook["cells"])
        shown = []
        for index, cell in enumerate(notebook["cells"]):
            if index in by_cell:
                item = by_cell[index]
                shown.append({"kind": "field", "field": item, "label": self.pick(
                    item.label, item.name), "value": self.form_value(notebook, item, typed),
                    "error": errors.get(item.name, ""),
                    "options": [self.pick(o.label, str(o.value)) for o in item.options]})
            elif cell.get("cell_type") == "markdown" and index in languages:
                source = cell.get("source", "")
                text = "".join(source) if isinstance(source, list) else str(source)
                lang = languages[index]
                shown.append({"kind": "text", "html": render_markdown(text),
                              "lang": lang if lang and lang != self.language else None})
        return shown

    def instruction_languages(self, cells: list[Any]) -> dict[int, str | None]:
        """``{cell index: its language}`` of the markdown cells to show. A cell may name its
        language (``northlab.language``); cells that follow each other in different
        languages are one text in several languages: the learner's is shown, else the
        English one. Cells that name no language are always shown (None)."""
        shown: dict[int, str | None] = {}
        group: dict[str, int] = {}

        def close() -> None:
            for lang in (self.language, "en", *group):
                if lang in group:
                    shown[group[lang]] = lang
                    break
            group.clear()

        for index, cell in enumerate(cells):
            meta = cell.get("metadata", {}).get("northlab") if isinstance(cell, dict) else None
            lang = meta.get("language") if isinstance(meta, dict) else None
            if not isinstance(cell, dict) or cell.get("cell_type") != "markdown" \
                    or not isinstance(lang, str):
                close()
                if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
                    shown[index] = None
                continue
            if lang in group:
                close()
            group[lang] = index
        close()
        return shown

    def form_value(self, notebook: dict[str, Any], item: Field,
                   typed: dict[str, list[str]]) -> list[str]:
        """What the form shows: the values just typed (after an error), else the
        notebook's answer, as the form sends it (options by position)."""
        if item.name in typed:
            return typed[item.name]
        value = answers.current(notebook, item)
        if value is None:
            return []
        values = value if isinstance(value, list) else [value]
        if item.type in ("choice", "choices"):
            options = [o.value for o in item.options]
            return [str(i) for i, option in enumerate(options)
                    if any(type(v) is type(option) and v == option for v in values)]
        return [_number(v) if item.type == "number" else str(v) for v in values]


def _number(value: Any) -> str:
    """12 rather than 12.0."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def add_handlers(serverapp: Any) -> None:
    webapp = serverapp.web_app
    webapp.settings["northlab_foundations_root"] = serverapp.root_dir
    webapp.settings["northlab_foundations_assignments"] = os.environ.get(
        "NORTHLAB_ASSIGNMENT_DIR", serverapp.root_dir)
    webapp.settings["northlab_foundations_version"] = static_version()
    base = url_path_join(webapp.settings["base_url"], "foundations")
    webapp.add_handlers(".*$", [
        (base + "/?", HomeHandler),
        (url_path_join(base, rf"activity/({NAME})/({NAME})"), ActivityHandler),
        (url_path_join(base, "static/(.*)"), web.StaticFileHandler,
         {"path": str(HERE / "static")}),
    ])
