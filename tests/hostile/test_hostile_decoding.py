"""Decoding what the worker sends has a cost budget (second adversarial review, F4).

A frame of 250k ints that all hash to 0, decoded into a set, cost the judge ~70 s of CPU
(every such submission became a judge-timeout error record on demand); a DataFrame of 180k
one-row columns ~15 s and 700 MB per reply. The judge's decoder counts what it builds (a
pandas object counts as many values), refuses set members and dict keys of which too many
share one hash, and caps the JSON header: such a frame is refused at once, like any
malformed one, and the tests that needed it fail.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from graders.remote import codec
from graders.remote.codec import CodecError, Decoder, Encoder, pack

sys.path.insert(0, str(Path(__file__).resolve().parent))

P = (1 << 61) - 1  #: ints that differ by a multiple of P have one hash


def _no_handles(tree: Any) -> Any:
    raise AssertionError("no handle expected")


def _decode(tree: Any, buffers: list[bytes] | None = None) -> Any:
    return Decoder(buffers or [], _no_handles).decode(tree)


def _colliding_ints(n: int) -> list[int]:
    return [k * P for k in range(1, n + 1)]


def _colliding_complex(n: int) -> list[list[Any]]:
    # hash(complex(a, b)) == hash(a) + 1000003 * hash(b): a = -1000003 * b gives 0
    return [["c", repr(float(-1000003 * b)), repr(float(b))] for b in range(1, n + 1)]


FLOODS = {
    "set-of-ints": ["s", _colliding_ints(5000)],
    "frozenset-of-ints": ["fs", _colliding_ints(5000)],
    "dict-keys": ["d", [[k, 0] for k in _colliding_ints(5000)]],
    "set-of-complex": ["s", _colliding_complex(5000)],
    "set-of-tuples": ["s", [["t", [k, 1]] for k in _colliding_ints(5000)]],
    "nested-in-a-list": ["l", [0, ["d", [[["t", [k]], 0] for k in _colliding_ints(5000)]]]],
}


@pytest.mark.parametrize("name", list(FLOODS))
def test_keys_that_share_one_hash_are_refused(name: str) -> None:
    with pytest.raises(CodecError, match="hash"):
        _decode(FLOODS[name])


def _column() -> list[Any]:
    return ["sr", None, ["ri", 0, 1, 1, None], ["l", [0]], "object"]


BOMBS = {
    "many-values": ["l", [0] * 4_000_001],  # more than codec.MAX_NODES
    "many-columns": ["df", ["ri", 0, 20_000, 1, None], ["ri", 0, 1, 1, None],
                     [_column()] * 20_000],
    "many-series": ["l", [_column()] * 20_000],
    "many-indexes": ["l", [["ix", ["l", [0]], None, "int64"]] * 20_000],
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_a_frame_over_the_budget_is_refused(name: str) -> None:
    assert codec.MAX_NODES <= 4_000_000
    with pytest.raises(CodecError, match="budget"):
        _decode(BOMBS[name])


def test_an_oversized_header_is_refused_before_parsing() -> None:
    import socket

    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall(b"NLF1" + (codec.MAX_HEADER + 1).to_bytes(4, "little"))
        with pytest.raises(CodecError, match="too large"):
            codec.recv_frame(ours)


def _roundtrip(value: Any) -> Any:
    encoder = Encoder(_no_handles)
    tree = encoder.encode(value)
    return _decode(json.loads(json.dumps(tree)), encoder.buffers)


def test_honest_large_values_still_cross() -> None:
    ints = set(range(100_000))
    assert _roundtrip(ints) == ints
    path = {(r, c): r * c for r in range(200) for c in range(200)}
    assert _roundtrip(path) == path
    floats = [i / 7 for i in range(200_000)]
    assert _roundtrip(floats) == floats
    frame = pd.DataFrame(np.arange(500_000).reshape(10_000, 50))
    pd.testing.assert_frame_equal(_roundtrip(frame), frame)
    series = [pd.Series([i, i + 1]) for i in range(1000)]
    assert all(a.equals(b) for a, b in zip(_roundtrip(series), series, strict=True))
    few = {k * P for k in range(1, 9)} | {1.0, 2.0**61}  # a few equal hashes are fine
    assert _roundtrip(few) == few
    frames = [{"move": i % 3 - 1, "jump": False, "vy": 0.0} for i in range(5000)]
    assert _roundtrip(frames) == frames  # equal keys in many dicts (sprite-animation)
    spread = [{k * P for k in range(j, j + 60)} for j in range(1, 6000, 60)]
    assert _roundtrip(spread) == spread  # at most 64 per set: a bounded cost each


def test_a_frame_of_the_budget_is_small() -> None:
    """The budget is a bound on the judge's work, not a stand-in: a frame can carry it."""
    assert len(pack(["l", [0] * 1000], [])) < 4000


# -- the review's reproducers, in a real batch ------------------------------------------------

LABS = Path(__file__).resolve().parents[2] / "labs"
#: learner code that replaces the worker's replies to number/tuple answers by a prebuilt
#: frame (``{payload}``: its JSON "ok" value)
FORGE = r'''
import sys, struct
_w = sys.modules["graders.remote.worker"]
_head = b'{"ok":' + {payload} + b',"stderr":false}'
_BIG = b"NLF1" + struct.pack("<I", len(_head)) + _head + struct.pack("<I", 0)
_orig = _w.send_frame
def _send(sock, body, buffers=None):
    ok = body.get("ok", None)
    if type(ok) in (int, float) or (type(ok) is list and ok and ok[0] == "t"):
        sock.sendall(_BIG)
        return
    return _orig(sock, body, buffers)
_w.send_frame = _send
'''
PAYLOADS = {
    "hash-flood": "b'[\"s\",[' + b','.join(str(k * ((1 << 61) - 1)).encode() "
                  "for k in range(1, 250_001)) + b']]'",
    "many-columns": "b'[\"df\",[\"ri\",0,180000,1,null],[\"ri\",0,1,1,null],[' + "
                    "b','.join([b'[\"sr\",null,[\"ri\",0,1,1,null],[\"l\",[0]],"
                    "\"object\"]'] * 180_000) + b']]'",
}


def test_costly_frames_fail_the_tests_at_once_and_are_no_grader_error() -> None:
    from graders.check import submissions_for
    from graders.engine import Grader
    from graders.lab import load_lab
    from graders.submissions import Submission, read_files

    lab = load_lab(LABS / "gamedev/easing-and-physics")
    source = json.loads(lab.notebook.read_text())
    solution, release = submissions_for(lab)

    def attack(name: str, payload: str) -> Submission:
        nb = json.loads(json.dumps(source))
        nb["cells"].insert(0, {"cell_type": "code", "metadata": {}, "execution_count": None,
                               "outputs": [], "source": FORGE.replace("{payload}", payload)})
        files = {**read_files(lab.source_dir), f"{lab.id}.ipynb": json.dumps(nb).encode()}
        return Submission(name, lab.path, files=files)

    subs = [release, solution, *(attack(n, p) for n, p in PAYLOADS.items())]
    with Grader(lab, workers=2) as grader:
        blank, honest, *attacks = grader.grade_all(subs)
    assert honest["error"] is None and honest["score"] == honest["max_score"]
    for record in attacks:
        assert record["error"] is None, (record["learner"], record["error"])
        assert record["score"] <= blank["score"], record["learner"]
