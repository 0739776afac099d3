"""nbgrader exchange classes that use the exchange service instead of a shared folder.

Enable them in ``nbgrader_config.py`` (the track images ship
:mod:`hub.services.exchange.nbgrader_config`)::

    c.ExchangeFactory.exchange = "hub.services.exchange.plugin.Exchange"
    c.ExchangeFactory.list = "hub.services.exchange.plugin.ExchangeList"
    ... (fetch_assignment, fetch_feedback, release_assignment, release_feedback,
         submit, collect)

Learners keep a local copy of each submission in nbgrader's cache
(``$JUPYTER_DATA_DIR/nbgrader_cache/<course>/<learner>+<assignment>+<timestamp>``) as the
default exchange does, so the Assignments tab shows their submissions and feedback.
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from jupyter_core.paths import jupyter_data_dir
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.exchange import abc
from nbgrader.utils import find_all_notebooks, ignore_patterns, parse_utc
from traitlets import Bool, Float, Unicode, default

from hub.services.exchange import archive
from hub.services.exchange.client import ExchangeClient, ServiceError
from hub.services.exchange.messages import one_line, translate
from northlab.hidden import shows_hidden_tests


class Exchange(abc.Exchange):
    """Shared settings and helpers of every exchange step."""

    url = Unicode(help="Exchange service URL (default: $NORTHLAB_EXCHANGE_URL).").tag(config=True)
    token = Unicode(help="Hub API token (default: $JUPYTERHUB_API_TOKEN).").tag(config=True)
    timeout = Float(120.0, help="Seconds to wait for the exchange service.").tag(config=True)
    cache = Unicode(help="Local cache of submissions (default: nbgrader's).").tag(config=True)
    path_includes_course = Bool(
        False, help="Fetch into <course>/<assignment> instead of <assignment>."
    ).tag(config=True)

    @default("url")
    def _default_url(self) -> str:
        return os.environ.get("NORTHLAB_EXCHANGE_URL", "")

    @default("token")
    def _default_token(self) -> str:
        return os.environ.get("JUPYTERHUB_API_TOKEN", "")

    @default("cache")
    def _default_cache(self) -> str:
        return os.path.join(jupyter_data_dir(), "nbgrader_cache")

    _client: ExchangeClient | None = None

    def call(self, method: str, *path: str, raw: bool = False, **kwargs: Any) -> Any:
        """One service request; a refusal becomes nbgrader's ExchangeError (one sentence)."""
        try:
            if self._client is None:
                self._client = ExchangeClient(self.url, self.token, self.timeout)
            if raw:
                return self._client.request(method, path, kwargs.get("params"), kwargs.get("body"))
            return self._client.json(method, *path, **kwargs)
        except ServiceError as exc:
            self.fail(str(exc))

    def fail_in_all(self, message_id: str, **values: object) -> None:
        """Fail with the message in every language (learners read these)."""
        self.fail(one_line(translate(message_id, **values)))

    def require_course(self) -> str:
        if not self.coursedir.course_id:
            self.fail("No course id specified. Re-run with --course flag.")
        return self.coursedir.course_id

    def one_student(self) -> str:
        """The learner chosen with --student, or "" for all (nbgrader's default is "*")."""
        student = self.coursedir.student_id
        return "" if student in ("", "*") else student

    def local_assignment_dir(self, course: str, assignment: str) -> str:
        root = os.path.join(course, assignment) if self.path_includes_course else assignment
        return os.path.abspath(os.path.join(self.assignment_dir, root))

    def ignore(self) -> Any:
        return ignore_patterns(
            exclude=self.coursedir.ignore,
            include=self.coursedir.include,
            max_file_size=self.coursedir.max_file_size,
            log=self.log,
        )

    def pack(self, folder: str) -> bytes:
        size = sum(
            os.path.getsize(os.path.join(root, name))
            for root, _, names in os.walk(folder)
            for name in names
        )
        if size > 1000 * self.coursedir.max_dir_size:
            self.fail_in_all(
                "plugin.too_big", folder=folder, size=size, limit=1000 * self.coursedir.max_dir_size
            )
        return archive.pack(Path(folder), ignore=self.ignore())

    def unpack_to(self, data: bytes, destination: str) -> None:
        try:
            archive.unpack(data, Path(destination))
        except archive.ArchiveError as exc:
            self.fail(str(exc))

    def init_src(self) -> None:
        """Nothing to prepare by default."""

    def init_dest(self) -> None:
        """Nothing to prepare by default."""

    def copy_files(self) -> None:
        """Nothing to transfer by default."""


class ExchangeReleaseAssignment(Exchange, abc.ExchangeReleaseAssignment):
    """Instructor: upload ``release/<assignment>`` to the service."""

    def init_src(self) -> None:
        cd = self.coursedir
        self.src_path = cd.format_path(cd.release_directory, ".", cd.assignment_id)
        if not os.path.isdir(self.src_path):
            source = cd.format_path(cd.source_directory, ".", cd.assignment_id)
            if os.path.isdir(source):
                self.fail(
                    f"Assignment found in '{source}' but not '{self.src_path}', "
                    "run `nbgrader generate_assignment` first."
                )
            self.fail(f"Assignment not found at: {self.src_path}")

    def copy_files(self) -> None:
        course, assignment = self.require_course(), self.coursedir.assignment_id
        self.call(
            "PUT",
            "assignments",
            course,
            assignment,
            params={"force": "1" if self.force else ""},
            body=self.pack(self.src_path),
        )
        self.log.info("Released as: %s %s", course, assignment)


class ExchangeFetchAssignment(Exchange, abc.ExchangeFetchAssignment):
    """Learner: download a release into the assignment folder."""

    def init_src(self) -> None:
        course, assignment = self.require_course(), self.coursedir.assignment_id
        self.data = self.call("GET", "assignments", course, assignment, "archive", raw=True)

    def init_dest(self) -> None:
        cd = self.coursedir
        self.dest_path = self.local_assignment_dir(cd.course_id, cd.assignment_id)
        if os.path.isdir(self.dest_path) and not self.replace_missing_files:
            self.fail_in_all("plugin.already_fetched", assignment=cd.assignment_id)

    def copy_files(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            self.unpack_to(self.data, tmp)
            if os.path.isdir(self.dest_path):
                _copy_missing(Path(tmp), Path(self.dest_path), self.log)
            else:
                shutil.copytree(tmp, self.dest_path)
        self.log.info("Fetched as: %s %s", self.coursedir.course_id, self.coursedir.assignment_id)


class ExchangeSubmit(Exchange, abc.ExchangeSubmit):
    """Learner: upload the assignment folder; the service stamps the time."""

    def init_src(self) -> None:
        cd = self.coursedir
        self.src_path = self.local_assignment_dir(cd.course_id, cd.assignment_id)
        cd.assignment_id = os.path.basename(self.src_path)
        if not os.path.isdir(self.src_path):
            self.fail_in_all("plugin.not_found", path=self.src_path)

    def init_dest(self) -> None:
        course, assignment = self.require_course(), self.coursedir.assignment_id
        released = self.call("GET", "assignments", params={"course_id": course})
        matches = [r for r in released if r["assignment_id"] == assignment]
        if not matches:
            self.fail_in_all("exchange.not_released", assignment=assignment, course=course)
        self.released_notebooks = matches[0]["notebooks"]

    def check_notebooks(self) -> None:
        submitted = sorted(Path(n).stem for n in find_all_notebooks(self.src_path))
        missing = sorted(set(self.released_notebooks) - set(submitted))
        extra = sorted(set(submitted) - set(self.released_notebooks))
        if missing and self.strict:
            self.fail_in_all(
                "plugin.missing_notebooks",
                assignment=self.coursedir.assignment_id,
                notebooks=", ".join(missing),
            )
        if missing or extra:
            self.log.warning(
                "Possible missing notebooks (%s) and/or extra notebooks (%s) submitted",
                ", ".join(missing) or "-",
                ", ".join(extra) or "-",
            )

    def copy_files(self) -> None:
        self.check_notebooks()
        course, assignment = self.coursedir.course_id, self.coursedir.assignment_id
        meta = self.call("POST", "submissions", course, assignment, body=self.pack(self.src_path))
        self.timestamp = meta["timestamp"]
        cache_path = os.path.join(
            self.cache, course, f"{meta['student_id']}+{assignment}+{meta['timestamp']}"
        )
        shutil.copytree(self.src_path, cache_path, ignore=self.ignore())
        Path(cache_path, "timestamp.txt").write_text(meta["timestamp"])
        Path(cache_path, "submission_id.txt").write_text(meta["submission_id"])
        self.log.info("Submitted as: %s %s %s", course, assignment, meta["timestamp"])


class ExchangeCollect(Exchange, abc.ExchangeCollect):
    """Instructor: download each learner's latest submission into ``submitted/``."""

    def init_src(self) -> None:
        course, assignment = self.require_course(), self.coursedir.assignment_id
        rows = self.call(
            "GET",
            "submissions",
            course,
            params={"assignment_id": assignment, "student_id": self.one_student()},
        )
        by_learner: dict[str, list[dict]] = defaultdict(list)
        for row in rows:
            row["parsed"] = parse_utc(row["timestamp"])
            by_learner[row["student_id"]].append(row)
        duedate = None
        if self.before_duedate:
            with Gradebook(self.coursedir.db_url, course) as gb:
                try:
                    duedate = gb.find_assignment(assignment).duedate
                except MissingEntry:
                    duedate = None
        self.src_records = []
        for records in by_learner.values():
            records.sort(key=lambda r: r["parsed"], reverse=True)
            on_time = [r for r in records if duedate is not None and r["parsed"] <= duedate]
            self.src_records.append(on_time[0] if on_time else records[0])

    def copy_files(self) -> None:
        cd = self.coursedir
        if not self.src_records:
            self.log.warning(
                "No submissions of '%s' for course '%s' to collect", cd.assignment_id, cd.course_id
            )
        for rec in self.src_records:
            learner = rec["student_id"]
            dest = cd.format_path(cd.submitted_directory, learner, cd.assignment_id)
            if os.path.isdir(dest):
                existing = cd.get_existing_timestamp(dest)
                newer = existing is None or rec["parsed"] > existing
                if not (
                    (self.update and newer) or (self.before_duedate and existing != rec["parsed"])
                ):
                    self.log.info(
                        "Submission already exists, use --update to update: %s %s",
                        learner,
                        cd.assignment_id,
                    )
                    continue
                self.log.info("Updating submission: %s %s", learner, cd.assignment_id)
            else:
                self.log.info("Collecting submission: %s %s", learner, cd.assignment_id)
            data = self.call(
                "GET",
                "submissions",
                cd.course_id,
                cd.assignment_id,
                learner,
                rec["submission_id"],
                "archive",
                raw=True,
            )
            self.collect_one(rec, data, dest)

    def collect_one(self, rec: dict, data: bytes, dest: str) -> None:
        """Unpack one learner's submission beside ``dest``, then put it in place; one that
        cannot be unpacked is skipped (logged with its learner), the earlier copy kept."""
        learner = rec["student_id"]
        Path(dest).parent.mkdir(parents=True, exist_ok=True)
        staged = tempfile.mkdtemp(prefix=".collect-", dir=Path(dest).parent)
        try:
            archive.unpack(data, Path(staged, "work"))
            Path(staged, "work", "timestamp.txt").write_text(rec["timestamp"])
            Path(staged, "work", "submission_id.txt").write_text(rec["submission_id"])
            if os.path.isdir(dest):
                shutil.rmtree(dest)
            os.rename(Path(staged, "work"), dest)
        except (ValueError, OSError) as exc:  # ArchiveError is a ValueError
            self.log.error("Submission %s of %s to %s not collected (the others are): %s",
                           rec["submission_id"], learner, self.coursedir.assignment_id, exc)
        finally:
            shutil.rmtree(staged, ignore_errors=True)


class ExchangeReleaseFeedback(Exchange, abc.ExchangeReleaseFeedback):
    """Instructor: upload ``feedback/<learner>/<assignment>/*.html`` to the service."""

    def init_src(self) -> None:
        cd = self.coursedir
        self.src_path = cd.format_path(
            cd.feedback_directory, cd.student_id or "*", cd.assignment_id
        )

    def copy_files(self) -> None:
        cd = self.coursedir
        course = self.require_course()
        excluded = set(filter(None, (cd.student_id_exclude or "").split(",")))
        for folder in sorted(glob.glob(self.src_path)):
            learner = Path(folder).parent.name
            stamp_file = Path(folder, "timestamp.txt")
            if learner in excluded or not stamp_file.exists():
                continue
            timestamp = stamp_file.read_text().strip()
            id_file = Path(
                cd.format_path(cd.submitted_directory, learner, cd.assignment_id),
                "submission_id.txt",
            )
            submission = id_file.read_text().strip() if id_file.exists() else ""
            if not submission:
                rows = self.call(
                    "GET",
                    "submissions",
                    course,
                    params={"assignment_id": cd.assignment_id, "student_id": learner},
                )
                submission = next(
                    (r["submission_id"] for r in rows if r["timestamp"] == timestamp), ""
                )
            if not submission:
                self.log.warning("No submission of %s at %s; feedback skipped", learner, timestamp)
                continue
            pages = sorted(Path(folder).glob("*.html"))
            leaking = [page.stem for page in pages if shows_hidden_tests(page.read_bytes())]
            if leaking:
                self.log.error(one_line(translate("exchange.feedback_hidden", learner=learner,
                                                  notebook=", ".join(leaking))))
                continue
            for html in pages:
                self.call(
                    "PUT",
                    "feedback",
                    course,
                    cd.assignment_id,
                    learner,
                    submission,
                    html.stem,
                    body=html.read_bytes(),
                )
                self.log.info(
                    "Releasing feedback for student '%s' on assignment '%s/%s/%s' (%s)",
                    learner,
                    course,
                    cd.assignment_id,
                    html.stem,
                    timestamp,
                )


class ExchangeFetchFeedback(Exchange, abc.ExchangeFetchFeedback):
    """Learner: download released feedback into ``<assignment>/feedback/<timestamp>/``."""

    def init_src(self) -> None:
        course = self.require_course()
        self.entries = self.call(
            "GET", "feedback", course, params={"assignment_id": self.coursedir.assignment_id}
        )

    def init_dest(self) -> None:
        cd = self.coursedir
        self.dest_path = os.path.join(
            self.local_assignment_dir(cd.course_id, cd.assignment_id), "feedback"
        )

    def copy_files(self) -> None:
        if not self.entries:
            self.log.warning(
                one_line(
                    translate("plugin.no_feedback_yet", assignment=self.coursedir.assignment_id)
                )
            )
        for e in self.entries:
            html = self.call(
                "GET",
                "feedback",
                e["course_id"],
                e["assignment_id"],
                e["student_id"],
                e["submission_id"],
                e["notebook_id"],
                raw=True,
            )
            target = Path(self.dest_path, e["timestamp"], f"{e['notebook_id']}.html")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(html)
            self.log.info("Fetched feedback: %s", target)


class ExchangeList(Exchange, abc.ExchangeList):
    """Released assignments (outbound), own submissions (cached) or all (inbound)."""

    def list_files(self) -> list[dict]:
        if self.inbound:
            return self._inbound()
        if self.cached:
            return self._cached()
        return self._released()

    def remove_files(self) -> list[dict]:
        if self.inbound:
            self.fail("Removing submissions from the exchange service is not supported.")
        if self.cached:
            listed = self._cached()
            for item in listed:
                for sub in item["submissions"]:
                    shutil.rmtree(sub["path"], ignore_errors=True)
            return listed
        listed = self._released()
        for info in listed:
            self.call("DELETE", "assignments", info["course_id"], info["assignment_id"])
            info["status"] = "removed"
        return listed

    def _released(self) -> list[dict]:
        cd = self.coursedir
        rows = self.call("GET", "assignments", params={"course_id": cd.course_id or ""})
        result = []
        for row in rows:
            if cd.assignment_id and row["assignment_id"] != cd.assignment_id:
                continue
            info = {"course_id": row["course_id"], "assignment_id": row["assignment_id"]}
            local = self.local_assignment_dir(row["course_id"], row["assignment_id"])
            if os.path.isdir(local):
                info["status"], info["path"] = "fetched", local
                names = sorted(glob.glob(os.path.join(local, "*.ipynb")))
                info["notebooks"] = [
                    {"notebook_id": Path(n).stem, "path": os.path.abspath(n)} for n in names
                ]
            else:
                info["status"], info["path"] = (
                    "released",
                    f"{row['course_id']}/{row['assignment_id']}",
                )
                info["notebooks"] = [
                    {"notebook_id": nb, "path": f"{nb}.ipynb"} for nb in row["notebooks"]
                ]
            result.append(info)
            self.log.info(
                "%s %s%s",
                info["course_id"],
                info["assignment_id"],
                " (already downloaded)" if info["status"] == "fetched" else "",
            )
        return result

    def _inbound(self) -> list[dict]:
        cd = self.coursedir
        course = self.require_course()
        rows = self.call(
            "GET",
            "submissions",
            course,
            params={"assignment_id": cd.assignment_id or "", "student_id": self.one_student()},
        )
        grouped: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for row in rows:
            info = {
                "course_id": course,
                "student_id": row["student_id"],
                "assignment_id": row["assignment_id"],
                "timestamp": row["timestamp"],
                "status": "submitted",
                "path": row["submission_id"],
                "notebooks": [{"notebook_id": nb} for nb in row["notebooks"]],
            }
            grouped[(row["student_id"], row["assignment_id"])].append(info)
        return [
            {
                "course_id": course,
                "student_id": learner,
                "assignment_id": assignment,
                "status": "submitted",
                "submissions": subs,
            }
            for (learner, assignment), subs in sorted(grouped.items())
        ]

    def _cached(self) -> list[dict]:
        cd = self.coursedir
        pattern = os.path.join(self.cache, cd.course_id or "*", f"*+{cd.assignment_id or '*'}+*")
        feedback: dict[str, list[dict]] = {}
        grouped: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
        for path in sorted(glob.glob(pattern)):
            course = Path(path).parent.name
            learner, assignment, timestamp = Path(path).name.split("+", 2)
            if course not in feedback:
                try:
                    feedback[course] = self.call("GET", "feedback", course)
                except abc.ExchangeError:
                    feedback[course] = []
            info = self._submission_info(
                path, course, learner, assignment, timestamp, feedback[course]
            )
            grouped[(course, learner, assignment)].append(info)
        result = []
        for (course, learner, assignment), subs in sorted(grouped.items()):
            subs.sort(key=lambda s: s["timestamp"])
            result.append(
                {
                    "course_id": course,
                    "student_id": learner,
                    "assignment_id": assignment,
                    "status": "submitted",
                    "submissions": subs,
                }
            )
        return result

    def _submission_info(
        self,
        path: str,
        course: str,
        learner: str,
        assignment: str,
        timestamp: str,
        feedback: list[dict],
    ) -> dict:
        local_dir = self.local_assignment_dir(course, assignment)
        local_feedback_dir = os.path.join(local_dir, "feedback", timestamp)
        notebooks = []
        for nb_path in sorted(glob.glob(os.path.join(path, "*.ipynb"))):
            nb_id = Path(nb_path).stem
            local = os.path.join(local_feedback_dir, f"{nb_id}.html")
            remote = next(
                (
                    f
                    for f in feedback
                    if f["assignment_id"] == assignment
                    and f["timestamp"] == timestamp
                    and f["notebook_id"] == nb_id
                ),
                None,
            )
            has_local = os.path.isfile(local)
            notebooks.append(
                {
                    "notebook_id": nb_id,
                    "path": os.path.abspath(nb_path),
                    "has_local_feedback": has_local,
                    "has_exchange_feedback": remote is not None,
                    "local_feedback_path": local if has_local else None,
                    "feedback_updated": bool(
                        has_local and remote and _md5(local) != remote["checksum"]
                    ),
                }
            )
        has_local = bool(notebooks) and all(n["has_local_feedback"] for n in notebooks)
        return {
            "course_id": course,
            "student_id": learner,
            "assignment_id": assignment,
            "timestamp": timestamp,
            "status": "submitted",
            "path": path,
            "notebooks": notebooks,
            "has_local_feedback": has_local,
            "has_exchange_feedback": bool(notebooks)
            and all(n["has_exchange_feedback"] for n in notebooks),
            "feedback_updated": any(n["feedback_updated"] for n in notebooks),
            "local_feedback_path": local_feedback_dir if has_local else None,
        }


def _md5(path: str) -> str:
    return hashlib.md5(Path(path).read_bytes()).hexdigest()


def _copy_missing(src: Path, dest: Path, log: Any) -> None:
    """Copy files of ``src`` absent from ``dest`` (nbgrader's replace_missing_files)."""
    for path in sorted(src.rglob("*")):
        target = dest / path.relative_to(src)
        if target.exists():
            continue
        log.warning("Replacing missing file '%s'", target)
        if path.is_dir():
            target.mkdir(parents=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
