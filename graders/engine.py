"""The grading engine: a pool of sandboxed slots grading the submissions of one lab.

Each slot holds two pre-warmed zygotes (:mod:`graders.sandbox.zygote`): a *worker* that
runs the learner's code and a *judge* that runs the lab's tests; both are sandboxed, with
different uids, and only the judge sees the lab's tests. Per submission the parent
connects a fresh worker child and a fresh judge child with a socket pair, sends the
learner's files to the worker and the plan to the judge, enforces the wall-clock limit,
and turns the judge's per-test outcomes into a result record (:mod:`graders.record`). A lab
of several notebooks (one nbgrader assignment) gets one fresh worker/judge pair per
notebook, as nbgrader runs each notebook in a fresh kernel.
"""

from __future__ import annotations

import logging
import os
import queue
import select
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from graders.lab import Lab
from graders.notebooks import (
    OUTPUT_CHARS,
    NotebookError,
    SourceNotebook,
    manual_states,
    plan,
    read_source,
    release_checksums,
)
from graders.record import (
    LabTest,
    Part,
    build_record,
    code_tests,
    error_record,
    notebook_tests,
)
from graders.remote.codec import CodecError, PeerGone, frame_fits, send_frame
from graders.sandbox import Sandbox, SandboxUnavailable, detect
from graders.sandbox.base import LaunchSpec
from graders.sandbox.cgroup import NO_GROUP, Cgroups, Group, Usage
from graders.sandbox.child import BUILT, FULL, GO, HELLO, READY
from graders.sandbox.namespaces import scratch_fits, scratch_inodes
from graders.sandbox.process import (
    REPORT_LIMIT,
    Timeout,
    ZygoteFailed,
    ZygoteProcess,
    log_tail,
    peer_pid,
    read_frame,
    wait_frame,
)
from graders.sandbox.uids import BLOCK_SIZE, UidBlock
from graders.submissions import Submission, SubmissionError

WORKER_PRELOAD = ["numpy", "pandas", "IPython", "graders.remote.worker"]
JUDGE_PRELOAD = ["numpy", "pandas", "pytest", "IPython.core.inputtransformer2"]
LOG = logging.getLogger("northlab.grader")
JUDGE_GRACE = 20.0  #: seconds the judge may take after the worker was stopped
REPORT_SECONDS = 10.0  #: deadline of each control message (hello, ready, zygote reports)
BYE_SECONDS = 2.0  #: how long the parent waits for the worker's timing note
COLLECT_SECONDS = 120.0  #: deadline for listing a code lab's tests at start
RESULT_LIMIT = 8 * 1024 * 1024  #: largest judge report the parent reads
JUDGE_MEMORY_MB = 1536  #: memory of a judge child's own cgroup (+ the zygote-copy headroom)
JUDGE_PROCESSES = 16  #: tasks of a judge child's own cgroup


def sandbox_full(disk_mb: float) -> SubmissionError:
    """The ``too-large`` error of files that do not fit the worker's scratch."""
    mb, count = int(disk_mb), scratch_inodes(int(disk_mb))
    return SubmissionError("too-large", f"with the lab's files they do not fit the grading "
                           f"sandbox ({mb} MB, {count} files and folders)", "sandbox",
                           mb=mb, count=count)


@dataclass
class Outcome:
    """What one sandboxed run produced (raw, before scoring). How the run ended comes from
    the parent's own observation: its wall clock, the zygote's ``waitpid`` report, the
    kernel's cgroup counters, and the judge's view of the worker vanishing."""

    tests: list[dict[str, Any]] | None = None
    #: the worker zygote's report on its child (exit, signal); None when it did not answer
    worker: dict[str, Any] | None = None
    wall_hit: bool = False
    #: the worker child had exited before the judge was done (an honest one waits for the
    #: parent to close its control socket): the parent's own pidfd says so
    early: bool = False
    usage: Usage = field(default_factory=Usage)  #: the submission's cgroup counters
    #: the learner's own time as the worker measured it (timings only, never for a record)
    stats: dict[str, Any] = field(default_factory=dict)
    #: "internal" when nothing usable came back; "too-large" when the worker child's
    #: scratch had no room for the working copy (no learner code ran)
    failure: str | None = None
    #: "memory" / "processes" / "time": the judge's own cgroup or the parent's deadline
    #: stopped the tests while they checked the learner's values (the learner's resource
    #: fault: the tests it did not report fail, with a line saying which was hit)
    judge_limit: str | None = None
    #: [[cell index, cleaned outputs], ...] of the learner cells whose outputs the plan kept
    outputs: list[Any] = field(default_factory=list)


def release_dir(lab: Lab, into: Path) -> Path:
    """Copy what learners receive besides the notebook (data, starter files) into ``into``."""
    target = into / "release"
    shutil.copytree(lab.source_dir, target, symlinks=False,
                    ignore=shutil.ignore_patterns("*.ipynb", ".*", "__pycache__"))
    for root, _dirs, files in os.walk(target):
        os.chmod(root, 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)
    os.chmod(into, 0o711)
    return target


def judge_copy(lab: Lab, into: Path, uid: int | None) -> Path:
    """A private copy of the lab for one judge (owned by its uid, mode 0700), so the lab
    folder itself can stay closed to everyone but instructors, and no other sandbox uid
    (in particular a worker in the fallback sandbox) can read the hidden tests."""
    target = into / "lab"
    into.mkdir(mode=0o700)
    shutil.copytree(lab.path, target, symlinks=False,
                    ignore=shutil.ignore_patterns(".*", "__pycache__"))
    if uid is not None:
        for root, dirs, files in os.walk(into):
            for name in [*dirs, *files]:
                os.chown(os.path.join(root, name), uid, uid)
        os.chown(into, uid, uid)
    return target


class Slot:
    """A worker zygote and a judge zygote that grade one submission at a time."""

    def __init__(self, index: int, sandbox: Sandbox, lab: Lab, release: Path,
                 workdir: Path, block: int = 0) -> None:
        logdir = workdir / "logs"
        limits = asdict(lab.limits)
        common = {"kind": lab.kind, "limits": limits}
        self.lab = lab
        self.worker = ZygoteProcess(sandbox, LaunchSpec(
            role="worker", slot=index, mounts={"release": release},
            settings={**common, "role": "worker", "preload": WORKER_PRELOAD},
            scratch_mb=int(lab.limits.disk_mb), log=logdir / f"worker-{index}.log", block=block))
        spec = LaunchSpec(
            role="judge", slot=index, settings={**common, "role": "judge",
                                                 "preload": JUDGE_PRELOAD},
            scratch_mb=256, log=logdir / f"judge-{index}.log", block=block)
        spec.mounts["lab"] = judge_copy(lab, workdir / f"judge-{index}", sandbox.uid(spec))
        self.judge = ZygoteProcess(sandbox, spec)

    def start(self) -> None:
        self.worker.ensure()
        self.judge.ensure()

    def stop(self) -> None:
        self.worker.stop()
        self.judge.stop()

    def run(self, files: dict[str, bytes], judge_setup: dict[str, Any],
            cgroups: Cgroups | None) -> Outcome:
        """Grade one submission. Every read from a sandboxed process has a deadline, so
        this returns within ``wall_seconds + JUDGE_GRACE + BYE_SECONDS + 5 *
        REPORT_SECONDS``."""
        self.start()
        outcome = Outcome()
        chan_w, chan_j = socket.socketpair()
        wctl, wctl_child = socket.socketpair()
        jctl, jctl_child = socket.socketpair()
        for sock in (wctl, jctl):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        try:
            self.worker.run([chan_w.fileno(), wctl_child.fileno()])
            self.judge.run([chan_j.fileno(), jctl_child.fileno()])
        finally:
            for sock in (chan_w, chan_j, wctl_child, jctl_child):
                sock.close()
        group: Group | None = None
        judge_group: Group | None = None
        pidfd: int | None = None
        wall = float(self.lab.limits.wall_seconds)
        try:
            for sock in (wctl, jctl):
                sock.settimeout(wall)  # writes to a child that does not read end too
            confined = self.confine(wctl, cgroups)
            if confined is not None:
                group, pidfd = confined
                judge_group = self.confine_judge(jctl, cgroups)
            if confined is None or judge_group is None:
                outcome.failure = "internal"
                self.stop()
                return outcome
            names = sorted(files)
            send_frame(wctl, {"files": [[n, i] for i, n in enumerate(names)]},
                       [files[n] for n in names])
            outcome.failure = self.built(wctl)
            if outcome.failure is not None:  # no learner code ran: never the learner's exit
                wctl.close()
                jctl.close()
                self.worker.wait_done(timeout=REPORT_SECONDS)
                self.judge.wait_done(timeout=REPORT_SECONDS)
                return outcome
            # the judge gets the learner's files as read here, never as the worker says
            send_frame(jctl, {**judge_setup, "files": [[n, i] for i, n in enumerate(names)]},
                       [files[n] for n in names])
            result = self.judge_result(jctl, wall, outcome, group, judge_group)
            if result is not None and result.get("grader_fault") is not None:
                outcome.failure = "internal"  # the judge could not load what it needs
                LOG.warning("the judge could not run the tests: %s", result["grader_fault"])
            elif result is not None:
                tests, outputs = result.get("tests"), result.get("outputs")
                outcome.tests = tests if type(tests) is list else []
                outcome.outputs = outputs if type(outputs) is list else []
            # An honest worker child waits for the parent to close its control socket, so
            # one already gone exited early. When the judge saw it vanish, give the kernel
            # a moment to finish the exit (the socket closes before the process is reaped).
            vanished = any(type(t) is dict and t.get("stopped") is True
                           for t in outcome.tests or [])
            outcome.early = not outcome.wall_hit and bool(select.select(
                [pidfd], [], [], REPORT_SECONDS if vanished else 0)[0])
            if not outcome.early:
                bye = wait_frame(wctl, BYE_SECONDS, limit=REPORT_LIMIT)
                outcome.stats = bye if bye and bye.get("op") == "bye" else {}
            wctl.close()  # the worker child may leave now
            outcome.worker = self.worker.wait_done(timeout=REPORT_SECONDS)
            status = (outcome.worker or {}).get("exit")
            if not outcome.wall_hit and type(status) is int and status != 0:
                # an honest worker child exits 0, and only once wctl is closed: any other
                # status is an early exit, even one that came after the pidfd look above
                outcome.early = True
            if self.judge.wait_done(timeout=REPORT_SECONDS) is None and outcome.failure is None:
                outcome.failure = "internal"
            if outcome.failure is not None:
                tail = log_tail(self.judge.spec.log, limit=2000, lines=40)
                LOG.warning("grading failed in slot %s (%s); judge log:\n%s",
                            self.judge.spec.slot, outcome.failure, tail)
        except OSError:
            outcome.failure = "internal"
            self.stop()
        finally:
            wctl.close()
            jctl.close()
            if pidfd is not None:
                os.close(pidfd)
            if group is not None:
                outcome.usage = group.usage()
                group.remove()
            if judge_group is not None:
                judge_group.remove()
        return outcome

    @staticmethod
    def built(wctl: socket.socket) -> str | None:
        """None when the worker child says it built its working copy (it says so before
        any learner code runs); ``"too-large"`` when its scratch had no room; else
        ``"internal"`` (it failed otherwise or said nothing in time)."""
        word = wctl.recv(1) if select.select([wctl], [], [], REPORT_SECONDS)[0] else b""
        if word == BUILT:
            return None
        LOG.warning("the worker child could not build the working copy (%r)", word)
        return "too-large" if word == FULL else "internal"

    def confine(self, wctl: socket.socket, cgroups: Cgroups | None
                ) -> tuple[Group, int] | None:
        """Move the new worker child into a fresh cgroup before any learner code runs, and
        wait until it is inside fresh namespaces (:mod:`graders.sandbox.namespaces`).
        Returns the group and a pidfd on the child (the parent's own view of its end);
        None when it did not get there in time (nothing of the learner's ran)."""
        pid = peer_pid(wctl, HELLO, REPORT_SECONDS)
        if pid is None:
            LOG.warning("worker %s did not start: %s", self.worker.spec.slot,
                        log_tail(self.worker.spec.log))
            return None
        pidfd = os.pidfd_open(pid)
        limits = self.lab.limits
        # the learner's memory, plus its scratch and /dev/shm tmpfs pages (charged here too)
        memory = int(limits.memory_mb) + 2 * int(limits.disk_mb)
        group = cgroups.create(f"worker{self.worker.spec.slot}", memory,
                               int(limits.processes)) if cgroups is not None else NO_GROUP
        try:
            group.join(pid)
            wctl.sendall(GO)
            if peer_pid(wctl, READY, REPORT_SECONDS) is not None:
                return group, pidfd
        except OSError:
            pass
        LOG.warning("worker %s could not enter its namespaces: %s",  # fail closed
                    self.worker.spec.slot, log_tail(self.worker.spec.log))
        group.remove()
        os.close(pidfd)
        return None

    def confine_judge(self, jctl: socket.socket, cgroups: Cgroups | None) -> Group | None:
        """Move the new judge child into its own cgroup (memory, processes, one CPU) before
        it reads any learner value, so what learner data makes it do is contained there;
        None when it did not say hello in time."""
        pid = peer_pid(jctl, HELLO, REPORT_SECONDS)
        if pid is None:
            LOG.warning("judge %s did not start: %s", self.judge.spec.slot,
                        log_tail(self.judge.spec.log))
            return None
        group = cgroups.create(f"judge{self.judge.spec.slot}", JUDGE_MEMORY_MB,
                               JUDGE_PROCESSES) if cgroups is not None else NO_GROUP
        try:
            group.join(pid)
            jctl.sendall(GO)
            return group
        except OSError:
            group.remove()
            return None

    def judge_result(self, jctl: socket.socket, wall: float, outcome: Outcome,
                     group: Group, judge_group: Group) -> dict[str, Any] | None:
        """The judge's per-test outcomes; past the wall clock the parent kills the worker
        child and everything in its cgroup itself (nobody in the sandbox has to answer),
        and the judge gets :data:`JUDGE_GRACE` more seconds. A judge stopped by its own
        cgroup (memory, processes) or still busy after that is the learner's resource
        fault (:attr:`Outcome.judge_limit`); a judge that died otherwise is ours."""
        try:
            return read_frame(jctl, wall, RESULT_LIMIT)
        except Timeout:
            outcome.wall_hit = True
            group.kill()
            self.worker.kill_child()
        except (PeerGone, CodecError):
            self.judge_died(outcome, judge_group)
            return None
        try:
            return read_frame(jctl, JUDGE_GRACE, RESULT_LIMIT)
        except Timeout:
            judge_group.kill()
            self.judge.kill_child()
            outcome.judge_limit, outcome.tests = "time", []
        except (PeerGone, CodecError):
            self.judge_died(outcome, judge_group)
        return None

    @staticmethod
    def judge_died(outcome: Outcome, judge_group: Group) -> None:
        usage = judge_group.usage()
        if usage.memory_hit or usage.pids_hit:
            outcome.judge_limit = "memory" if usage.memory_hit else "processes"
            outcome.tests = []
        else:
            outcome.failure = "internal"  # the judge died by itself: never the learner's fault

    def collect(self, judge_setup: dict[str, Any]) -> list[dict[str, Any]]:
        """The lab's tests as the judge collects them with no worker at all (every test
        fails at once): run before any submission, so no learner can shape it."""
        self.judge.ensure()
        chan, gone = socket.socketpair()
        gone.close()
        jctl, jctl_child = socket.socketpair()
        jctl.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        try:
            self.judge.run([chan.fileno(), jctl_child.fileno()])
        finally:
            chan.close()
            jctl_child.close()
        try:
            jctl.settimeout(COLLECT_SECONDS)
            if peer_pid(jctl, HELLO, COLLECT_SECONDS) is None:
                raise Timeout("the judge did not say hello")
            jctl.sendall(GO)  # lab code only, before any submission: no group of its own
            send_frame(jctl, judge_setup)
            result = read_frame(jctl, COLLECT_SECONDS, RESULT_LIMIT)
        except (OSError, Timeout, PeerGone, CodecError) as exc:
            self.stop()
            raise ZygoteFailed(f"the judge could not list the tests of {self.lab.id}: "
                               f"{log_tail(self.judge.spec.log)}") from exc
        finally:
            jctl.close()
        if self.judge.wait_done(timeout=REPORT_SECONDS) is None:
            raise ZygoteFailed("the judge did not finish listing the tests")
        tests = result.get("tests")
        return [t for t in tests if type(t) is dict] if type(tests) is list else []


class Grader:
    """Grade submissions of one lab; use as a context manager (starts/stops the slots)."""

    def __init__(self, lab: Lab, *, workers: int | None = None, sandbox: Sandbox | None = None,
                 course: str | None = None, keep_outcomes: bool = False,
                 cell_outputs: bool = False, autotests: bool = True) -> None:
        """``cell_outputs``: bring back each learner cell's outputs (:attr:`notebook_outcomes`);
        ``autotests``: expand the lab's AUTOTEST lines (:mod:`graders.autotest`; off only
        for the run that expands them)."""
        self.lab = lab
        #: learner -> raw judge outcome (for ``northlab check``), when ``keep_outcomes``
        self.outcomes: dict[str, Outcome] | None = {} if keep_outcomes else None
        #: (learner, notebook) -> raw judge outcome of each notebook, when ``cell_outputs``
        self.notebook_outcomes: dict[tuple[str, str], Outcome] | None = \
            {} if cell_outputs else None
        self.sandbox = sandbox or detect()
        self.course = course
        self.workers = min(max(1, workers or os.cpu_count() or 1), BLOCK_SIZE // 2)
        expanded: dict[str, dict[str, str]] = {}
        if autotests and lab.kind == "notebook":
            from graders.autotest import expansions  # runs the lab's solution in a Grader

            expanded = expansions(lab, sandbox=self.sandbox)
        #: notebook name -> what grading needs from that source notebook
        self.sources: dict[str, SourceNotebook] = {
            name: read_source(lab.notebook_path(name), expanded.get(name))
            for name in lab.notebook_names}
        #: notebook name -> release checksums of its manually graded answer cells (made
        #: while the sandboxes start: nbgrader's release steps take a second to import)
        self.checksums: dict[str, dict[str, str]] = {}
        #: the lab's tests and maxima, known before any submission (code labs: collected
        #: by the judge at start); scores and names in records come only from here
        self.tests: list[LabTest] = [
            test for name, source in self.sources.items()
            for test in notebook_tests(source, name if lab.named_notebooks else None)]
        self._tmp: Path | None = None
        self._uids: UidBlock | None = None
        self._cgroups: Cgroups | None = None
        self._slots: queue.Queue[Slot] = queue.Queue()
        self._all: list[Slot] = []
        #: the release's files by relative path -> size (the worker's copy holds them too)
        self._release: dict[str, int] = {}
        #: the release's folders by relative path
        self._release_dirs: set[str] = set()
        #: learner -> seconds spent in the learner's own code (as the worker measured it)
        self.learner_seconds: dict[str, float] = {}

    def __enter__(self) -> Grader:
        self._tmp = Path(tempfile.mkdtemp(prefix=f"northlab-{self.lab.id}-"))
        release = release_dir(self.lab, self._tmp)
        self._release = {path.relative_to(release).as_posix(): path.stat().st_size
                         for path in release.rglob("*") if path.is_file()}
        self._release_dirs = {path.relative_to(release).as_posix()
                              for path in release.rglob("*") if path.is_dir()}
        (self._tmp / "logs").mkdir(mode=0o700)
        try:
            self._uids = UidBlock.acquire() if os.geteuid() == 0 else None
            block = self._uids.index if self._uids else 0
            if self.sandbox.cgroups is not None:
                self._cgroups = self.sandbox.cgroups.open_run(block, self.workers)
        except OSError as exc:  # a lock folder not ours, all blocks held, cgroups refused
            self.__exit__(None, None, None)
            raise SandboxUnavailable(f"the sandbox cannot start: {exc}") from None
        self._all = [Slot(i, self.sandbox, self.lab, release, self._tmp, block)
                     for i in range(self.workers)]
        starters = [threading.Thread(target=slot.start) for slot in self._all]
        errors: list[BaseException] = []
        for thread, slot in zip(starters, self._all, strict=True):
            thread.run = _catching(slot.start, errors)  # type: ignore[method-assign]
            thread.start()
        _catching(self._release_checksums, errors)()
        for thread in starters:
            thread.join()
        if not errors and self.lab.kind == "code":
            try:
                self.tests = code_tests(self._all[0].collect({"kind": "code"}))
            except ZygoteFailed as exc:
                errors.append(exc)
        if errors:
            self.__exit__(None, None, None)
            raise errors[0]
        for slot in self._all:
            self._slots.put(slot)
        return self

    def _release_checksums(self) -> None:
        self.checksums = {name: release_checksums(self.lab.notebook_path(name), source)
                          for name, source in self.sources.items()}

    def __exit__(self, *exc: object) -> None:
        for slot in self._all:
            slot.stop()
        if self._cgroups is not None:
            self._cgroups.close_run()
            self._cgroups = None
        if self._uids is not None:
            self._uids.release()
            self._uids = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def runs(self, submission: Submission) -> tuple[
            list[tuple[str | None, dict[str, Any] | None, dict[str, bool]]], dict[str, bytes]]:
        """Per notebook (code labs: one run named None): its name, the judge's instructions
        (None when the notebook is not in the submission) and its manually graded parts;
        and the files the worker gets. Raises :class:`NotebookError` on a bad notebook,
        :class:`SubmissionError` when none is there or the files are too large."""
        lab = self.lab
        if lab.kind == "code":
            files = {n: submission.files[n] for n in lab.code_files if n in submission.files}
            return [(None, {"kind": "code"}, {})], self.worker_files(files)
        runs: list[tuple[str | None, dict[str, Any] | None, dict[str, bool]]] = []
        for name, source in self.sources.items():
            data = submission.files.get(f"{name}.ipynb")
            if data is None:
                runs.append((name, None, {}))
                continue
            keep = OUTPUT_CHARS if self.notebook_outcomes is not None else 0
            setup = {"kind": "notebook", "notebook": name, "plan": plan(source, data, keep)}
            runs.append((name, setup, manual_states(source, self.checksums[name], data)))
        if all(setup is None for _, setup, _ in runs):
            names = ", ".join(f"{n}.ipynb" for n in self.sources)
            raise SubmissionError("missing-notebook", f"no notebook {names}", name=names)
        files = self.worker_files(
            {n: d for n, d in submission.files.items() if not n.endswith(".ipynb")})
        for _, setup, _ in runs:  # the size capped is the size sent: the judge's setup frame
            if setup is not None and not frame_fits(
                    {**setup, "files": [[n, i] for i, n in enumerate(sorted(files))]},
                    list(files.values())):
                raise SubmissionError("too-large", "the notebook and files, encoded for "
                                      "grading, are over the grader's limit", "encoded")
        return runs, files

    def worker_files(self, files: dict[str, bytes]) -> dict[str, bytes]:
        """The learner's ``files`` the worker gets, before any sandbox work: without those
        that clash with the release (:meth:`unclashed`); refused (``too-large``) when they
        would not fit the worker's scratch with the release
        (:func:`graders.sandbox.namespaces.scratch_fits`)."""
        files = self.unclashed(files)
        sizes = {**self._release, **{name: len(data) for name, data in files.items()}}
        if not scratch_fits(sizes, int(self.lab.limits.disk_mb)):
            raise sandbox_full(self.lab.limits.disk_mb)
        return files

    def unclashed(self, files: dict[str, bytes]) -> dict[str, bytes]:
        """``files`` less each path that clashes with the release's files: the same file, a
        file where the release has a folder, or one inside a release file, at any depth.
        The release wins, as in nbgrader's autograde (it overwrites the learner's copies
        with the source's), so the clashing learner file is ignored; a code lab's own code
        files are the learner's work and replace the release's starters."""
        owned = set(self.lab.code_files) if self.lab.kind == "code" else set()
        taken = (self._release.keys() - owned) | self._release_dirs
        return {name: data for name, data in files.items()
                if name not in taken and not any(
                    "/".join(name.split("/")[:depth]) in self._release
                    for depth in range(1, name.count("/") + 1))}

    def grade(self, submission: Submission) -> dict[str, Any]:
        """Grade one submission and return its validated result record (an error record
        when it cannot be graded: nothing a submission holds stops the batch)."""
        started = time.monotonic()
        try:
            return self._grade(submission, started)
        except Exception:  # never lose the batch: this submission gets an error record
            LOG.exception("grading %s failed", submission.learner)
            return error_record(self.lab, submission, "internal", {}, started,
                                self.sandbox.isolation(), self.course)

    def _grade(self, submission: Submission, started: float) -> dict[str, Any]:
        isolation = self.sandbox.isolation()
        if submission.error is not None:
            return self._refused(submission, submission.error, started, isolation)
        try:
            runs, files = self.runs(submission)
        except SubmissionError as exc:
            return self._refused(submission, exc, started, isolation)
        except NotebookError as exc:
            return self._refused(submission, SubmissionError(
                "invalid-notebook", str(exc), exc.reason, **exc.values), started, isolation)
        parts = [Part(name, None if setup is None else self._run(submission, files, setup),
                      manual) for name, setup, manual in runs]
        outcomes = [part.outcome for part in parts if part.outcome is not None]
        if self.outcomes is not None:
            self.outcomes[submission.learner] = outcomes[0]
        if self.notebook_outcomes is not None:
            for part in parts:
                if part.outcome is not None and part.notebook is not None:
                    self.notebook_outcomes[submission.learner, part.notebook] = part.outcome
        seconds = [o.stats.get("learner_seconds") for o in outcomes]
        if all(type(s) is float and s >= 0 for s in seconds):
            self.learner_seconds[submission.learner] = sum(seconds)  # type: ignore[arg-type]
        for outcome in outcomes:
            if outcome.failure == "too-large" and outcome.tests is None:
                return self._refused(submission, sandbox_full(self.lab.limits.disk_mb),
                                     started, isolation)
            if outcome.failure is not None and outcome.tests is None:
                return error_record(self.lab, submission, outcome.failure, {}, started,
                                    isolation, self.course)
        return build_record(self.lab, submission, parts, self.tests, started, isolation,
                            self.course)

    def _refused(self, submission: Submission, error: SubmissionError, started: float,
                 isolation: str) -> dict[str, Any]:
        """The error record of a submission refused before or instead of grading."""
        return error_record(self.lab, submission, error.code, error.values, started,
                            isolation, self.course, error.reason)

    def run_plan(self, learner: str, files: dict[str, bytes], notebook: str,
                 steps: list[dict[str, Any]]) -> Outcome:
        """Run ``steps`` (a plan of :func:`graders.notebooks.plan`'s shape, made by the lab's
        own code) on notebook ``notebook`` with ``files`` in a fresh worker and judge."""
        files = self.unclashed(files)
        return self._run(Submission(learner, self.lab.path, files=files), files,
                         {"kind": "notebook", "notebook": notebook, "plan": steps})

    def _run(self, submission: Submission, files: dict[str, bytes],
             setup: dict[str, Any]) -> Outcome:
        """One sandboxed run (a fresh worker and judge) in the next free slot."""
        slot = self._slots.get()
        try:
            return slot.run(files, setup, self._cgroups)
        except Exception:  # this submission gets an error record; the slot restarts
            LOG.exception("grading %s failed; restarting slot", submission.learner)
            slot.stop()
            return Outcome(failure="internal")
        finally:
            self._slots.put(slot)

    def grade_all(self, submissions: Iterable[Submission],
                  on_done: Callable[[dict[str, Any]], None] | None = None
                  ) -> list[dict[str, Any]]:
        """Grade in parallel (one thread per slot); results in input order."""
        items = list(submissions)
        results: list[dict[str, Any] | None] = [None] * len(items)
        todo: queue.Queue[int] = queue.Queue()
        for i in range(len(items)):
            todo.put(i)

        def work() -> None:
            while True:
                try:
                    i = todo.get_nowait()
                except queue.Empty:
                    return
                results[i] = self.grade(items[i])
                if on_done is not None:
                    on_done(results[i])

        threads = [threading.Thread(target=work) for _ in range(min(self.workers, len(items)))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return [r for r in results if r is not None]


def _catching(func: Callable[[], None], errors: list[BaseException]) -> Callable[[], None]:
    def run() -> None:
        try:
            func()
        except BaseException as exc:  # reported by the caller
            errors.append(exc)
    return run
