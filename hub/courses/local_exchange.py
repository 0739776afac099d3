"""nbgrader's file-system exchange without world-writable folders.

nbgrader's default exchange wants its root mode 0777 and lets any user create course
folders. Here northlab prepares each course's exchange folders once, as root
(:func:`hub.courses.folders.ensure_exchange`), and these subclasses only check them:

- ``exchange/``                    root, 0755: not writable by anyone else.
- ``exchange/<course>/``           root:nl-<cohort>, 0750: only the cohort (and instructors).
- ``exchange/<course>/outbound``   root:ni-<course>, 2775: the course's instructors release.
- ``exchange/<course>/inbound``    root:ni-<course>, 3773: learners drop, cannot list,
                                   rename or delete others' (sticky).
- ``exchange/<course>/feedback``   root:ni-<course>, 2771.

A submission's folders are made 0770 (group ni-<course>) instead of nbgrader's 0777.
The learner owns their inbound folder, so its name, its ``timestamp.txt`` and its files'
mtimes are theirs to write: collect dates each submission by the kernel's change times
(:func:`arrived`) instead.
``exchange/<course>/tracks.json`` (written when northlab releases a lab) maps lab ids to
tracks, so a learner's Assignments list shows the labs of the track they started.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import stat
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from nbgrader.exchange.default import (
    ExchangeCollect,
    ExchangeFetchAssignment,
    ExchangeFetchFeedback,
    ExchangeList,
    ExchangeReleaseAssignment,
    ExchangeReleaseFeedback,
    ExchangeSubmit,
)
from nbgrader.utils import check_directory
from traitlets import Bool, Unicode

from graders.submissions import MAX_DEPTH, MAX_ENTRIES, SubmissionError
from hub.services.exchange.tracks import lab_tracks
from hub.services.feedback.snapshot import Replaced, copy_submission, open_folder


class _PreparedRoot:
    """Check the exchange root instead of creating or chmod-ing it."""

    def ensure_root(self) -> None:
        if not check_directory(self.root, read=True, execute=True):
            self.fail(f"The exchange folder {self.root} is missing; ask your instructor.")

    def ensure_directory(self, path: str, mode: int) -> None:
        if not os.path.isdir(path):
            self.fail(
                f"The exchange folder {path} is missing: run `northlab cohort add` for this "
                "course."
            )


class NorthlabReleaseAssignment(_PreparedRoot, ExchangeReleaseAssignment):
    """Release into a prepared course outbound."""


class NorthlabReleaseFeedback(_PreparedRoot, ExchangeReleaseFeedback):
    """Release feedback into a prepared course feedback folder; a learner's feedback page
    that shows hidden tests (made without the course's northlab config) is not released."""

    def copy_files(self) -> None:
        from northlab.hidden import shows_hidden_tests

        leaking = {Path(page).parents[1].name
                   for page in glob.glob(os.path.join(self.src_path, "*.html"))
                   if shows_hidden_tests(Path(page).read_bytes())}
        for learner in sorted(leaking):
            self.log.error("Feedback of %s not released: it shows hidden tests; run "
                           "`nbgrader generate_feedback --force` in the course, then "
                           "release again.", learner)
        excluded = self.coursedir.student_id_exclude
        self.coursedir.student_id_exclude = ",".join(
            sorted(set(filter(None, excluded.split(","))) | leaking))
        try:
            super().copy_files()
        finally:
            self.coursedir.student_id_exclude = excluded


class NorthlabFetchAssignment(_PreparedRoot, ExchangeFetchAssignment):
    """Fetch from a prepared exchange."""


class NorthlabFetchFeedback(_PreparedRoot, ExchangeFetchFeedback):
    """Fetch feedback from a prepared exchange."""


class NorthlabList(_PreparedRoot, ExchangeList):
    """List a prepared exchange (courses the user cannot enter are skipped); released labs
    of other tracks are left out when ``track`` is set."""

    track = Unicode("", help="Only list released labs of this track (empty: all).").tag(
        config=True
    )

    def parse_assignments(self) -> list[dict]:
        assignments = super().parse_assignments()
        if not self.track or self.inbound or self.cached:
            return assignments
        tracks: dict[str, dict[str, str]] = {}
        kept = []
        for info in assignments:
            course = info["course_id"]
            if course not in tracks:
                tracks[course] = lab_tracks(os.path.join(self.root, course))
            if info["status"] != "released" or tracks[course].get(
                info["assignment_id"], self.track
            ) == self.track:
                kept.append(info)
        return kept


#: nbgrader's timestamp.txt format, in UTC
STAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW


def arrived(folder: int) -> datetime:
    """When the submission under open folder ``folder`` last changed, by the kernel: the
    latest change time (ctime) of the folder and of everything in it, links not followed
    (naive UTC, to the microsecond, as nbgrader compares times). Only root can set a ctime
    and it only moves forward, so no name, file content or ``touch -d`` makes a submission
    look earlier. More than the submission caps raise ``SubmissionError``."""
    counts = {"entries": 0}
    seconds, ns = divmod(_latest_change(folder, 0, counts), 10**9)
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None, microsecond=ns // 1000)


def _latest_change(folder: int, depth: int, counts: dict[str, int]) -> int:
    if depth > MAX_DEPTH:
        raise SubmissionError("too-large", f"folders nested deeper than {MAX_DEPTH}")
    latest = 0
    with os.scandir(folder) as entries:  # closed: rewound for the next reader
        for entry in entries:
            counts["entries"] += 1
            if counts["entries"] > MAX_ENTRIES:
                raise SubmissionError("too-large", f"more than {MAX_ENTRIES} entries")
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue  # gone since the scan (its removal changed the folder's ctime)
            latest = max(latest, info.st_ctime_ns)
            if stat.S_ISDIR(info.st_mode):
                try:
                    inner = os.open(entry.name, _DIR, dir_fd=folder)
                except OSError:
                    continue  # replaced by a link or gone since the scan
                try:
                    latest = max(latest, _latest_change(inner, depth + 1, counts))
                finally:
                    os.close(inner)
    return max(latest, os.fstat(folder).st_ctime_ns)  # after the scan: any removal during it


class NorthlabCollect(_PreparedRoot, ExchangeCollect):
    """Collect from a prepared inbound, each submission from a private copy taken through
    handles on the learner's own folder (:mod:`hub.services.feedback.snapshot`): a link put
    in its place or inside it is never followed (the instructor could read the lab's
    solutions through it).

    An inbound entry is learner X's submission only if its name is ``X+<lab>+...`` and it is
    a folder (not a link) owned by X's uid. Anything else (a file, a link, a fifo, another
    user's folder, a name for no learner) is skipped with a log line: it is never dated,
    chosen or collected for anyone, so it cannot hide or delete X's work.

    A submission's time is when it arrived (:func:`arrived`), not the time in its name: that
    time picks the latest submission (on time, with ``--before-duedate``) and is written to
    the collected ``timestamp.txt``, over the learner's own."""

    check_owner = Bool(False, help="Off: nbgrader's owner check follows links, so an entry "
                       "swapped for a dangling link after listing would end the collect; "
                       "do_copy checks the owner through a handle instead.")

    def init_src(self) -> None:
        super().init_src()
        self.src_records = [record for record in self.src_records
                            if record["username"] is not None]

    def _path_to_record(self, path: str) -> dict:
        """The entry's record; one named for no one (``username`` None, dropped by
        :meth:`init_src`) unless it is the named learner's own folder."""
        filename = os.path.basename(path)
        try:
            parts = filename.rsplit("+", 3)
            if len(parts) < 3 or parts[1] != self.coursedir.assignment_id:
                raise _NotASubmission(
                    f"not a name of a submission of {self.coursedir.assignment_id}")
            learner, folder = _open_own_folder(path)
        except _NotASubmission as exc:
            self.log.warning("Skipped %s: %s.", path, exc)
            return {"username": None, "filename": filename, "timestamp": datetime.min}
        try:
            when = arrived(folder)
        except SubmissionError:  # too large to date: do_copy refuses it too
            when = _collector_now()
        finally:
            os.close(folder)
        return {"username": learner, "filename": filename, "timestamp": when}

    def do_copy(self, src: str, dest: str, log=None) -> None:
        with tempfile.TemporaryDirectory() as private:
            copy = Path(private) / "copy"
            try:
                _, folder = _open_own_folder(src)
            except _NotASubmission as exc:  # replaced since it was listed
                self.log.error("Not collected: %s: %s.", src, exc)
                return
            uid = os.fstat(folder).st_uid
            try:
                copy_submission(folder, copy, uid)
                when = arrived(folder)
            except SubmissionError as exc:
                self.log.error("Not collected: %s: %s.", src, exc)
                return
            finally:
                os.close(folder)
            stamp = copy / "timestamp.txt"
            if stamp.is_dir():
                shutil.rmtree(stamp)
            stamp.write_text(when.strftime(STAMP_FORMAT))
            super().do_copy(str(copy), dest, log)


class _NotASubmission(ValueError):
    """An inbound entry that is no learner's submission (the reason is its message)."""


def _open_own_folder(path: str) -> tuple[str, int]:
    """The learner inbound entry ``path``'s name claims (``<learner>+<lab>+...``) and an open
    handle on it, if it is that learner's own folder (not a link); else
    :class:`_NotASubmission`."""
    learner = os.path.basename(path).rsplit("+", 3)[0]
    try:
        uid = pwd.getpwnam(learner).pw_uid
    except KeyError:
        raise _NotASubmission(f"no learner is named {learner!r}") from None
    try:
        return learner, open_folder(None, path, uid)
    except Replaced:
        raise _NotASubmission(f"not a folder of {learner}") from None


def _collector_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class NorthlabSubmit(_PreparedRoot, ExchangeSubmit):
    """Submit, then close the submission to everyone but its owner and instructors.

    The submission folder's group is the course's instructors, ni-<course> (inherited from
    inbound); its folders become 0770, so the files' own read bits matter only to those two.
    """

    def copy_files(self) -> None:
        super().copy_files()
        dest = os.path.join(self.inbound_path, self.assignment_filename)
        for folder, _dirs, files in os.walk(dest):
            os.chmod(folder, 0o770)
            for name in files:
                os.chmod(os.path.join(folder, name), 0o644)


FACTORY = {
    "release_assignment": NorthlabReleaseAssignment,
    "release_feedback": NorthlabReleaseFeedback,
    "fetch_assignment": NorthlabFetchAssignment,
    "fetch_feedback": NorthlabFetchFeedback,
    "list": NorthlabList,
    "collect": NorthlabCollect,
    "submit": NorthlabSubmit,
}


def configure_exchange(c, root: str) -> None:
    """Point nbgrader config ``c`` at the exchange ``root`` and these classes."""
    c.Exchange.root = root
    for trait, cls in FACTORY.items():
        setattr(c.ExchangeFactory, trait, f"{cls.__module__}.{cls.__qualname__}")
