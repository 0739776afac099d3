"""The lab model: load and validate ``lab.toml``, discover labs under a folder.

A lab lives in ``labs/<track>/<lab>/`` (the format for authors: ``docs/labs.md``): ``lab.toml``,
``source/`` (nbgrader source assignment), and for code labs ``solution/`` and ``grader/``.
A notebook lab is one nbgrader assignment: every ``source/*.ipynb`` is one of its notebooks
(our own labs have one, ``<id>.ipynb``); ``assignment`` names it in nbgrader's folders.
"""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from graders.autotest import problems as autotest_problems

#: The one list of tracks (ids, in display order); the hub, gradebook and images read it.
TRACKS = ("cybersecurity", "ai-data", "robotics", "gamedev", "foundations")
KINDS = ("notebook", "code")
LAB_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
#: nbgrader assignment names the exchange accepts (nbgrader itself refuses only "+")
ASSIGNMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
LANGUAGE = re.compile(r"^[a-z]{2,3}$")
#: the languages northlab's own pages speak: ``northlab check`` warns about those a lab
#: lacks until the lab declares its ``languages`` (then the declared ones are required)
PROGRAM_LANGUAGES = ("en", "fr")
LOG = logging.getLogger("northlab.labs")


class LabError(ValueError):
    """A lab folder or ``lab.toml`` that cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission; each can be set in the lab's ``[limits]`` table."""

    wall_seconds: float = 60  #: wall-clock time for the whole submission
    cpu_seconds: float = 60  #: CPU seconds of the learner's process
    memory_mb: int = 1024  #: address space the learner's code may add
    processes: int = 32  #: processes/threads of the sandbox user (RLIMIT_NPROC)
    output_kb: int = 512  #: text the learner's code may print
    disk_mb: int = 64  #: largest file and size of the private working copy
    open_files: int = 256  #: open file descriptors (RLIMIT_NOFILE)

    @classmethod
    def from_table(cls, table: dict[str, Any], where: str) -> Limits:
        known = {f.name: f.type for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in table.items():
            if key not in known:
                raise LabError(f"{where}: unknown limit '{key}' (known: {', '.join(known)})")
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise LabError(f"{where}: limit '{key}' must be a positive number")
            values[key] = value
        return cls(**values)


#: Which record is the grade of a submission graded on submit (docs/labs.md, [feedback]).
RECORD_SOURCES = ("submit", "collect")


@dataclass(frozen=True)
class Feedback:
    """Instant feedback, the lab's ``[feedback]`` table: grade each submission as it arrives."""

    on_submit: bool = False  #: grade on submit (the hub's feedback service)
    attempts: int = 3  #: submissions graded on submit per learner (0: no limit)
    #: "submit": the instant grade is the submission's record; "collect": only the
    #: instructor's collect + autograde makes records (instant grades are shown, not sent)
    record: str = "submit"

    @classmethod
    def from_table(cls, table: Any, where: str) -> Feedback:
        if not isinstance(table, dict):
            raise LabError(f"{where}: must be a table")
        unknown = set(table) - {f.name for f in fields(cls)}
        if unknown:
            raise LabError(f"{where}: unknown key '{sorted(unknown)[0]}' (known: on_submit, "
                           "attempts, record)")
        feedback = cls(**table)
        if not isinstance(feedback.on_submit, bool):
            raise LabError(f"{where}: 'on_submit' must be true or false")
        if isinstance(feedback.attempts, bool) or not isinstance(feedback.attempts, int) \
                or feedback.attempts < 0:
            raise LabError(f"{where}: 'attempts' must be a whole number ≥ 0 (0: no limit)")
        if feedback.record not in RECORD_SOURCES:
            raise LabError(f"{where}: 'record' must be 'submit' or 'collect'")
        return feedback


@dataclass(frozen=True)
class Lab:
    """One validated lab."""

    path: Path
    id: str
    track: str
    kind: str
    order: int
    points: float
    title: dict[str, str]
    summary: dict[str, str]
    floor: float = 0
    estimated_minutes: int = 60
    credential: str | None = None
    prerequisites: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    code_files: tuple[str, ...] = ()
    #: ``languages = [...]``: every text and test hint must exist in each; () = undeclared
    languages: tuple[str, ...] = ()
    #: nbgrader assignment name (``source/<assignment>/``, ``submitted/<learner>/<assignment>/``)
    assignment: str = ""
    #: notebook labs: the assignment's notebooks (``source/<name>.ipynb``), sorted
    notebook_names: tuple[str, ...] = ()
    feedback: Feedback = field(default_factory=Feedback)

    @property
    def source_dir(self) -> Path:
        return self.path / "source"

    @property
    def solution_dir(self) -> Path:
        return self.path / "solution"

    @property
    def grader_dir(self) -> Path:
        return self.path / "grader"

    @property
    def notebook(self) -> Path:
        """The nbgrader source notebook named like the lab (instructions notebook for code
        labs); multi-notebook labs have :attr:`notebook_names` instead."""
        return self.source_dir / f"{self.id}.ipynb"

    @property
    def named_notebooks(self) -> bool:
        """Whether records name each test's notebook: notebook labs other than one notebook
        named like the lab."""
        return self.kind == "notebook" and self.notebook_names != (self.id,)

    def notebook_path(self, name: str) -> Path:
        return self.source_dir / f"{name}.ipynb"


def _text(data: dict[str, Any], key: str, where: str,
          languages: tuple[str, ...]) -> dict[str, str]:
    value = data.get(key)
    if not isinstance(value, dict) or not all(
        isinstance(text, str) and text.strip() for text in value.values()
    ) or "en" not in value:
        raise LabError(f'{where}: {key} must be a table of texts with at least English, '
                       f'e.g. {key} = {{ en = "...", fr = "..." }}')
    missing = [lang for lang in languages if lang not in value]
    if missing:
        raise LabError(f"{where}: {key} has no {', '.join(missing)} text, which 'languages' "
                       "declares")
    return dict(value)


def _languages(data: dict[str, Any], where: str) -> tuple[str, ...]:
    value = data.get("languages", [])
    if not isinstance(value, list) or not all(
            isinstance(lang, str) and LANGUAGE.match(lang) for lang in value) or (
            value and "en" not in value):
        raise LabError(f'{where}: \'languages\' must be a list of language codes that '
                       'includes English, e.g. languages = ["en", "fr"]')
    return tuple(dict.fromkeys(value))


def _number(data: dict[str, Any], key: str, where: str, default: Any = None,
            minimum: float = 0) -> Any:
    value = data.get(key, default)
    if value is None:
        raise LabError(f"{where}: '{key}' is required")
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise LabError(f"{where}: '{key}' must be a number >= {minimum}")
    return value


def load_lab(path: Path) -> Lab:
    """Load and validate the lab in folder ``path`` (or its ``lab.toml``)."""
    path = Path(path)
    if path.name == "lab.toml":
        path = path.parent
    where = str(path / "lab.toml")
    try:
        data = tomllib.loads((path / "lab.toml").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LabError(f"{path}: no lab.toml here; is this a lab folder?") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LabError(f"{where}: cannot read: {exc}") from None

    lab_id = data.get("id")
    if not isinstance(lab_id, str) or not LAB_ID.match(lab_id):
        raise LabError(f"{where}: 'id' must be lowercase letters, digits and hyphens")
    if lab_id != path.resolve().name:
        raise LabError(f"{where}: id '{lab_id}' must equal the folder name '{path.name}'")
    if data.get("track") not in TRACKS:
        raise LabError(f"{where}: 'track' must be one of {', '.join(TRACKS)}")
    if data.get("kind") not in KINDS:
        raise LabError(f"{where}: 'kind' must be 'notebook' or 'code'")
    prerequisites = data.get("prerequisites", [])
    if not isinstance(prerequisites, list) or not all(
        isinstance(p, str) and LAB_ID.match(p) for p in prerequisites
    ):
        raise LabError(f"{where}: 'prerequisites' must be a list of lab ids")
    credential = data.get("credential")
    if credential is not None and not isinstance(credential, str):
        raise LabError(f"{where}: 'credential' must be an achievement id (text)")
    limits = data.get("limits", {})
    if not isinstance(limits, dict):
        raise LabError(f"{where}: [limits] must be a table")
    languages = _languages(data, where)
    assignment = data.get("assignment", lab_id)
    if not isinstance(assignment, str) or not ASSIGNMENT.match(assignment) or \
            assignment.endswith("."):
        raise LabError(f"{where}: 'assignment' must be an nbgrader assignment name (letters, "
                       "digits, '_', '.', '-')")
    code_files: tuple[str, ...] = ()
    if data["kind"] == "code":
        files = data.get("code", {}).get("files")
        if not isinstance(files, list) or not files or not all(
            isinstance(f, str) and re.match(r"^[A-Za-z0-9_][A-Za-z0-9_./-]*\.py$", f)
            and ".." not in f for f in files
        ):
            raise LabError(f"{where}: code labs need [code] files = [\"name.py\", ...]")
        code_files = tuple(files)

    lab = Lab(
        path=path.resolve(),
        id=lab_id,
        track=data["track"],
        kind=data["kind"],
        order=int(_number(data, "order", where, minimum=1)),
        points=_number(data, "points", where, minimum=0),
        floor=_number(data, "floor", where, default=0),
        estimated_minutes=int(_number(data, "estimated_minutes", where, default=60)),
        credential=credential,
        prerequisites=tuple(prerequisites),
        title=_text(data, "title", where, languages),
        summary=_text(data, "summary", where, languages),
        limits=Limits.from_table(limits, f"{where} [limits]"),
        code_files=code_files,
        languages=languages,
        assignment=assignment,
        notebook_names=_notebooks(path / "source") if data["kind"] == "notebook" else (),
        feedback=Feedback.from_table(data.get("feedback", {}), f"{where} [feedback]"),
    )
    if lab.points <= 0:
        raise LabError(f"{where}: 'points' must be more than 0")
    if lab.floor > lab.points:
        raise LabError(f"{where}: 'floor' cannot be larger than 'points'")
    if lab.kind == "notebook" and not lab.notebook_names:
        raise LabError(f"{where}: no notebook in source/ (source/{lab.id}.ipynb, or the "
                       "notebooks of the nbgrader assignment)")
    for name in lab.notebook_names:
        for problem in autotest_problems(lab.notebook_path(name), lab.path):
            raise LabError(f"{where}: {problem}")
    if lab.kind == "code" and not lab.notebook.is_file():
        raise LabError(f"{where}: missing notebook source/{lab.id}.ipynb")
    if lab.kind == "code":
        for folder in (lab.solution_dir, lab.grader_dir):
            if not folder.is_dir():
                raise LabError(f"{where}: code labs need a {folder.name}/ folder")
        for name in lab.code_files:
            if not (lab.solution_dir / name).is_file():
                raise LabError(f"{where}: solution/{name} is missing")
    return lab


def _notebooks(source: Path) -> tuple[str, ...]:
    """The assignment's notebooks: ``source/*.ipynb`` (as nbgrader finds them), sorted."""
    if not source.is_dir():
        return ()
    return tuple(sorted(p.stem for p in source.glob("*.ipynb")
                        if p.is_file() and not p.name.startswith(".")))


def lab_dirs(folder: Path) -> list[Path]:
    """Folders holding a ``lab.toml`` under ``folder`` (``folder`` itself if it is a lab)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise LabError(f"{folder}: no such folder")
    if (folder / "lab.toml").is_file():
        return [folder]
    return [p.parent for p in sorted(folder.rglob("lab.toml"))
            if not any(part.startswith(".") for part in p.relative_to(folder).parts)]


def lab_tables(folder: Path, pattern: str = "*/*/lab.toml") -> list[tuple[Path, dict[str, Any]]]:
    """Each ``lab.toml`` under ``folder`` matching ``pattern`` (default: ``<track>/<lab>/``),
    as written, not validated: for services that only need a lab's title or names. One that
    cannot be read (not UTF-8, not TOML) is logged and left out (``northlab check``
    reports it), never the others."""
    tables = []
    for path in sorted(Path(folder).glob(pattern)):
        try:
            tables.append((path, tomllib.loads(path.read_text(encoding="utf-8"))))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            LOG.warning("lab %s left out: cannot read it: %s", path, exc)
    return tables


def discover_labs(folder: Path) -> list[Lab]:
    """Every lab under ``folder``, validated, sorted by track/order; raises on the first bad one."""
    labs = [load_lab(path) for path in lab_dirs(folder)]
    ids = [lab.id for lab in labs]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise LabError(f"{folder}: lab ids must be unique, found twice: {', '.join(duplicates)}")
    return sorted(labs, key=lambda lab: (lab.track, lab.order, lab.id))
