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
    # freezes its zygote so that nobody reports how the child ended
    "stop-the-zygote": "import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)\nos._exit(3)",
    "kill-the-zygote": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nos._exit(3)",
    # positive control: a signal the parent really observed
    "terminate-itself": "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)",
}


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("endings")
    lab = load_lab(copy_lab(NB_LAB, root, {"wall_seconds": 10, "cpu_seconds": 5}))
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


@pytest.mark.parametrize("name", ["stop-the-zygote", "kill-the-zygote"])
def test_a_zygote_that_does_not_answer_is_not_reported_as_a_signal(
        records: dict[str, dict], name: str) -> None:
    record = records[name]
    assert record["score"] == 5
    assert "signal" not in line(record)
    assert "did not report how your code ended" in line(record)


def test_pre_answered_questions_score_nothing(records: dict[str, dict]) -> None:
    assert records["pre-answer-then-exit"]["score"] == 5


def test_a_signal_the_parent_observed_is_reported(records: dict[str, dict]) -> None:
    assert "stopped by signal 15" in line(records["terminate-itself"])


@pytest.mark.parametrize("name", list(ENDINGS))
def test_the_next_submission_is_graded_normally(records: dict[str, dict], name: str) -> None:
    record = records[f"honest-after-{name}"]
    assert record["score"] == 6 and record["error"] is None and line(record) == ""
