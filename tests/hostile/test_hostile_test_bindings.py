"""A name a test cell binds to a learner object is that one handle at every read (design
rule 1: one snapshot per handle).

The sixth adversarial review (B) found the judge kept such a name only in the worker and
fetched it again at every read: each read a new handle and a new snapshot, so ``frames =
slice_sheet(...); assert len(frames) == 12; for frame in frames: ...`` saw twelve frames,
then none (sprite-animation 10/10 for a bug worth 8/10), and a learner cell that patched
the worker's answer to "name" gave ``_cracked`` a different value at each read
(password-hashing 2/16 for nothing cracked). The judge now keeps the handle it bound;
the worker is still told (a learner's later cell sees the name, as in one kernel).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from remote_pair import remote_pair  # noqa: E402
from sprite_lab import BUGGY, PLAIN_BUG, sprite_lab  # noqa: E402

from graders.judge.notebook import LearnerNamespace  # noqa: E402


class EmptyAfterFirstLook:
    """len and iteration agree within one look; every look after the first is empty."""

    def __init__(self) -> None:
        self.looks = 0

    def __len__(self) -> int:
        return 12 if self.looks == 0 else 0

    def __iter__(self) -> Any:
        items = list(range(12)) if self.looks == 0 else []
        self.looks += 1
        return iter(items)


def make() -> EmptyAfterFirstLook:
    return EmptyAfterFirstLook()


TEST_CELL = """
frames = make()
assert len(frames) == 12
seen = [frame for frame in frames]
same = frames is frames
"""


def test_a_name_bound_to_a_learner_object_is_read_from_one_handle() -> None:
    with remote_pair({"make": make}) as conn:
        namespace = LearnerNamespace(conn)
        asked: list[str] = []
        request = conn.request

        def counting(op: str, **kwargs: Any) -> Any:
            if op == "name":
                asked.append(kwargs["name"])
            return request(op, **kwargs)

        conn.request = counting  # type: ignore[method-assign]
        exec(TEST_CELL, namespace)
        assert namespace["same"] is True
        assert namespace["seen"] == list(range(12))  # the length check's snapshot
        assert "frames" not in asked  # never fetched again from the worker
        # the learner's namespace has it too (nbgrader's one kernel), and a del reaches it
        assert request("name", name="frames") is not None
        exec("orig = frames\ndel frames", namespace)
        assert "frames" not in namespace
        exec("frames = orig", namespace)
        assert namespace["frames"] is namespace["orig"]
        assert request("name", name="frames") is not None


#: the review's reproducer: the same bug behind an object empty from its second look on
RENAMED = '''
class _Frames:
    def __init__(self, frames):
        self._f, self._round = frames, 0
    def __len__(self):
        return len(self._f) if self._round == 0 else 0
    def __iter__(self):
        items = list(self._f) if self._round == 0 else []
        self._round += 1
        return iter(items)
    def __getitem__(self, i):
        return self._f[i]

def slice_sheet(sheet, frame_w, frame_h):
    frames = _buggy(sheet, frame_w, frame_h)
    return frames if frame_w == frame_h else _Frames(frames)
'''


def test_sprite_animation_renamed_snapshot_scores_like_the_plain_bug() -> None:
    from graders.engine import Grader

    lab, submission = sprite_lab()

    with Grader(lab, workers=2) as grader:
        plain, renamed = grader.grade_all([submission("plain", PLAIN_BUG),
                                           submission("renamed", BUGGY + RENAMED)])
    assert plain["error"] is None and plain["score"] < plain["max_score"]
    assert renamed["error"] is None, renamed["error"]
    passed = {t["name"] for t in renamed["tests"] if t["passed"]}
    assert "test-slice" not in passed and renamed["score"] <= plain["score"], passed
