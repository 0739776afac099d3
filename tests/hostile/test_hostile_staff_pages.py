"""A learner's HTML never runs in a page staff or learners read (sixth review, C).

A learner's markdown cell reaches the autograded notebook unchanged, and formgrader renders
it with nbconvert's ``HTMLExporter`` and nbgrader's ``formgrade`` template, whose markdown
block skips nbconvert's ``sanitize_html`` filter: ``<img src=x onerror=...>`` ran in the
instructor's formgrader session. Our courses' config (the bridge's ``configure``, and the
single-user servers' nbgrader config formgrader loads) sanitizes markdown cells and outputs
before rendering; an ordinary markdown answer still renders.
"""

from __future__ import annotations

import os
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbconvert.exporters import HTMLExporter
from nbgrader.server_extensions.formgrader import handlers
from traitlets.config import Config

from graders.nbgrader_bridge import NorthlabFeedbackExporter
from hub.config.settings import load_settings
from hub.courses.folders import course_config

SINGLEUSER_CONFIG = (Path(__file__).resolve().parents[2] / "hub" / "singleuser" / "common"
                     / "nbgrader_config.py")
#: what formgrader's page template needs besides the notebook
FORMGRADE_RESOURCES = {"assignment_id": "a", "notebook_id": "n", "submission_id": "s",
                       "index": 0, "total": 1, "base_url": "/", "student": "x",
                       "last_name": "l", "first_name": "f", "notebook_path": "/p"}
HOSTILE = ('<img src=x onerror="alert(document.cookie)"> <script>alert(1)</script>'
           '<a href="javascript:alert(3)">link</a><svg onload="alert(4)"></svg>')


def learner_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell(
        "My **answer**: the port is *closed*.\n\n- one\n- two\n\n" + HOSTILE))
    code = nbformat.v4.new_code_cell("show()")
    code.outputs = [
        nbformat.v4.new_output("display_data", data={
            "text/html": '<b>table</b><img src=y onerror="alert(2)">',
            "image/svg+xml": '<svg onload="alert(5)"></svg>',
            "text/markdown": HOSTILE, "text/plain": "x"}),
        nbformat.v4.new_output("execute_result", execution_count=1, data={
            "application/javascript": "alert(6)", "text/plain": "y"}),
    ]
    nb.cells.append(code)
    return nb


def course_settings(tmp_path: Path) -> Config:
    config = Config()
    settings = load_settings({"NORTHLAB_DATA": str(tmp_path / "data")})
    exec(compile(course_config(settings, "c1"), "nbgrader_config.py", "exec"),
         {"get_config": lambda: config})
    return config


def singleuser_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    config = Config()
    monkeypatch.setenv("NORTHLAB_EXCHANGE", str(tmp_path / "exchange"))
    monkeypatch.setenv("NORTHLAB_ROLE", "instructor")
    exec(compile(SINGLEUSER_CONFIG.read_text(), str(SINGLEUSER_CONFIG), "exec"),
         {"get_config": lambda: config, "os": os})
    return config


class ActiveParts(HTMLParser):
    """The learner's code that would run in a page: every payload calls ``alert``, in an
    attribute (event handler, ``javascript:`` link) or a script (the page's own hold none)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.in_script = tag == "script"
        for name, value in attrs:
            if "alert(" in (value or ""):
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag: str) -> None:
        self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script and "alert(" in data:
            self.found.append(f"<script>{data.strip()[:40]}")


def assert_safe_and_rendered(page: str) -> None:
    parser = ActiveParts()
    parser.feed(page)
    assert parser.found == []
    assert "<strong>answer</strong>" in page and "<em>closed</em>" in page
    assert "<li>one</li>" in page and "<b>table</b>" in page


@pytest.mark.parametrize("source", ["course", "singleuser"])
def test_formgrader_pages_show_learner_html_as_text(
        source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = (course_settings(tmp_path) if source == "course"
              else singleuser_settings(tmp_path, monkeypatch))
    # what FormgradeExtension adds to the config before building its exporter
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    page, _ = HTMLExporter(config=config).from_notebook_node(
        learner_notebook(), resources=dict(FORMGRADE_RESOURCES))
    assert_safe_and_rendered(page)


def test_feedback_pages_show_learner_html_as_text(tmp_path: Path) -> None:
    config = course_settings(tmp_path)
    # what nbgrader's GenerateFeedback adds to the config
    config.HTMLExporter.template_name = "feedback"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    config.HTMLExporter.extra_template_paths = [str(
        Path(handlers.static_path) / "node_modules" / "bootstrap" / "dist" / "css")]
    page, _ = NorthlabFeedbackExporter(config=config).from_notebook_node(
        learner_notebook(), resources={"nbgrader": {"score": 0, "max_score": 1, "late_penalty": 0}})
    assert_safe_and_rendered(page)
