"""nbgrader bridge: ``nbgrader autograde`` and formgrader's Autograde button grade through the
northlab engine, so learner code never runs unsandboxed and every path yields the same
result record.

In a course's ``nbgrader_config.py``::

    from graders.nbgrader_bridge import configure
    configure(c, labs_dir="/srv/northlab-labs", outbox="/srv/northlab/outbox")

:func:`configure` replaces nbgrader's ``Execute`` step (which runs the notebook in an
ordinary kernel with the instructor's rights) by :class:`NorthlabExecute`. That step
grades the submission in the sandbox, then writes each test cell's outcome as the cell's
output (nothing on a pass, an error output on a failure, a number for partial credit), so
nbgrader's own ``SaveAutoGrades`` records exactly the engine's scores; the learner's other
cells get the outputs they had in the sandboxed run, as in nbgrader's autograded notebook
(bounded, and only text and PNG/JPEG images: :func:`graders.notebooks.clean_outputs`).
Manually graded answers and tasks are left to nbgrader as they are: it stores them as
stock autograde does (no automatic score unless unanswered), so formgrader shows them to
the instructor. The
whole assignment (every notebook of the learner's ``submitted/`` folder) is graded once, on
its first notebook, and that one northlab result record goes into the outbox. The
assignment must be the ``assignment`` of a lab under ``labs_dir`` or its id (the hub
releases labs under their id); an unknown assignment is an error, never a silent
unsandboxed run.
"""

from __future__ import annotations

import atexit
import html
import os
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import nbformat
from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from nbformat.notebooknode import NotebookNode
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from traitlets import Bool, Dict, Integer, Unicode

from graders.engine import Grader
from graders.lab import Lab, LabError, discover_labs
from graders.manual_grades import graded_path, note_graded
from graders.notebooks import (
    HIDDEN_BEGIN,
    HIDDEN_END,
    clean_outputs,
    hidden_lines,
    writable_notebook,
)
from graders.record import messages
from graders.submissions import Submission, _timestamp, read_files

REPO = Path(__file__).resolve().parents[1]
#: the error name of a failed test's output in the autograded notebook (its message is the
#: record's learner-facing feedback)
FAILED = "NorthlabTestFailed"
#: (lab id, lab folder, course) -> its warm engine
_GRADERS: dict[tuple[str, str, str | None], Grader] = {}
#: (lab id, course, learner) -> a record graded on one notebook of the submission: its id,
#: the record and the submission's other notebooks, which nbgrader has yet to pass through
_RECORDS: dict[tuple[str, str | None, str], tuple[str, dict[str, Any], set[str]]] = {}
_LOCK = threading.Lock()


def _grader(lab: Lab, workers: int, course: str | None) -> Grader:
    """One warm engine per lab and course for the life of the nbgrader process."""
    key = (lab.id, str(lab.path), course)
    with _LOCK:
        grader = _GRADERS.get(key)
        if grader is None:
            grader = Grader(lab, workers=workers, course=course, cell_outputs=True).__enter__()
            _GRADERS[key] = grader
        return grader


@atexit.register
def _close_all() -> None:
    for grader in _GRADERS.values():
        grader.__exit__(None, None, None)
    _GRADERS.clear()


class NorthlabExecute(Preprocessor):
    """Grade the notebook in the northlab sandbox instead of executing it (see module doc)."""

    labs_dir = Unicode(
        str(REPO / "labs"),
        help="Folder holding the labs (labs/<track>/<lab>/lab.toml); the assignment id "
             "names the lab.").tag(config=True)
    outbox = Unicode(
        "", help="Outbox folder for northlab result records; empty: <data_root>/outbox when "
                 "NORTHLAB_DATA is set, else no record is delivered.").tag(config=True)
    course = Unicode("", help="Course id written into the result records.").tag(config=True)
    workers = Integer(1, help="Sandboxed worker slots kept warm per lab.").tag(config=True)
    enabled = Bool(True, help="Always on: nbconvert skips disabled preprocessors, which "
                              "would leave every test cell without output (full marks).")

    def _lab(self, assignment: str) -> Lab:
        lab = find_lab(Path(self.labs_dir), assignment)
        if lab is None:
            raise LabError(f"assignment '{assignment}' is not a northlab lab under "
                           f"{self.labs_dir}; refusing to run learner code outside the sandbox")
        return lab

    def _outbox(self) -> Path | None:
        if self.outbox:
            return Path(self.outbox)
        if os.environ.get("NORTHLAB_DATA"):
            return Path(os.environ["NORTHLAB_DATA"]) / "outbox"
        return None

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[
            NotebookNode, dict[str, Any]]:
        info = resources["nbgrader"]
        lab = self._lab(info["assignment"])
        record = self._record(lab, info)
        if record["error"] is not None:
            raise RuntimeError(f"northlab could not grade {info['student']}: "
                               f"{record['error']['message']['en']}")
        outcomes = _grader(lab, self.workers, self.course or None).notebook_outcomes or {}
        with _LOCK:
            outcome = outcomes.pop((info["student"], info["notebook"]), None)
        mark_outputs(nb, record, info["notebook"] if lab.named_notebooks else None,
                     cell_outputs(outcome.outputs) if outcome is not None else {})
        resources.setdefault("northlab", {})["record"] = record
        return nb, resources

    def _record(self, lab: Lab, info: dict[str, Any]) -> dict[str, Any]:
        """The record of the learner's whole submission (``submitted/<learner>/<assignment>``,
        every notebook), graded on the first of its notebooks nbgrader passes through and
        delivered once; its other notebooks take their outcomes from that record."""
        coursedir = CourseDirectory(config=self.config)
        folder = Path(coursedir.format_path(coursedir.submitted_directory, info["student"],
                                            info["assignment"]))
        submission = Submission(learner=info["student"], path=folder,
                                submitted_at=_timestamp(folder),
                                files=read_files(folder) if folder.is_dir() else {},
                                late=submitted_late(info.get("db_url"), info["assignment"],
                                                    info["student"]))
        key = (lab.id, self.course or None, info["student"])
        notebook = info["notebook"]
        with _LOCK:
            done = _RECORDS.pop(key, None)
            if done is not None and done[0] == submission.submission_id and notebook in done[2]:
                if done[2] - {notebook}:
                    _RECORDS[key] = (done[0], done[1], done[2] - {notebook})
                return done[1]
        record = _grader(lab, self.workers, self.course or None).grade(submission)
        others = {name for name in lab.notebook_names
                  if f"{name}.ipynb" in submission.files} - {notebook}
        if others:
            with _LOCK:
                _RECORDS[key] = (submission.submission_id, record, others)
        box = self._outbox()
        if box is not None and record["error"] is None:
            from graders.outbox import Outbox

            Outbox(box).put(record)
        return record


class NorthlabWritable(Preprocessor):
    """Autograde's first step (of its sanitizing pass, before nbgrader checksums or writes
    anything): the learner's notebook text made encodable as the engine reads it
    (:func:`graders.notebooks.writable`, rule 10), so a lone surrogate never ends
    nbgrader's checksum or writer."""

    enabled = Bool(True, help="Always on (nbconvert skips disabled preprocessors).")

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[
            NotebookNode, dict[str, Any]]:
        return writable_notebook(nb), resources


def source_parts(path: Path) -> dict[str, NotebookNode]:
    """grade_id -> cell of every cell of the lab's source notebook at ``path`` that carries
    nbgrader metadata with a grade_id, in notebook order (the lab's truth: the submitted
    notebook never says which cells are graded)."""
    parts: dict[str, NotebookNode] = {}
    for cell in nbformat.read(str(path), as_version=4).cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if isinstance(grade_id, str):
            parts.setdefault(grade_id, cell)
    return parts


def _is_part(cell: NotebookNode) -> bool:
    """Whether a source cell is graded (a test, an answer a person grades, a task)."""
    meta = cell.metadata.get("nbgrader", {})
    return bool(meta.get("grade") or meta.get("task"))


def _is_manual(cell: NotebookNode) -> bool:
    """Whether a source cell is a part a person grades (answer or task)."""
    meta = cell.metadata.get("nbgrader", {})
    return bool((meta.get("grade") and meta.get("solution")) or meta.get("task"))


def _as_source(cell: NotebookNode, source: NotebookNode) -> None:
    """Give a submitted cell its source cell's type and nbgrader flags (nbgrader's
    OverwriteCells then restores checksum and locked text)."""
    if cell.cell_type != source.cell_type:
        cell.cell_type = source.cell_type
        if source.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    cell.metadata["nbgrader"] = nbformat.from_dict(
        {k: v for k, v in source.metadata.nbgrader.items() if k != "checksum"})


def graded_parts(nb: NotebookNode, parts: dict[str, NotebookNode],
                 released: dict[str, NotebookNode]) -> NotebookNode:
    """``nb`` whose graded cells are exactly the lab's: the first cell carrying each of the
    source's grade_ids gets the source's cell type and flags; a later copy, a grade_id the
    source lacks, or nbgrader flags without one lose their nbgrader metadata (they are the
    learner's text); a graded part the submission lacks is added back as released
    (``released``: grade_id -> release cell) after the part before it."""
    cells, seen = [], set()
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        if isinstance(grade_id, str) and grade_id in parts and grade_id not in seen:
            seen.add(grade_id)
            _as_source(cell, parts[grade_id])
        elif meta is not None:
            del cell.metadata["nbgrader"]
        cells.append(cell)
    order = list(parts)
    for grade_id in order:
        if grade_id in seen or not _is_part(parts[grade_id]) or grade_id not in released:
            continue
        before = set(order[:order.index(grade_id)]) & seen
        at = max((i + 1 for i, c in enumerate(cells)
                  if c.metadata.get("nbgrader", {}).get("grade_id") in before), default=0)
        cell = nbformat.from_dict(released[grade_id])
        _as_source(cell, parts[grade_id])
        cells.insert(at, cell)
        seen.add(grade_id)
    nb.cells = cells
    return nb


class NorthlabParts(Preprocessor):
    """Autograde sanitizing step (before nbgrader's DeduplicateIds and OverwriteCells):
    the submitted notebook's graded cells are made exactly the lab source's
    (:func:`graded_parts`), so every part is graded — and every part a person grades is
    reset by ``SaveAutoGrades`` — for this submission, whatever flags, metadata or cells
    the learner changed, removed or copied (manual-grades rule 1)."""

    labs_dir = Unicode(str(REPO / "labs"), help="Folder holding the labs.").tag(config=True)
    enabled = Bool(True, help="Always on (nbconvert skips disabled preprocessors).")

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[
            NotebookNode, dict[str, Any]]:
        from graders.release import release_notebook

        info = resources["nbgrader"]
        lab = find_lab(Path(self.labs_dir), info["assignment"])
        if lab is None or info["notebook"] not in lab.notebook_names:
            return nb, resources  # NorthlabExecute refuses it
        path = lab.notebook_path(info["notebook"])
        released = {cell.metadata.nbgrader["grade_id"]: cell
                    for cell in release_notebook(path).cells
                    if isinstance(cell.metadata.get("nbgrader", {}).get("grade_id"), str)}
        return graded_parts(nb, source_parts(path), released), resources


class NorthlabGraded(Preprocessor):
    """Autograde's last step: once ``SaveAutoGrades`` has stored this notebook's grades
    for the submission, every part a person grades (from the lab's source notebook) is
    reset for it as nbgrader resets a resubmitted answer (a previous person's score stays
    as a suggestion, ``needs_manual_grade``) — tasks and parts the submission hid
    included — and the submission's id and those parts are noted for the notebook
    (``manual_grades.note_graded``, in the course folder): a person's grades saved in
    formgrader then reach only that submission's record."""

    labs_dir = Unicode(str(REPO / "labs"), help="Folder holding the labs.").tag(config=True)
    enabled = Bool(True, help="Always on (nbconvert skips disabled preprocessors).")

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[
            NotebookNode, dict[str, Any]]:
        record = resources.get("northlab", {}).get("record")
        if record is None:
            return nb, resources
        info = resources["nbgrader"]
        lab = find_lab(Path(self.labs_dir), info["assignment"])
        manual = ([grade_id for grade_id, cell in
                   source_parts(lab.notebook_path(info["notebook"])).items() if _is_manual(cell)]
                  if lab is not None and info["notebook"] in lab.notebook_names else [])
        reset = []
        with Gradebook(info["db_url"]) as gradebook:
            for grade_id in manual:
                try:
                    grade = gradebook.find_grade(grade_id, info["notebook"],
                                                 info["assignment"], info["student"])
                except MissingEntry:
                    continue
                if grade.manual_score is not None:
                    grade.needs_manual_grade = True
                reset.append(grade_id)
            gradebook.db.commit()
        root = Path(CourseDirectory(config=self.config).root)
        path = graded_path(root, info["assignment"], info["student"], info["notebook"])
        _shared_folders(root, path.parent)
        note_graded(path, record["submission_id"], reset)
        return nb, resources


def _shared_folders(root: Path, folder: Path) -> None:
    """Make ``folder`` and its parents below ``root``, writable by the course's group
    (whichever instructor autogrades next must be able to replace the notes)."""
    for path in reversed([folder, *folder.parents]):
        if path == root or root not in path.parents:
            continue
        try:
            path.mkdir()
        except FileExistsError:
            continue
        path.chmod(0o2770)


def find_lab(labs_dir: Path, assignment: str) -> Lab | None:
    """The lab under ``labs_dir`` that is nbgrader assignment ``assignment`` (its
    ``assignment``, else its id: the hub releases labs under their id), if any."""
    labs = discover_labs(labs_dir)
    return next((lab for lab in labs if lab.assignment == assignment),
                next((lab for lab in labs if lab.id == assignment), None))


class NorthlabInstantiateTests(Preprocessor):
    """``generate_assignment`` step in place of nbgrader's InstantiateTests: the AUTOTEST
    lines of a northlab lab's notebook become the test code :mod:`graders.autotest` made
    from the lab's solution in the sandbox (the same code stock writes, with no kernel
    outside the sandbox); other assignments get nbgrader's own step."""

    labs_dir = Unicode(str(REPO / "labs"), help="Folder holding the labs.").tag(config=True)
    enabled = Bool(True, help="Always on (nbconvert skips disabled preprocessors).")

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[
            NotebookNode, dict[str, Any]]:
        from graders.autotest import expansions, has_autotests

        if not has_autotests(nb):
            return nb, resources
        info = resources["nbgrader"]
        lab = find_lab(Path(self.labs_dir), info["assignment"])
        if lab is None or info["notebook"] not in lab.notebook_names:
            from nbgrader.preprocessors import InstantiateTests

            return InstantiateTests(parent=self).preprocess(nb, resources)
        expanded = expansions(lab).get(info["notebook"], {})
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if cell.cell_type == "code" and grade_id in expanded:
                cell.source = expanded[grade_id]
                cell.pop("execution", None)
        return nb, resources


class NorthlabKernelspec(Preprocessor):
    """``generate_assignment`` step: the released notebook names its lab's track kernel
    (the only kernel a learner's JupyterLab offers); other assignments are left as they are."""

    labs_dir = Unicode(str(REPO / "labs"), help="Folder holding the labs.").tag(config=True)
    kernelspecs = Dict(
        help="Track id -> notebook kernelspec metadata (name, display_name, language)."
    ).tag(config=True)
    enabled = Bool(True, help="Always on (nbconvert skips disabled preprocessors).")

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[
            NotebookNode, dict[str, Any]]:
        lab = find_lab(Path(self.labs_dir), resources["nbgrader"]["assignment"])
        if lab is not None and lab.track in self.kernelspecs:
            nb.metadata["kernelspec"] = dict(self.kernelspecs[lab.track])
        return nb, resources


def test_titles(nb: NotebookNode) -> dict[str, str]:
    """grade_id -> the lab section a test cell belongs to: the last markdown heading above
    it (else the first line of the last markdown cell), numbered when a section has more
    than one test."""
    section, tests = "", []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown":
            lines = [line.strip() for line in cell.source.splitlines() if line.strip()]
            headings = [line.lstrip("#").strip() for line in lines if line.startswith("#")]
            section = headings[-1] if headings else (lines[0] if lines else section)
        elif meta.get("grade") and not meta.get("solution") and meta.get("grade_id"):
            tests.append((meta["grade_id"], section))
    totals, seen, titles = Counter(s for _, s in tests), Counter(), {}
    for grade_id, section in tests:
        seen[section] += 1
        several = section and totals[section] > 1
        titles[grade_id] = f"{section} ({seen[section]})" if several else section or grade_id
    return titles


class NorthlabFeedbackExporter(HTMLExporter):
    """nbgrader's feedback page, with each test named after its lab section instead of
    nbgrader's "Test cell" in the page's list of scores."""

    def from_notebook_node(self, nb: NotebookNode, resources: dict[str, Any] | None = None,
                           **kw: Any) -> tuple[str, dict[str, Any]]:
        output, resources = super().from_notebook_node(nb, resources, **kw)
        for grade_id, title in test_titles(nb).items():
            anchor = f'<a href="#{grade_id}">'
            output = output.replace(f"{anchor}Test cell</a>",
                                    f"{anchor}{html.escape(title)}</a>")
        return output, resources


class NorthlabFeedback(Preprocessor):
    """Feedback step (``GenerateFeedback``, after ``GetGrades``): what a learner receives
    never holds a lab's hidden tests or anything made from them. Every hidden region is
    removed from every cell (:func:`graders.notebooks.hidden_lines`); a test cell of the
    lab shows its source as released and, as output, only the learner-facing feedback the
    bridge wrote from the record (a failed test's message, a partial-credit score) —
    anything else (a traceback quoting a hidden line, an expected value) is dropped. A
    hidden test (a test cell with a hidden region) shows only what the release shows: no
    name, score or hint (it becomes a plain cell); the hidden tests' points are one line at
    the top of the page, in ``language`` (by default in every language of the grader's
    catalogue: nbgrader makes one page per learner and does not know the learner's language)."""

    labs_dir = Unicode(str(REPO / "labs"), help="Folder holding the labs.").tag(config=True)
    language = Unicode("", help="Language of the hidden tests' line; empty: one line per "
                       "language of the grader's catalogue.").tag(config=True)
    enabled = Bool(True, help="Always on (nbconvert skips disabled preprocessors).")

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[
            NotebookNode, dict[str, Any]]:
        from graders.release import release_notebook

        info = resources.get("nbgrader", {})
        lab = find_lab(Path(self.labs_dir), str(info.get("assignment", "")))
        released: dict[str, str] = {}
        hidden_tests: set[str] = set()
        if lab is not None and info.get("notebook") in lab.notebook_names:
            path = lab.notebook_path(info["notebook"])
            released = {cell.metadata.nbgrader["grade_id"]: cell.source
                        for cell in release_notebook(path).cells if _is_test(cell)}
            hidden_tests = {cell.metadata.nbgrader["grade_id"]
                            for cell in nbformat.read(str(path), as_version=4).cells
                            if _is_test(cell) and hidden_lines(cell.source)}
        score = max_score = 0.0
        kept = []
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            hidden = hidden_lines(cell.source)
            hidden_test = _is_test(cell) and (grade_id in hidden_tests or bool(hidden))
            if grade_id in released:
                cell.source = released[grade_id]
                hidden = hidden_lines(cell.source)
            if hidden:
                cell.source = "\n".join(line for number, line in
                                        enumerate(cell.source.splitlines(), 1)
                                        if number not in hidden)
            if cell.cell_type == "code" and (grade_id in released or hidden or _is_test(cell)):
                cell.outputs = [output for output in cell.outputs if _ours(output)]
            if hidden_test:
                meta = cell.metadata.pop("nbgrader")
                score += float(meta.get("score") or 0)
                max_score += float(meta.get("points") or 0)
                cell.outputs = []
                if not cell.source.strip():
                    continue
            kept.append(cell)
        if max_score:
            values = {"score": f"{round(score, 2):g}", "max_score": f"{round(max_score, 2):g}"}
            lines = [messages().text("feedback.hidden-total", self.language, **values)] \
                if self.language else \
                messages().all_languages("feedback.hidden-total", **values).values()
            kept.insert(0, nbformat.v4.new_markdown_cell("\n\n".join(dict.fromkeys(lines))))
        nb.cells = kept
        return nb, resources


def shows_hidden_tests(page: bytes) -> bool:
    """Whether a feedback page shows a hidden region's marker: made without
    :class:`NorthlabFeedback` (it removes every hidden line), so never for a learner."""
    text = page.decode("utf-8", "replace")
    return HIDDEN_BEGIN in text or HIDDEN_END in text


def _is_test(cell: NotebookNode) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return bool(meta.get("grade") and not meta.get("solution") and meta.get("grade_id"))


def _ours(output: NotebookNode) -> bool:
    """Whether a test cell's output is one :func:`mark_outputs` writes from the record."""
    if output.get("output_type") == "error":
        return (output.get("ename") == FAILED and
                list(output.get("traceback", [])) == [output.get("evalue")])
    if output.get("output_type") == "execute_result":
        data = output.get("data", {})
        if set(data) != {"text/plain"}:
            return False
        try:
            float(data["text/plain"])
        except (TypeError, ValueError):
            return False
        return True
    return False


def submitted_late(db_url: str | None, assignment: str, student: str) -> bool:
    """Whether nbgrader's gradebook has the submission after its due date (extensions
    included); autograde records the submission's timestamp before preprocessors run."""
    if not db_url:
        return False
    with Gradebook(db_url) as gradebook:
        try:
            return gradebook.find_submission(assignment, student).total_seconds_late > 0
        except MissingEntry:
            return False


def cell_outputs(raw: list[Any]) -> dict[int, list[NotebookNode]]:
    """cell index -> the outputs the learner's cell had in the graded run (an outcome's
    ``outputs``, cleaned again here: they are the learner's)."""
    out: dict[int, list[NotebookNode]] = {}
    for item in raw:
        if type(item) is list and len(item) == 2 and type(item[0]) is int:
            out[item[0]] = [nbformat.from_dict(o) for o in clean_outputs(item[1])]
    return out


def mark_outputs(nb: NotebookNode, record: dict[str, Any], notebook: str | None,
                 outputs: dict[int, list[NotebookNode]] | None = None) -> None:
    """Write each test cell's outcome (the record's tests of ``notebook``) as outputs
    nbgrader's ``determine_grade`` reads (parts a person grades are left to nbgrader), and
    give the other code cells the outputs they had in the graded run (``outputs``: cell
    index -> outputs) and, as nbgrader's run does, an execution count."""
    tests = {t["name"]: t for t in record["tests"]
             if t.get("notebook") == notebook and not t.get("manual")}
    count = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        if cell.source.strip():
            count += 1
            cell.execution_count = count
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        test = tests.get(grade_id) if cell.metadata.get("nbgrader", {}).get("grade") else None
        if test is None:
            cell.outputs = (outputs or {}).get(index, [])
            for output in cell.outputs:
                if output.output_type == "execute_result":
                    output.execution_count = count
            continue
        if not test["passed"]:
            cell.outputs = [nbformat.v4.new_output(
                "error", ename=FAILED, evalue=test["feedback"]["en"],
                traceback=[test["feedback"]["en"]])]
        elif test["points"] < test["max_points"]:
            cell.outputs = [nbformat.v4.new_output(
                "execute_result", data={"text/plain": repr(float(test["points"]))},
                execution_count=None)]


#: nbconvert's sanitizer of markdown sources and HTML/SVG/JS/markdown outputs (bleach)
SANITIZE = "nbconvert.preprocessors.sanitize.SanitizeHTML"


def sanitize_pages(c: Any) -> None:
    """Every notebook page rendered as HTML from config ``c`` (formgrader's grading pages,
    nbgrader's feedback) shows a learner's HTML as text: markdown cells and outputs are
    sanitized before rendering (formgrader's ``formgrade`` template renders markdown
    without nbconvert's ``sanitize_html`` filter, so that option alone is not enough)."""
    c.HTMLExporter.sanitize_html = True
    c.HTMLExporter.preprocessors = [SANITIZE]


def configure(c: Any, *, labs_dir: str | Path | None = None, outbox: str | Path | None = None,
              course: str | None = None, workers: int = 1,
              kernelspecs: dict[str, dict[str, str]] | None = None) -> None:
    """Make nbgrader autograde (CLI and formgrader) grade through the northlab sandbox.

    Call from a course's ``nbgrader_config.py`` with its config object ``c``:

    - ``labs_dir``: folder of labs (default ``<repo>/labs``); assignment ids are lab ids.
    - ``outbox``: where result records go (default ``<NORTHLAB_DATA>/outbox`` if set).
    - ``course``: course id for the records (default ``c.CourseDirectory.course_id``).
    - ``workers``: sandbox slots kept warm per lab during one autograde run.
    - ``kernelspecs``: track id -> kernelspec metadata that released notebooks name.

    It starts ``c.Autograde.sanitize_preprocessors`` with :class:`NorthlabWritable` and
    :class:`NorthlabParts` (the graded cells are the lab source's), replaces ``Execute``
    in ``c.Autograde.autograde_preprocessors`` (keeping nbgrader's other steps, so
    ``SaveAutoGrades`` still records the scores) and ends them with
    :class:`NorthlabGraded` (every part a person grades reset for, and noted with, this
    submission), and with ``kernelspecs``
    adds :class:`NorthlabKernelspec` to ``generate_assignment``, whose AUTOTEST lines are
    expanded in the sandbox (:class:`NorthlabInstantiateTests`); feedback pages hold no
    hidden test nor anything made from one (:class:`NorthlabFeedback`) and name tests
    after their lab sections (:class:`NorthlabFeedbackExporter`). Pages staff and learners
    read are sanitized (:func:`sanitize_pages`).
    """
    from nbgrader.converters.autograde import Autograde
    from nbgrader.converters.generate_assignment import GenerateAssignment
    from nbgrader.converters.generate_feedback import GenerateFeedback
    from nbgrader.preprocessors import Execute, InstantiateTests

    sanitize_pages(c)
    c.Autograde.sanitize_preprocessors = [
        NorthlabWritable, NorthlabParts,
        *Autograde.class_traits()["sanitize_preprocessors"].default()]
    steps = list(Autograde.class_traits()["autograde_preprocessors"].default())
    c.Autograde.autograde_preprocessors = [
        *(NorthlabExecute if step is Execute else step for step in steps), NorthlabGraded]
    c.GenerateFeedback.exporter_class = NorthlabFeedbackExporter
    c.GenerateFeedback.preprocessors = [
        *GenerateFeedback.class_traits()["preprocessors"].default()[:1], NorthlabFeedback,
        *GenerateFeedback.class_traits()["preprocessors"].default()[1:]]
    generate = [NorthlabInstantiateTests if step is InstantiateTests else step
                for step in GenerateAssignment.class_traits()["preprocessors"].default()]
    c.GenerateAssignment.preprocessors = [*generate, *([NorthlabKernelspec] if kernelspecs
                                                       else [])]
    if kernelspecs:
        c.NorthlabKernelspec.kernelspecs = dict(kernelspecs)
    if labs_dir is not None:
        c.NorthlabExecute.labs_dir = str(labs_dir)
        c.NorthlabKernelspec.labs_dir = str(labs_dir)
        c.NorthlabInstantiateTests.labs_dir = str(labs_dir)
        c.NorthlabParts.labs_dir = str(labs_dir)
        c.NorthlabGraded.labs_dir = str(labs_dir)
        c.NorthlabFeedback.labs_dir = str(labs_dir)
    if outbox is not None:
        c.NorthlabExecute.outbox = str(outbox)
    course_id = course or c.CourseDirectory.get("course_id") or ""
    if course_id:
        c.NorthlabExecute.course = str(course_id)
    c.NorthlabExecute.workers = int(workers)
