"""Class 7: what a record says about how the learner's code ended comes from the parent's
own observation (its clock, the zygote's waitpid, the kernel's counters, its pidfd seeing
the worker child exit before the judge was done), never from a message the worker can
write."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graders"))
from northlab_labkit import NB_LAB, SOLUTIONS, copy_lab, honest, notebook  # noqa: E402

from graders.engine import Grader  # noqa: E402
from graders.lab import load_lab  # noqa: E402
from graders.submissions import Submission  # noqa: E402

EVERY_SOCKET = (
    "import os, socket, json, struct\n"
    "def _to_every_socket(data):\n"
    "    for fd in range(3, 64):\n"
    "        try:\n"
    "            socket.socket(fileno=os.dup(fd)).send(data)\n"
    "        except OSError:\n"
    "            pass\n"
    "def _frame(header):\n"
    "    head = json.dumps(header).encode()\n"
    "    return b'NLF1' + struct.pack('<I', len(head)) + head + struct.pack('<I', 0)\n")
SOLVED_TOTAL = SOLUTIONS["answer-total"] + "\n"
ENDINGS = {
    # says goodbye like an honest worker on its control socket (every socket but the
    # channel to the judge), then leaves before the tests ran
    "forged-bye-then-exit": EVERY_SOCKET + (
        "import gc\n"
        "_channel = [o for o in gc.get_objects() if type(o).__name__ == 'WorkerServer']"
        "[0].sock.fileno()\n"
        "for fd in range(3, 64):\n"
        "    if fd != _channel:\n"
        "        try:\n"
        "            socket.socket(fileno=os.dup(fd)).send(_frame({'op': 'bye', "
        "'learner_seconds': 0.0}))\n"
        "        except OSError:\n"
        "            pass\n"
        "os._exit(0)"),
    # answers the judge's next questions itself, says goodbye everywhere, then leaves
    "pre-answer-then-exit": EVERY_SOCKET + (
        "_to_every_socket(_frame({'op': 'bye', 'learner_seconds': 0.0}) * 4)\n"
        "os._exit(0)"),
    # try to freeze or kill its zygote (F8): out of reach, so only the exit is seen
    "stop-the-zygote": "import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)\nos._exit(3)",
    "kill-the-zygote": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nos._exit(3)",
    "stop-every-pid": (
        "import os, signal\nfor _p in [0, -1, *(int(p) for p in os.listdir('/proc')"
        " if p.isdigit())]:\n    try:\n        os.kill(_p, signal.SIGSTOP)\n"
        "    except OSError:\n        pass\nos._exit(3)"),
    # freezes its zygote, then sleeps without using CPU (F8): the parent's own clock ends it
    "stop-the-zygote-then-sleep": (
        "import os, signal, time\nfor _p in (os.getppid(), -1):\n    try:\n"
        "        os.kill(_p, signal.SIGSTOP)\n    except OSError:\n        pass\n"
        "time.sleep(10**6)"),
    # full marks, then an ending that looks like a limit (F10)
    "exit-like-the-output-limit": SOLVED_TOTAL + "import os\nos._exit(86)",
    "exit-like-the-setup-error": SOLVED_TOTAL + "import os\nos._exit(87)",
    "signal-like-the-cpu-limit": SOLVED_TOTAL + (
        "import os, signal\nsignal.signal(signal.SIGXCPU, signal.SIG_DFL)\n"
        "os.kill(os.getpid(), signal.SIGXCPU)\nos.kill(0, signal.SIGXCPU)"),
    "child-signals-like-the-cpu-limit": SOLVED_TOTAL + (
        "import os, signal\nif os.fork() == 0:\n    os.kill(1, signal.SIGXCPU)\n"
        "    os.kill(os.getppid(), signal.SIGXFSZ)\n    os._exit(0)\nos.wait()"),
    # patches the worker's own reply path (second review, F5): at its next reply it forges
    # the zygote's report (an output-limit kill, 999 s of CPU) and a goodbye on every
    # socket, then exits with a status it chose; the status is the kernel's, no limit line
    "patch-the-worker-reply-path": EVERY_SOCKET + (
        "import sys\n"
        "_w = sys.modules['graders.remote.worker']\n"
        "def _send(sock, body, buffers=None):\n"
        "    _to_every_socket(_frame({'op': 'done', 'exit': None, 'signal': 9, "
        "'killed': True, 'output_exceeded': True, 'cpu_seconds': 999.0, 'seconds': 1.0}))\n"
        "    _to_every_socket(_frame({'op': 'bye', 'learner_seconds': 0.0}))\n"
        "    os._exit(5)\n"
        "_w.send_frame = _send\n"
        "sys.modules['graders.sandbox.child'].send_frame = _send\n"),
    # errors that name a limit, raised without hitting it (F9)
    "raise-memory-error": "raise MemoryError()",
    "raise-disk-full": "raise OSError(28, 'No space left on device')",
    "raise-blocking-io": "raise BlockingIOError()",
    # positive controls: endings the parent really observed
    "segfault": "import ctypes\nctypes.string_at(0)",
    "print-past-the-output-limit": "while True:\n    print('x' * 1000)",
}


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("endings")
    lab = load_lab(copy_lab(NB_LAB, root, {"wall_seconds": 10, "cpu_seconds": 5,
                                           "output_kb": 64}))
    data = (NB_LAB / "source" / "data" / "values.txt").read_bytes()
    subs = []
    for name, code in ENDINGS.items():
        for learner, text in ((name, notebook({**SOLUTIONS, "answer-total": code})),
                              (f"honest-after-{name}", honest())):
            subs.append(Submission(learner, root, files={"nb-basics.ipynb": text.encode(),
                                                         "data/values.txt": data}))
    with Grader(lab, workers=1) as grader:
        return {r["learner"]: r for r in grader.grade_all(subs)}


def line(record: dict) -> str:
    return " ".join(t["feedback"]["en"] for t in record["tests"] if t["name"] == "sandbox")


def test_a_forged_goodbye_does_not_hide_an_early_exit(records: dict[str, dict]) -> None:
    record = records["forged-bye-then-exit"]
    assert record["score"] == 5
    assert "ended the grading process early (exit status 0)" in line(record)


@pytest.mark.parametrize("name", ["stop-the-zygote", "kill-the-zygote", "stop-every-pid"])
def test_learner_code_cannot_reach_its_zygote(records: dict[str, dict], name: str) -> None:
    """The learner's code runs in its own pid namespace: the zygote is out of reach, so
    the parent sees exactly how the code ended."""
    record = records[name]
    assert record["score"] == 5 and record["error"] is None
    assert "ended the grading process early (exit status 3)" in line(record)


def test_a_stopped_zygote_is_ended_by_the_parents_clock(records: dict[str, dict]) -> None:
    record = records["stop-the-zygote-then-sleep"]
    assert record["error"] is None and record["score"] == 5
    assert "Time limit of 10 s exceeded" in line(record)


def test_a_patched_reply_path_changes_nothing_the_record_says_about_the_end(
        records: dict[str, dict]) -> None:
    record = records["patch-the-worker-reply-path"]
    assert record["error"] is None and record["score"] == 5
    assert "ended the grading process early (exit status 5)" in line(record)
    assert "limit" not in line(record).lower()


@pytest.mark.parametrize("name", ["exit-like-the-output-limit", "exit-like-the-setup-error",
                                  "signal-like-the-cpu-limit",
                                  "child-signals-like-the-cpu-limit", "raise-memory-error",
                                  "raise-disk-full", "raise-blocking-io"])
def test_an_ending_the_learner_chose_never_reads_as_a_limit(records: dict[str, dict],
                                                            name: str) -> None:
    text = line(records[name])
    assert "limit" not in text.lower() and "limite" not in " ".join(
        t["feedback"]["fr"] for t in records[name]["tests"] if t["name"] == "sandbox")
    if name.startswith("exit-like"):
        status = 86 if "output" in name else 87
        assert f"ended the grading process early (exit status {status})" in text
        assert records[name]["score"] == 5  # the answer's own test could not run
    elif "cpu" in name:
        assert records[name]["score"] == 6 and text == ""  # its signals were ignored


def test_pre_answered_questions_score_nothing(records: dict[str, dict]) -> None:
    assert records["pre-answer-then-exit"]["score"] == 5


def test_an_ending_the_parent_observed_is_reported(records: dict[str, dict]) -> None:
    assert "stopped by signal 11" in line(records["segfault"])
    assert "Output limit of 64 KB exceeded" in line(records["print-past-the-output-limit"])


@pytest.mark.parametrize("name", list(ENDINGS))
def test_the_next_submission_is_graded_normally(records: dict[str, dict], name: str) -> None:
    record = records[f"honest-after-{name}"]
    assert record["score"] == 6 and record["error"] is None and line(record) == ""
