"""A person's grades, from nbgrader's gradebook into the result record (manual grading).

A record may carry parts a person grades (tests with ``manual: true``: nbgrader manually
graded answers and tasks); until graded they are ``pending`` and counted in
``pending_points``. When an instructor grades them in formgrader, nbgrader writes
``manual_score`` (and comments) into the course's ``gradebook.db``. :func:`with_grades`
makes the updated record of the same submission (points awarded, capped at the part's
points, pending cleared), and :func:`sync` queues updates through the outbox, which
delivers them like any result; the services replace the stored record and keep who/when.

Trust rules (graders/README.md, "Manual grades"):

- A grade is bound to a record by the submission's *identity*, never by a time, and part
  by part: the nbgrader bridge notes, per notebook, the ``submission_id`` whose grading
  nbgrader's gradebook holds and every part a person grades (from the lab's source
  notebook) whose grade it reset for that submission (:func:`note_graded`, in the course
  folder, which learners cannot write). A person's grade of a part applies only to the
  record of exactly that id, and only if the note lists the part; no note, another id or
  an unlisted part: stale (a person's grade counts only for the submission they saw).
- Only records the outbox *delivered* are re-read, and only delivered copies written by
  the user running the sync (the deliverer; the outbox writes each delivered copy itself,
  see graders/outbox.py): a file in ``sent/`` anyone else wrote is refused, so a group
  that may queue results cannot have the (root) sync re-queue a record it forged there.
- Extra credit: nbgrader adds ``extra_credit`` to a part's score and lets it exceed the
  part's points; a record's part never holds more than its ``max_points`` (a credential's
  percent stays within 100), so extra credit is cut at the part's points and the sync
  reports every part it cut (``capped``).

Triggers: ``northlab manual sync COURSE_DIR [LAB ...]``, and on the hub the grader
service's delivery loop (``northlab outbox deliver --watch --sync-manual COURSES_ROOT``),
whenever a course's gradebook.db changes.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from graders.lab import lab_tables
from graders.record import messages
from graders.submissions import LEARNER
from northlab.results import InvalidResult, has_manual_parts, pending_points, validate_result
from northlab.settings import SiteSettings, load

#: Longest comment of a person carried into a record (characters; the rest is cut).
MAX_COMMENT = 2000
#: Longest note of a graded submission read (bytes: its id and its parts' grade_ids).
MAX_NOTE = 64 * 1024


def default_labs_root() -> Path:
    """The site's labs folder (the labs_root setting, which the hub hands its services)."""
    return load(SiteSettings).labs_root


def assignment_names(labs_root: Path) -> dict[str, str]:
    """Lab id -> its nbgrader assignment name (lab.toml ``assignment``, default the id); a
    lab.toml that cannot be read is left out (``northlab check`` reports it)."""
    names = {}
    for path, data in lab_tables(labs_root):
        lab_id = str(data.get("id", path.parent.name))
        names[lab_id] = str(data.get("assignment", lab_id))
    return names


@dataclass(frozen=True)
class PersonGrade:
    """What an instructor gave one manually graded part."""

    points: float
    comment: str = ""


def with_grades(record: dict[str, Any], grades: dict[tuple[str | None, str], PersonGrade],
                *, graded_at: datetime) -> dict[str, Any] | None:
    """``record`` with a person's ``grades`` (by (notebook, test name)) in its manual parts,
    or None when they change nothing. Points are capped at each part's ``max_points``."""
    tests, score_change, notebook_change = [], 0.0, {}
    for test in record["tests"]:
        grade = grades.get((test.get("notebook"), test["name"])) if test.get("manual") else None
        if grade is not None:
            most = float(test["max_points"])
            points = min(most, max(0.0, grade.points))
            change = points - float(test["points"])
            score_change += change
            name = test.get("notebook")
            notebook_change[name] = notebook_change.get(name, 0.0) + change
            message = "manual.commented" if grade.comment.strip() else "manual.graded"
            test = {**test, "points": points, "passed": points >= most - 1e-9,
                    "feedback": messages().all_languages(message, comment=grade.comment.strip())}
            test.pop("pending", None)
        tests.append(test)
    if tests == record["tests"]:
        return None
    updated = {**record, "tests": tests}
    updated["score"] = min(float(record["max_score"]), max(0.0, record["score"] + score_change))
    updated["pending_points"] = sum(float(t["max_points"]) for t in tests if t.get("pending"))
    if "notebooks" in record:
        updated["notebooks"] = [_notebook_total(nb, tests, notebook_change.get(nb["name"], 0.0))
                                for nb in record["notebooks"]]
    updated["graded_at"] = graded_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return validate_result(updated)


def _notebook_total(notebook: dict[str, Any], tests: list[dict[str, Any]],
                    change: float) -> dict[str, Any]:
    pending = sum(float(t["max_points"]) for t in tests
                  if t.get("pending") and t.get("notebook") == notebook["name"])
    score = min(float(notebook["max_score"]), max(0.0, notebook["score"] + change))
    return {**notebook, "score": score, "pending_points": pending}


def graded_path(course_dir: Path, assignment: str, learner: str, notebook: str) -> Path:
    """Where the bridge notes which submission the gradebook's grades of ``learner``'s
    ``notebook`` belong to (its ``submission_id``, written after ``SaveAutoGrades``)."""
    return Path(course_dir) / "northlab" / "graded" / assignment / learner / notebook


def note_graded(path: Path, submission_id: str, parts: Iterable[str]) -> None:
    """Write the note at ``path`` (:func:`graded_path`): the submission id, then each part a
    person grades whose grade nbgrader's gradebook reset for that submission, one a line."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text("\n".join([submission_id, *parts]) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def graded_note(course_dir: Path, assignment: str, learner: str,
                notebook: str) -> tuple[str, frozenset[str]] | None:
    """The submission id :func:`graded_path` notes and the parts reset for it (see
    :func:`note_graded`), None when there is no note to trust."""
    if not all(LEARNER.match(name) and name not in (".", "..")
               for name in (assignment, learner, notebook)):
        return None
    try:
        fd = os.open(graded_path(course_dir, assignment, learner, notebook),
                     os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        lines = handle.read(MAX_NOTE).decode("utf-8", "replace").split("\n")
    submission_id = lines[0].strip()
    return (submission_id, frozenset(filter(None, map(str.strip, lines[1:])))
            ) if submission_id else None


def graded_submission(course_dir: Path, assignment: str, learner: str,
                      notebook: str) -> str | None:
    """The submission id :func:`graded_path` notes, None when there is none to trust."""
    note = graded_note(course_dir, assignment, learner, notebook)
    return note[0] if note else None


def gradebook_grades(gradebook: Any, record: dict[str, Any], assignment: str,
                     course_dir: Path) -> dict[tuple[str | None, str], PersonGrade] | None:
    """The grades a person gave the record's manual parts in an open nbgrader ``Gradebook``
    of the course folder ``course_dir`` (student = learner), by (notebook, test name);
    empty when there are none, None when any of them is not bound to the record's
    submission: the note of its notebook (:func:`graded_note`) names another submission, or
    does not list the part as reset for it (a person's grade counts only for the exact
    submission, and answer, the person saw)."""
    grades = {}
    for key, (notebook, grade) in _person_grades(gradebook, record, assignment).items():
        note = graded_note(course_dir, assignment, record["learner"], notebook)
        if note is None or note[0] != record["submission_id"] or key[1] not in note[1]:
            return None
        grades[key] = grade
    return grades


def _person_grades(gradebook: Any, record: dict[str, Any], assignment: str) -> dict[
        tuple[str | None, str], tuple[str, PersonGrade]]:
    """The grades (see :func:`gradebook_grades`), each with the gradebook notebook it is of."""
    from nbgrader.api import MissingEntry

    try:
        submission = gradebook.find_submission(assignment, record["learner"])
    except MissingEntry:
        return {}
    notebooks = [nb.name for nb in submission.notebooks]
    grades = {}
    for test in record["tests"]:
        if not test.get("manual"):
            continue
        notebook = test.get("notebook") or (notebooks[0] if len(notebooks) == 1 else None)
        if notebook is None:
            continue
        try:
            grade = gradebook.find_grade(test["name"], notebook, assignment, record["learner"])
        except MissingEntry:
            continue
        if grade.manual_score is None or grade.needs_manual_grade:
            continue
        try:  # the person's own words (nbgrader's automatic comments are English only)
            comment = gradebook.find_comment(test["name"], notebook, assignment,
                                             record["learner"]).manual_comment or ""
        except MissingEntry:
            comment = ""
        grades[(test.get("notebook"), test["name"])] = notebook, PersonGrade(
            float(grade.manual_score) + float(grade.extra_credit or 0.0), comment[:MAX_COMMENT])
    return grades


@dataclass
class SyncReport:
    """What one :func:`sync` pass found."""

    updated: list[str] = field(default_factory=list)  # "learner/lab" queued again
    awaiting: list[str] = field(default_factory=list)  # still has ungraded parts
    #: graded, but the gradebook's grading is not of this record's submission
    stale: list[str] = field(default_factory=list)
    #: parts whose grade (extra credit included) was cut at the part's points
    capped: list[str] = field(default_factory=list)
    #: delivered copies not written by the deliverer (never re-read)
    refused: list[str] = field(default_factory=list)


def _delivered_copy(path: Path) -> tuple[dict | None, str | None]:
    """A delivered copy read as the sync may trust it: a regular file (no symlink, one
    link) written by the user running the sync; else (None, why not)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        return None, f"cannot be opened ({exc.strerror})"
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
            return None, "not a plain file"
        if info.st_uid != os.geteuid():
            return None, f"written by uid {info.st_uid}, not by the deliverer"
        try:
            record = json.loads(handle.read())
        except (OSError, ValueError):
            return None, None  # damaged: nothing to update
    return (record, None) if isinstance(record, dict) else (None, None)


def delivered_records(outbox: Any, course: str, labs: Iterable[str] = (),
                      refused: list[str] | None = None) -> list[dict]:
    """Records with manual parts of ``course`` (and of ``labs``, ids, if given) the outbox
    delivered, skipping any whose newer copy is still waiting to be delivered; files in
    ``sent/`` the deliverer did not write are left out (named in ``refused``)."""
    wanted = set(labs)
    found = []
    for path in sorted((outbox.folder / "sent").glob("*.json")):
        record, distrust = _delivered_copy(path)
        if distrust and refused is not None:
            refused.append(f"{path.name}: {distrust}")
        if (record is None or record.get("course") != course
                or (wanted and record.get("lab") not in wanted)
                or not isinstance(record.get("tests"), list) or not has_manual_parts(record)):
            continue
        if (outbox.folder / "pending" / path.name).exists():
            continue
        found.append(record)
    return found


def _capped(record: dict[str, Any], grades: dict[tuple[str | None, str], PersonGrade]
            ) -> list[str]:
    """Parts whose grade is above their points (nbgrader's extra credit), as shown."""
    return [f"{record['learner']}/{record['lab']}: {test['name']} {grade.points:g} > "
            f"{float(test['max_points']):g}"
            for test in record["tests"] if test.get("manual")
            for grade in [grades.get((test.get("notebook"), test["name"]))]
            if grade is not None and grade.points > float(test["max_points"])]


def sync(outbox: Any, gradebook_db: Path, course: str, labs: Iterable[str] = (), *,
         assignments: dict[str, str] | None = None,
         clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> SyncReport:
    """Queue an updated record for every delivered record of ``course`` (``labs``: ids,
    default all) whose manual parts a person graded since, in the gradebook of the course
    folder holding ``gradebook_db``; ``assignments`` maps lab ids to other nbgrader
    assignment names. Idempotent: unchanged grades queue nothing."""
    from nbgrader.api import Gradebook
    from sqlalchemy.engine import URL

    assignments = assignments or {}
    report = SyncReport()
    records = delivered_records(outbox, course, labs, report.refused)
    if not records:
        return report
    # read-only: the instructors' gradebook is theirs (and nbgrader's) to write; the path
    # quoted for SQLite's file: URI, then the whole for SQLAlchemy (a folder "Cours #2")
    read_only = URL.create("sqlite", database=f"file:{quote(str(gradebook_db))}",
                           query={"mode": "ro", "uri": "true"}).render_as_string()
    with Gradebook(read_only) as gradebook:
        for record in records:
            who = f"{record['learner']}/{record['lab']}"
            assignment = assignments.get(record["lab"], record["lab"])
            grades = gradebook_grades(gradebook, record, assignment, gradebook_db.parent)
            if grades is None:
                report.stale.append(who)
                continue
            updated = with_grades(record, grades, graded_at=clock()) if grades else None
            if updated is not None:
                outbox.put(updated, replace=True)
                report.updated.append(who)
                report.capped.extend(_capped(record, grades))
            if pending_points(updated or record) > 0:
                report.awaiting.append(who)
    return report


def _stamp(gradebook_db: Path) -> tuple[float, ...]:
    """Modification times of a SQLite file and its journals (changes when anyone writes)."""
    stamps = []
    for suffix in ("", "-wal", "-journal"):
        try:
            stamps.append(gradebook_db.with_name(gradebook_db.name + suffix).stat().st_mtime)
        except OSError:
            stamps.append(0.0)
    return tuple(stamps)


class CourseWatcher:
    """Runs :func:`sync` for each course under a courses root whose gradebook.db changed
    since the last pass (every course on the first pass), or for which a record waiting in
    the outbox at its last sync has left ``pending/`` since: a grade saved before its
    record was delivered (the sync only updates delivered records) is carried in then."""

    def __init__(self, outbox: Any, courses_root: Path, labs_root: Path) -> None:
        self.outbox = outbox
        self.courses_root = Path(courses_root)
        self.labs_root = Path(labs_root)
        self.seen: dict[Path, tuple[float, ...]] = {}
        #: the outbox's pending keys when each course was last synced
        self.waiting: dict[Path, set[str]] = {}

    def run(self) -> dict[str, SyncReport]:
        reports = {}
        pending = set(self.outbox.pending())  # before any sync reads what was delivered
        for gradebook_db in sorted(self.courses_root.glob("*/gradebook.db")):
            stamp = _stamp(gradebook_db)
            delivered = self.waiting.get(gradebook_db, set()) - pending
            if self.seen.get(gradebook_db) == stamp and not delivered:
                continue
            course = gradebook_db.parent.name
            self.seen[gradebook_db] = stamp  # a failure is retried at the next change
            self.waiting[gradebook_db] = pending
            try:
                reports[course] = sync(self.outbox, gradebook_db, course,
                                       assignments=assignment_names(self.labs_root))
                for copy in reports[course].refused:
                    print(f"northlab: outbox/sent/{copy}: not re-read", flush=True)
            except Exception as exc:  # a broken gradebook must never stop delivery
                print(f"northlab: manual grades of {course} not synced: {_reason(exc)}",
                      flush=True)
        return reports


def _reason(exc: Exception) -> str:
    """One line about a failure (SQLAlchemy's errors add the SQL and a link)."""
    return str(getattr(exc, "orig", None) or exc).splitlines()[0]


# -- CLI verbs ------------------------------------------------------------------------------


def cmd_sync(args: argparse.Namespace) -> int:
    from graders.outbox import Outbox, default_folder
    from northlab.cli import CommandError

    course_dir = Path(args.course_dir)
    gradebook_db = course_dir / "gradebook.db"
    if not gradebook_db.is_file():
        raise CommandError(f"no nbgrader gradebook at {gradebook_db} (is {course_dir} the "
                           "course folder, where nbgrader_config.py is?)")
    course = args.course or course_dir.resolve().name
    outbox = Outbox(args.outbox or default_folder())
    assignments = assignment_names(args.labs_root or default_labs_root())
    by_assignment = {name: lab for lab, name in assignments.items()}
    labs = [by_assignment.get(name, name) for name in args.labs]
    try:
        report = sync(outbox, gradebook_db, course, labs, assignments=assignments)
    except InvalidResult as exc:
        raise CommandError(f"an updated record is not valid: {exc}") from exc
    except Exception as exc:  # sqlalchemy/nbgrader errors on a damaged gradebook
        raise CommandError(f"cannot read the gradebook {gradebook_db}: {_reason(exc)}") from exc
    print(f"manual grades of {course}: {len(report.updated)} record(s) updated and queued, "
          f"{len(report.awaiting)} still awaiting grading, {len(report.stale)} graded in "
          "the gradebook for another submission (resubmitted: grade the new one)")
    for who in report.updated:
        print(f"  updated: {who}")
    for who in report.stale:
        print(f"  resubmitted: {who}")
    for part in report.capped:
        print(f"  extra credit cut at the part's points: {part}")
    for copy in report.refused:
        print(f"  not re-read (outbox/sent/{copy})")
    if report.updated:
        print("run `northlab outbox deliver` to send them now (the hub's grader does it "
              "within seconds)")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "manual", help="carry grades a person gave in formgrader into the results",
        description="Manual grading: grades instructors give in formgrader (nbgrader's "
                    "gradebook.db) update the result records awaiting them.")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    text = ("queue updated records for the submissions of a course whose manually graded "
            "parts were graded (idempotent)")
    p = verbs.add_parser("sync", help=text, description=text)
    p.add_argument("course_dir", metavar="COURSE_DIR",
                   help="the nbgrader course folder (holding gradebook.db)")
    p.add_argument("labs", metavar="LAB", nargs="*",
                   help="only these labs (lab ids or nbgrader assignment names); default: all")
    p.add_argument("--course", help="course id in the records (default: the folder's name)")
    p.add_argument("--outbox", type=Path, default=None,
                   help="outbox folder (default: <NORTHLAB_DATA>/outbox)")
    p.add_argument("--labs-root", type=Path, default=None,
                   help="labs folder, for labs whose nbgrader assignment has another name "
                        "(default: the labs_root setting, NORTHLAB_LABS_ROOT)")
    p.set_defaults(func=cmd_sync)
