"""Class 4: every read from a sandboxed process has a deadline that covers the whole
frame (half frames, a slow drip, a frame that never ends), and a batch whose learners
write to every socket they can find still ends in bounded time."""

from __future__ import annotations

import socket
import struct
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graders"))
from northlab_labkit import NB_LAB, SOLUTIONS, copy_lab, honest, notebook  # noqa: E402

from graders.engine import BYE_SECONDS, JUDGE_GRACE, REPORT_SECONDS, Grader  # noqa: E402
from graders.lab import load_lab  # noqa: E402
from graders.remote.codec import MAGIC, pack  # noqa: E402
from graders.sandbox.process import Timeout, peer_pid, read_frame, wait_frame  # noqa: E402
from graders.submissions import Submission  # noqa: E402

HEADER = b'{"op":"done"}'
WHOLE = pack({"op": "done"}, [])


def drip(sock: socket.socket, data: bytes, every: float, stop: threading.Event) -> None:
    for byte in data:
        if stop.wait(every):
            return
        try:
            sock.send(bytes([byte]))
        except OSError:
            return


STALLS = {
    "half-magic": (MAGIC[:2], None),
    "header-cut": (MAGIC + struct.pack("<I", len(HEADER)) + HEADER[:5], None),
    "buffer-never-ends": (MAGIC + struct.pack("<I", len(HEADER)) + HEADER
                          + struct.pack("<I", 1) + struct.pack("<Q", 2**20) + b"x" * 10, None),
    "slow-drip": (b"", WHOLE),  # a whole frame, one byte every 0.2 s: longer than allowed
    "endless-drip": (b"", MAGIC + struct.pack("<I", 2**30) + b" " * 10_000),
}


@pytest.mark.parametrize("name", list(STALLS))
def test_a_frame_that_does_not_complete_in_time_times_out(name: str) -> None:
    sent, dripped = STALLS[name]
    ours, theirs = socket.socketpair()
    stop = threading.Event()
    feeder = threading.Thread(target=drip, args=(theirs, dripped or b"", 0.2, stop))
    try:
        theirs.sendall(sent)
        feeder.start()
        started = time.monotonic()
        with pytest.raises(Timeout):
            read_frame(ours, 1.0)
        assert time.monotonic() - started < 1.0 + 0.9  # one poll past the deadline at most
        assert wait_frame(ours, 0.2) is None
    finally:
        stop.set()
        feeder.join() if feeder.ident else None
        ours.close()
        theirs.close()


def test_frames_that_complete_in_time_are_read() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(WHOLE)
        assert read_frame(ours, 5.0) == {"op": "done"}
        theirs.sendall(WHOLE)
        assert wait_frame(ours, 0) == {"op": "done"}  # already here: a zero deadline reads it


def test_the_hello_needs_kernel_credentials_and_the_right_byte() -> None:
    ours, theirs = socket.socketpair()
    with ours, theirs:
        assert peer_pid(ours, b"H", 0.2) is None  # nothing sent
        ours.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        theirs.sendall(b"X")
        assert peer_pid(ours, b"H", 1.0) is None  # the wrong byte
        theirs.sendall(b"H")
        import os
        assert peer_pid(ours, b"H", 1.0) == os.getpid()


#: learner code that writes half frames / drips into every socket it holds, then hangs
STALLER = (
    "import os, socket, threading, time\n"
    "def _stall():\n"
    "    socks = []\n"
    "    for fd in range(3, 64):\n"
    "        try:\n"
    "            s = socket.socket(fileno=os.dup(fd))\n"
    "            s.setblocking(True)\n"
    "            socks.append(s)\n"
    "        except OSError:\n"
    "            pass\n"
    "    for s in socks:\n"
    "        try:\n"
    "            s.send(b'NLF1' + (2**30).to_bytes(4, 'little') + b'{')\n"
    "        except OSError:\n"
    "            pass\n"
    "    while True:\n"
    "        for s in socks:\n"
    "            try:\n"
    "                s.send(b' ')\n"
    "            except OSError:\n"
    "                pass\n"
    "        time.sleep(0.5)\n"
    "WHERE_stall()\n")


def test_a_batch_of_stalling_learners_ends_in_bounded_time(tmp_path: Path) -> None:
    limits = {"wall_seconds": 3, "cpu_seconds": 3}
    lab = load_lab(copy_lab(NB_LAB, tmp_path, limits))
    data = (NB_LAB / "source" / "data" / "values.txt").read_bytes()
    nbs = {"stall-in-cell": notebook({**SOLUTIONS, "answer-total": STALLER.replace("WHERE", "")}),
           "stall-in-thread": notebook({**SOLUTIONS, "answer-total": STALLER.replace(
               "WHERE", "threading.Thread(target=_stall, daemon=True).start()\n#")}),
           "honest": honest()}
    subs = [Submission(n, tmp_path, files={"nb-basics.ipynb": t.encode(),
                                            "data/values.txt": data}) for n, t in nbs.items()]
    workers = 2
    with Grader(lab, workers=workers) as grader:
        started = time.monotonic()
        records = {r["learner"]: r for r in grader.grade_all(subs)}
        took = time.monotonic() - started
    per_submission = limits["wall_seconds"] + JUDGE_GRACE + BYE_SECONDS + 4 * REPORT_SECONDS
    # the bound the engine promises (generous constant for a loaded machine)
    assert took < len(subs) * per_submission / workers + 60
    assert set(records) == set(nbs)
    assert records["honest"]["score"] == 6
    assert records["stall-in-cell"]["score"] <= 5
    assert records["stall-in-thread"]["score"] <= 6
