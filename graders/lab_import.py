"""``northlab lab import``: an nbgrader course's source assignment becomes a northlab lab.

One lab = one nbgrader assignment. ``COURSE/source/<assignment>/`` (its notebooks and data
files, minus what nbgrader itself ignores) is copied to ``<into>/<track>/<id>/source/`` and
a ``lab.toml`` is drafted: the id from the assignment name, the title and summary from the
notebooks' first heading and paragraph, ``points`` = nbgrader's maximum score (every grade
and task cell), English only, with comments saying what the author fills in. The lab is
built in a temporary folder next to its destination and moved in whole, so a failed import
leaves nothing behind and an existing lab is replaced only with ``force``.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import tempfile
import tomllib
import unicodedata
from dataclasses import dataclass, fields
from pathlib import Path

from graders.autotest import FILENAME
from graders.lab import ASSIGNMENT, LAB_ID, TRACKS, LabError, Limits, lab_dirs, load_lab
from graders.notebooks import NotebookError, cells_of

#: what nbgrader's ``CourseDirectory.ignore`` leaves out when it copies an assignment
IGNORED = (".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback")
SUMMARY_CHARS = 300


class ImportRefused(LabError):
    """An assignment that cannot be imported; the message says why in one sentence."""


@dataclass(frozen=True)
class Imported:
    """What ``import_assignment`` made."""

    path: Path
    notebooks: tuple[str, ...]
    files: int  #: files copied, notebooks included
    points: float


def lab_id_for(assignment: str) -> str:
    """A valid lab id from an assignment name: ASCII, lowercase, runs of anything else
    turned into one hyphen (``Problem_Set_1`` -> ``problem-set-1``)."""
    ascii_name = unicodedata.normalize("NFKD", assignment).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def _toml_string(text: str) -> str:
    """``text`` as a TOML basic string (JSON escapes are TOML escapes; DEL must be one)."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _ignored(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in IGNORED)


def _assignment_files(folder: Path) -> list[Path]:
    """Files of the assignment (relative), as nbgrader would copy them; symlinks refused."""
    files: list[Path] = []
    pending = [folder]
    while pending:
        current = pending.pop()
        for entry in sorted(current.iterdir()):
            if _ignored(entry.name):
                continue
            if entry.is_symlink():
                raise ImportRefused(f"{entry}: is a symbolic link; copy the file it points to "
                                   "into the assignment instead")
            if entry.is_dir():
                pending.append(entry)
            elif entry.is_file():
                files.append(entry.relative_to(folder))
    return sorted(files)


def _points(cells: list[dict]) -> float:
    """nbgrader's maximum score of one notebook: the points of its grade and task cells."""
    total = 0.0
    for cell in cells:
        nbg = cell["nbgrader"]
        if nbg.get("grade") or nbg.get("task"):
            try:
                total += float(nbg.get("points", 0) or 0)
            except (TypeError, ValueError):
                raise NotebookError(f"cell {nbg.get('grade_id')!r} has points that are not a "
                                    "number") from None
    return total


def _plain(markdown: str) -> str:
    """Markdown reduced to one line of text (images, links, emphasis and math marks gone)."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", markdown)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[*_`]+", "", text)
    return " ".join(text.split())


def _title_and_summary(notebooks: list[list[dict]], fallback: str) -> tuple[str, str]:
    """The first level-1 heading (else the assignment name) and the first paragraph of
    text (else a sentence naming the assignment), both from the notebooks in order."""
    title = summary = ""
    for cells in notebooks:
        for cell in cells:
            if cell["type"] != "markdown":
                continue
            for block in re.split(r"\n\s*\n", cell["source"]):
                block = block.strip()
                heading = re.match(r"^(#+)\s+(.*)", block)
                if heading:
                    if not title and len(heading.group(1)) == 1:
                        title = _plain(heading.group(2))
                    rest = block.split("\n", 1)
                    block = rest[1].strip() if len(rest) > 1 else ""
                if not summary and block and not block.startswith(("```", "---", "***", "|")):
                    summary = _plain(block)
    if len(summary) > SUMMARY_CHARS:
        summary = summary[:SUMMARY_CHARS].rsplit(" ", 1)[0] + "…"
    return (title or fallback,
            summary or f"The nbgrader assignment {fallback}, imported as a northlab lab.")


def _next_order(track_dir: Path) -> int:
    orders = []
    for folder in lab_dirs(track_dir) if track_dir.is_dir() else []:
        try:
            orders.append(load_lab(folder).order)
        except LabError:
            continue
    return max(orders, default=0) + 1


def draft_lab_toml(*, lab_id: str, assignment: str, course: Path, track: str, order: int,
                   points: dict[str, float], title: str, summary: str,
                   credential: str) -> str:
    """The drafted ``lab.toml``: every key the author may set, commented."""
    total = sum(points.values())
    per_notebook = ", ".join(f"{name}: {value:g}" for name, value in points.items())
    limits = "\n".join(f"# {f.name} = {f.default}" for f in fields(Limits))
    return f"""\
# Drafted by `northlab lab import` from the nbgrader assignment {_toml_string(assignment)} of
#     {course}
# Fill in the TODOs, then run `northlab check` on this folder. Every key: docs/labs.md.

id = "{lab_id}"  # = the folder name: lowercase letters, digits and hyphens
# the nbgrader assignment: source/<assignment>/, submitted/<learner>/<assignment>/
assignment = {_toml_string(assignment)}
track = "{track}"
kind = "notebook"  # one lab = one nbgrader assignment; every notebook in source/ is part of it
order = {order}  # its place in the track (1 = first)
points = {total:g}  # nbgrader's maximum score: every grade and task cell ({per_notebook})
floor = 0  # the most the blank release may score (`northlab check` verifies it)
estimated_minutes = 60  # TODO: how long a learner needs
prerequisites = []  # lab ids to finish first, e.g. ["password-hashing"]
# uncomment once this lab counts towards the track's achievement (achievement.toml's id):
# credential = {_toml_string(credential)}

# What learners read. English alone is allowed: `northlab check` warns about every missing
# French text (here, and each test cell's feedback: cell metadata
# "northlab": {{"feedback": {{"en": "...", "fr": "..."}}}}). Once everything is translated,
# declare the languages so that a missing translation fails the check:
# languages = ["en", "fr"]
# TODO: check the title (from the first heading) and summary (from the first paragraph)
title = {{ en = {_toml_string(title)} }}
summary = {{ en = {_toml_string(summary)} }}

# Resource limits for one submission; defaults shown, uncomment to change:
# [limits]
{limits}
"""


def import_assignment(course: Path, assignment: str, *, into: Path, track: str | None = None,
                      lab_id: str | None = None, force: bool = False) -> Imported:
    """Make the lab ``<into>/<track>/<id>/`` from ``course/source/<assignment>/``.

    ``into`` may be a track folder itself (``labs/robotics``), which then names the track.
    Raises :class:`ImportRefused` (one sentence) for a missing course or assignment, an
    assignment without notebooks, an unknown track or an existing lab (unless ``force``).
    """
    course, into = Path(course), Path(into)
    if not course.is_dir():
        raise ImportRefused(f"{course}: no such folder")
    source = course / "source"
    if not source.is_dir():
        raise ImportRefused(f"{course}: no source/ folder; is this an nbgrader course folder?")
    folder = source / assignment
    if "/" in assignment or assignment in ("", ".", "..") or not folder.is_dir():
        known = sorted(p.name for p in source.iterdir() if p.is_dir() and not _ignored(p.name))
        raise ImportRefused(f"{folder}: no such assignment (assignments in {source}: "
                           f"{', '.join(known) or 'none'})")
    if not ASSIGNMENT.match(assignment) or assignment.endswith("."):
        raise ImportRefused(f"'{assignment}' is not an assignment name northlab can use "
                            "(letters, digits, '_', '.', '-'); rename its folder in source/")
    if into.name in TRACKS:  # a track folder names the track
        if track not in (None, into.name):
            raise ImportRefused(f"{into} is the {into.name} track's folder, but --track says "
                                f"{track}")
        track, into = into.name, into.parent
    if track not in TRACKS:
        raise ImportRefused(f"name the lab's track with --track (one of {', '.join(TRACKS)})")
    if lab_id is not None and not LAB_ID.match(lab_id):
        raise ImportRefused(f"--id {lab_id!r}: a lab id is lowercase letters, digits and "
                            "hyphens")
    lab_id = lab_id or lab_id_for(assignment)
    if not LAB_ID.match(lab_id):
        raise ImportRefused(f"cannot make a lab id from '{assignment}'; give one with --id")
    target = into / track / lab_id

    files = _assignment_files(folder)
    notebooks = [f for f in files if f.suffix == ".ipynb" and f.parent == Path(".")]
    if not notebooks:
        raise ImportRefused(f"{folder}: no notebooks in this assignment")
    cells: dict[str, list[dict]] = {}
    for name in notebooks:
        try:
            cells[name.stem] = cells_of((folder / name).read_bytes())
        except (NotebookError, OSError) as exc:
            raise ImportRefused(f"{folder / name}: cannot read this notebook: {exc}") from None
    try:
        points = {name: _points(nb) for name, nb in cells.items()}
    except NotebookError as exc:
        raise ImportRefused(f"{folder}: {exc}") from None
    if sum(points.values()) <= 0:
        raise ImportRefused(f"{folder}: no grade cells with points (nbgrader would score this "
                           "assignment out of 0)")

    if into.is_dir():
        for other in lab_dirs(into):
            if other.name == lab_id and other.resolve() != target.resolve():
                raise ImportRefused(f"a lab with id {lab_id} already exists in {other}; "
                                   "choose another id with --id")
    if target.exists() and not force:
        raise ImportRefused(f"{target} already exists; pass --force to replace it")

    title, summary = _title_and_summary(list(cells.values()), assignment)
    order = _order(target) if target.exists() else _next_order(into / track)
    toml = draft_lab_toml(lab_id=lab_id, assignment=assignment, course=course.resolve(),
                          track=track, order=order, points=points, title=title,
                          summary=summary, credential=_achievement(into / track))
    target.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{lab_id}-import-", dir=target.parent))
    try:
        draft = building / lab_id
        for name in files:
            (draft / "source" / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(folder / name, draft / "source" / name)
        (draft / "lab.toml").write_text(toml, encoding="utf-8")
        if (course / FILENAME).is_file() and not (folder / FILENAME).is_file():
            shutil.copy2(course / FILENAME, draft / FILENAME)  # the course's AUTOTEST templates
        try:
            load_lab(draft)
        except LabError as exc:
            raise ImportRefused("the drafted lab would not load: " + str(exc).replace(
                str(draft), str(target))) from None
        replaced = building / "replaced"
        if target.exists():
            target.rename(replaced)
        try:
            draft.rename(target)
        except OSError:
            if replaced.exists():  # the old lab back where it was, not deleted below
                replaced.rename(target)
            raise
    finally:
        shutil.rmtree(building)
    return Imported(path=target, notebooks=tuple(cells), files=len(files),
                    points=sum(points.values()))


def _achievement(track_dir: Path) -> str:
    """The id in the track's ``achievement.toml``, or a placeholder."""
    try:
        achievement = tomllib.loads((track_dir / "achievement.toml").read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return "<achievement id>"
    found = achievement.get("id")
    return found if isinstance(found, str) and found else "<achievement id>"


def _order(lab: Path) -> int:
    """The ``order`` of the lab being replaced (kept), or 1 if it cannot be read."""
    try:
        return load_lab(lab).order
    except LabError:
        return 1
