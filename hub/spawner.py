"""Local mode: each learner's JupyterLab is a process running as their own Unix user.

:class:`NorthlabSpawner` is JupyterHub's ``LocalProcessSpawner`` plus:

- the Unix account is created on demand (:func:`hub.people.accounts.ensure_user`) with home
  ``<data_root>/home/<name>`` (0700) and Unix groups mirroring the hub groups;
- an instructor's formgrader and ``~/courses/`` links cover the courses they teach (hub
  groups ``instructors-<id>``);
- a spawn form with the four tracks (:mod:`hub.tracks`) that sets the default kernel,
  environment and working folder;
- the single-user config from ``hub/singleuser/`` (nbgrader, gzip, page config), and the
  server started through :mod:`hub.userserver`;
- with ``fork_server_socket`` set, the server is forked from the warm fork-server
  (:mod:`hub.forkserver`) instead, and started as a new process when that fails;
- on both start paths the server's process is held by a pidfd
  (:mod:`hub.forkserver.process`): polled and signalled through it, never by its process
  id. After a hub restart the stored id is adopted only when the process still is the one
  that started (same start time, learner's uid); otherwise the server counts as stopped
  and nothing is signalled (a server whose process is gone or unprovable is forgotten);
- on both start paths ``start`` returns once the server listens
  (:meth:`~hub.forkserver.process.ServerProcess.listening`), so JupyterHub's first check of
  it succeeds; one that ends while starting fails the start at once.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import sys
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner, set_user_setuid
from jupyterhub.utils import random_port
from traitlets import Unicode

from hub.courses.folders import enroll
from hub.forkserver.client import ForkFailed, fork_server
from hub.forkserver.process import ServerProcess
from hub.pages.track_form import TrackOptions
from hub.people.accounts import (
    INSTRUCTORS_GROUP,
    AccountError,
    cohort_unix_group,
    course_instructors_unix_group,
    ensure_user,
    private_ancestor,
)
from hub.tracks import SHARE_DIR, SINGLEUSER_CONFIG_DIR
from northlab.groups import INSTRUCTORS, cohort_of_group, courses_taught


class NorthlabSpawner(TrackOptions, LocalProcessSpawner):
    """LocalProcessSpawner with on-demand Unix users, track profiles and nbgrader wiring."""

    home_root = Unicode(
        help="Folder holding learners' homes (<data_root>/home); each home is 0700."
    ).tag(config=True)
    exchange_root = Unicode(help="nbgrader exchange root (<data_root>/exchange).").tag(
        config=True
    )
    courses_root = Unicode(help="nbgrader course roots (<data_root>/courses).").tag(config=True)
    fork_server_socket = Unicode(
        help="Control socket of the fork-server (hub.forkserver); empty: every server "
        "starts as a new process."
    ).tag(config=True)
    #: the server's process (pidfd); None before a start, and after a hub restart until
    #: :meth:`server_process` adopts the stored one
    process: ServerProcess | None = None
    #: the server process's start time (clock ticks after boot), stored with its pid
    started: int = 0

    @property
    def hub_groups(self) -> list[str]:
        return sorted(g.name for g in self.user.groups)

    @property
    def cohorts(self) -> list[str]:
        """Cohorts this person learns in (hub groups ``cohort-<id>``)."""
        return [c for c in map(cohort_of_group, self.hub_groups) if c is not None]

    def taught_courses(self) -> list[str]:
        """Courses with a course root this person teaches (hub groups ``instructors-<id>``)."""
        root = Path(self.courses_root)
        return [c for c in courses_taught(self.hub_groups) if (root / c).is_dir()]

    @property
    def is_instructor(self) -> bool:
        return INSTRUCTORS in self.hub_groups

    @property
    def role(self) -> str:
        """``instructor`` or ``learner``: picks hub/singleuser/<role>/ config."""
        return "instructor" if self.is_instructor else "learner"

    @property
    def home(self) -> Path:
        return Path(self.home_root) / self.user.name

    def unix_groups(self) -> set[str]:
        """Unix groups mirroring the hub groups (instructors enter the courses they teach,
        ``ni-<id>``, and those courses' exchange folders, ``nl-<id>``)."""
        cohorts = set(self.cohorts)
        if self.is_instructor:
            taught = set(self.taught_courses())
            return ({INSTRUCTORS_GROUP} | {cohort_unix_group(c) for c in cohorts | taught}
                    | {course_instructors_unix_group(c) for c in taught})
        return {cohort_unix_group(c) for c in cohorts}

    def instructor_course(self) -> str:
        """The course an instructor's formgrader opens: the first they teach, else none."""
        return next(iter(self.taught_courses()), "")

    def link_courses(self, entry) -> None:
        """``~/courses/<course>`` -> the course root, so formgrader finds the course inside
        the server's root folder (nbgrader refuses a course root outside it); one link per
        course taught, links to courses no longer taught removed."""
        links = self.home / "courses"
        links.mkdir(exist_ok=True)
        os.chown(links, entry.pw_uid, entry.pw_gid)
        root, taught = Path(self.courses_root), self.taught_courses()
        for link in links.iterdir():
            if link.is_symlink() and link.name not in taught and \
                    Path(os.readlink(link)).parent == root:
                link.unlink()
        for course in taught:
            link = links / course
            if not link.is_symlink():
                link.symlink_to(root / course, target_is_directory=True)
                os.lchown(link, entry.pw_uid, entry.pw_gid)

    def make_preexec_fn(self, name: str):
        setuid = set_user_setuid(name, chdir=True)
        umask = self.umask

        def preexec() -> None:
            setuid()
            os.umask(umask)

        return preexec

    @property
    def umask(self) -> int:
        return 0o007 if self.is_instructor else 0o077

    def user_env(self, env: dict) -> dict:
        env = super().user_env(env)
        track = self.track
        env.update(track.env)
        env.update(
            NORTHLAB_TRACK=track.id,
            NORTHLAB_ROLE=self.role,
            NORTHLAB_EXCHANGE=self.exchange_root,
            NORTHLAB_ASSIGNMENT_DIR=str(self.home / track.folder),
            JUPYTER_CONFIG_PATH=os.pathsep.join(
                str(SINGLEUSER_CONFIG_DIR / d) for d in (self.role, "common")
            ),
            JUPYTER_PATH=str(SHARE_DIR),
            PATH=f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        )
        if self.is_instructor:
            course = self.instructor_course()
            env.update(
                NORTHLAB_COURSE=course,
                NORTHLAB_COURSE_ROOT=str(self.home / "courses" / course) if course else "",
            )
        return env

    async def start(self):
        for needed in (Path(sys.executable), SINGLEUSER_CONFIG_DIR, Path(self.home_root)):
            private = private_ancestor(needed)
            if private is not None:
                raise RuntimeError(
                    f"Learner accounts cannot reach {needed} because {private} is private: "
                    "install northlab and its Python where every user can read them."
                )
        try:  # useradd/gpasswd: off the hub's event loop
            entry = await asyncio.to_thread(
                ensure_user, self.user.name, self.home, self.unix_groups()
            )
        except AccountError as exc:
            raise RuntimeError(str(exc)) from None
        folder = self.home / self.track.folder
        folder.mkdir(exist_ok=True)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        if self.is_instructor:
            self.link_courses(entry)
        for cohort in self.cohorts:  # joined in the admin panel: named in formgrader too
            try:
                await asyncio.to_thread(enroll, Path(self.courses_root), cohort, self.user.name)
            except RuntimeError as exc:
                self.log.warning("%s", exc)
        self.notebook_dir = str(self.home)
        self.default_url = self.track.default_url
        self.cmd = [sys.executable, "-P", "-m", "hub.userserver"]  # -P: home not on sys.path
        address = await self.fork(entry.pw_uid) if self.fork_server_socket else None
        if address is None:
            address = await super().start()
            self.hold(ServerProcess.of_child(self.pid, entry.pw_uid))
        host = "127.0.0.1" if address[0] in ("", "0.0.0.0") else address[0]
        if self.process is None or not await self.process.listening(host, address[1],
                                                                    self.http_timeout):
            raise RuntimeError(f"{self.user.name}'s server ended while starting (the hub's "
                               "log says why).")
        return address

    async def fork(self, uid: int) -> tuple[str, int] | None:
        """Start the server from the fork-server; None (logged) when it cannot."""
        if self.port == 0:
            self.port = random_port()
        try:
            process = await fork_server(
                self.fork_server_socket, user=self.user.name, uid=uid, env=self.get_env(),
                args=self.get_args(), umask=self.umask)
        except ForkFailed as exc:
            self.log.warning("Starting %s's server as a new process: %s", self.user.name, exc)
            return None
        self.log.info("Forked %s's server from the fork-server: process %i",
                      self.user.name, process.pid)
        self.pid, self.proc = process.pid, None
        self.hold(process)
        return (self.ip or "127.0.0.1", self.port)

    def hold(self, process: ServerProcess | None) -> None:
        """Track the server by ``process`` (None: it ended already; poll says so)."""
        self.process = process
        self.started = process.started if process else 0

    def server_process(self) -> ServerProcess | None:
        """The server's process; after a hub restart, the stored one if it still is that
        process (never a process id reused since)."""
        if self.process is None and self.pid and self.started:
            try:
                uid = pwd.getpwnam(self.user.name).pw_uid
            except KeyError:
                return None
            self.process = ServerProcess.adopt(self.pid, self.started, uid)
            if self.process is None:
                self.log.warning("%s's server (process %i) is gone or was replaced: "
                                 "forgotten, not signalled", self.user.name, self.pid)
        return self.process

    def load_state(self, state: dict) -> None:
        super().load_state(state)
        self.started = state.get("started", 0)

    def get_state(self) -> dict:
        state = super().get_state()
        if self.pid and self.started:
            state["started"] = self.started
        return state

    def clear_state(self) -> None:
        super().clear_state()
        if self.process is not None:
            self.process.close()
        self.process, self.started = None, 0

    async def poll(self) -> int | None:
        """None while the server runs; 0 once it ended or cannot be proved to be the one
        started (stored state without a start time counts as ended)."""
        if self.proc is not None:  # the hub's own child: reap it
            return await super().poll()
        process = self.server_process()
        if process is None or not process.running():
            self.clear_state()
            return 0
        return None

    async def _signal(self, sig: int) -> bool:
        """Signal the server's process through its pidfd; False when it has ended."""
        process = self.server_process()
        return process is not None and process.signal(sig)
