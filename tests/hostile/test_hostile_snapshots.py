"""A learner object is inspected as data through ONE snapshot (design rule 1).

The second adversarial review (F1) gave 10/10 on sprite-animation to a buggy ``slice_sheet``
whose result said ``len() == 12`` while iterating over it yielded nothing: every check in
the test's loop was skipped. Whatever a learner object's ``__len__``, ``__getitem__`` and
``__iter__`` answer, the judge's ``len``, indexing, iteration, ``list``, ``sum``, ``all``,
``zip`` and numpy conversion of a handle agree with each other (or refuse).
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from remote_pair import remote_pair  # noqa: E402
from sprite_lab import BUGGY, PLAIN_BUG, sprite_lab  # noqa: E402

from graders.remote.proxy import Remote  # noqa: E402

GOOD = [10, 20, 30]


class IterEmpty:
    """The review's reproducer: len and indexing right, iteration yields nothing."""

    def __len__(self) -> int:
        return 3

    def __getitem__(self, i: int) -> int:
        return GOOD[i]

    def __iter__(self) -> Any:
        return iter(())


class LenLies:
    def __len__(self) -> int:
        return 12

    def __getitem__(self, i: int) -> int:
        return GOOD[i]

    def __iter__(self) -> Any:
        return iter(GOOD)


class IndexLies:
    def __len__(self) -> int:
        return 3

    def __getitem__(self, i: int) -> int:
        return 99

    def __iter__(self) -> Any:
        return iter(GOOD)


class Drifting:
    """Each question gets a different answer (a counter of calls)."""

    def __init__(self) -> None:
        self.calls = itertools.count(1)

    def __len__(self) -> int:
        return next(self.calls)

    def __getitem__(self, i: int) -> int:
        if i >= next(self.calls):
            raise IndexError(i)
        return i

    def __iter__(self) -> Any:
        return iter(range(next(self.calls) % 3))


class IteratorWithLen:
    """Claims to be an iterator (``__next__``) and has a lying ``__len__``."""

    def __iter__(self) -> Any:
        return self

    def __next__(self) -> int:
        raise StopIteration

    def __len__(self) -> int:
        return 3

    def __getitem__(self, i: int) -> int:
        return GOOD[i]


LIARS = [IterEmpty, LenLies, IndexLies, Drifting, IteratorWithLen]


def _fetch(conn: Any, name: str) -> Any:
    value = conn.request("name", name=name)
    assert isinstance(value, Remote)
    return value


def _as_numbers(value: Any) -> list[Any]:
    array = np.asarray(value)
    if array.dtype == object:  # not read as a sequence: a test comparing it fails
        raise TypeError("not numbers")
    return array.tolist()


def _observations(value: Any) -> dict[str, Any]:
    """Everything a test can learn about ``value`` as data; a refusal is recorded as such."""
    seen: dict[str, Any] = {}
    probes = {
        "len": len, "len again": len, "list": list, "list again": list,
        "tuple": tuple, "sum": sum, "sorted": sorted,
        "all": lambda v: all(True for _ in v),
        "zip": lambda v: len(list(zip(v, range(99), strict=False))),
        "enumerate": lambda v: [i for i, _ in enumerate(v)],
        "numpy": _as_numbers,
        "reversed": lambda v: list(reversed(v)),
    }
    for name, probe in probes.items():
        try:
            seen[name] = probe(value)
        except Exception:  # noqa: BLE001 - a refusal is fine; disagreement is not
            seen[name] = "refused"
    items = seen["list"]
    seen["index"] = []
    if items != "refused":
        for i in range(-len(items), len(items) + 2):
            try:
                seen["index"].append(value[i])
            except Exception:  # noqa: BLE001
                seen["index"].append("refused")
    return seen


def _consistent(seen: dict[str, Any]) -> None:
    items = seen["list"]
    if items == "refused":
        for name in ("tuple", "sum", "sorted", "all", "zip", "enumerate", "reversed"):
            assert seen[name] == "refused", name
        return
    n = len(items)
    assert seen["list again"] == items
    assert seen["tuple"] in (tuple(items), "refused")
    assert seen["len"] in (n, "refused") and seen["len again"] == seen["len"]
    assert seen["sum"] in (sum(items), "refused")
    assert seen["zip"] in (min(n, 99), "refused")
    assert seen["enumerate"] in (list(range(n)), "refused")
    assert seen["numpy"] in (items, "refused")
    assert seen["reversed"] in (items[::-1], "refused")
    indexed = seen["index"]
    if any(x != "refused" for x in indexed):
        assert indexed[:2 * n] == items + items, "indexing disagrees with iteration"
        assert indexed[2 * n:] == ["refused", "refused"], "indexing past the end"


@pytest.mark.parametrize("liar", LIARS, ids=lambda c: c.__name__)
def test_len_index_and_iteration_of_a_learner_object_agree(liar: type) -> None:
    with remote_pair({"value": liar()}) as conn:
        _consistent(_observations(_fetch(conn, "value")))


@pytest.mark.parametrize("liar", LIARS, ids=lambda c: c.__name__)
def test_a_liar_cannot_pass_the_sprite_loop(liar: type) -> None:
    """The shape of the hidden sprite-animation test: a length check, then every element."""
    with remote_pair({"value": liar()}) as conn:
        frames = _fetch(conn, "value")
        try:
            assert len(frames) == 3
            checked = 0
            for k, frame in enumerate(frames):
                assert frame == GOOD[k]
                checked += 1
        except (AssertionError, TypeError, IndexError):
            return  # the test fails: fine
        assert checked == 3, "the test passed without checking every element"


class Team:
    def __init__(self) -> None:
        self.names: list[str] = []

    def add(self, name: str) -> None:
        self.names.append(name)

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, i: int) -> str:
        return self.names[i]

    def __iter__(self) -> Any:
        return iter(self.names)


def add_to(team: Team, name: str) -> None:
    team.names.append(name)


def test_a_method_call_through_the_handle_takes_a_new_snapshot() -> None:
    with remote_pair({"team": Team(), "add_to": add_to}) as conn:
        team = _fetch(conn, "team")
        assert len(team) == 0 and list(team) == []
        team.add("al")
        assert len(team) == 1 and team[0] == "al" and list(team) == ["al"]
        team.names = ["bo", "cy"]
        assert list(team) == ["bo", "cy"] and len(team) == 2


def test_other_learner_calls_do_not_change_a_snapshot() -> None:
    """Like plain values, a handle's data is a copy once inspected: a learner function that
    changes it behind the test's back (here: a helper) is not seen through that handle."""
    with remote_pair({"team": Team(), "add_to": add_to}) as conn:
        team, helper = _fetch(conn, "team"), _fetch(conn, "add_to")
        assert len(team) == 0
        helper(team, "al")
        assert len(team) == 0 and list(team) == []
        assert len(_fetch(conn, "team")) == 1  # fetched again: a new snapshot


def _generator() -> Any:
    yield from GOOD


def test_iterators_stay_lazy_and_have_no_len() -> None:
    with remote_pair({"gen": _generator(), "count": itertools.count()}) as conn:
        gen = _fetch(conn, "gen")
        with pytest.raises(TypeError):
            len(gen)
        assert list(gen) == GOOD and list(gen) == []
        assert list(itertools.islice(_fetch(conn, "count"), 4)) == [0, 1, 2, 3]


def test_mappings_answer_from_one_snapshot() -> None:
    from collections import Counter, OrderedDict

    with remote_pair({"counts": Counter("abca"), "ordered": OrderedDict(b=2, a=1)}) as conn:
        counts = _fetch(conn, "counts")
        assert len(counts) == 3 and sorted(counts) == ["a", "b", "c"]
        assert counts["a"] == 2 and counts["zzz"] == 0  # a missing key is asked live
        ordered = _fetch(conn, "ordered")
        assert list(ordered) == ["b", "a"] and ordered["a"] == 1 and len(ordered) == 2


# -- the review's reproducer on the real lab ---------------------------------------------

LYING_FRAMES = '''
class _Frames:
    def __init__(self, frames, count):
        self._f, self._n = frames, count
    def __len__(self):
        return self._n
    def __getitem__(self, i):
        return self._f[i]
    def __iter__(self):
        return iter({iteration})

def slice_sheet(sheet, frame_w, frame_h):
    frames = _buggy(sheet, frame_w, frame_h)
    h, w = sheet.shape[:2]
    return _Frames(frames, (h // frame_h) * (w // frame_w))
'''


def test_sprite_animation_lying_frames_score_like_the_plain_bug() -> None:
    from graders.engine import Grader

    lab, submission = sprite_lab()

    subs = [submission("plain", PLAIN_BUG)] + [
        submission(f"lying-{i}", BUGGY + LYING_FRAMES.format(iteration=iteration))
        for i, iteration in enumerate(("()", "self._f[:1]", "self._f * 3"))]
    with Grader(lab, workers=2) as grader:
        plain, *lying = grader.grade_all(subs)
    assert plain["error"] is None and plain["score"] < plain["max_score"]
    for record in lying:
        assert record["error"] is None, record["error"]
        passed = {t["name"] for t in record["tests"] if t["passed"]}
        assert "test-slice" not in passed and record["score"] <= plain["score"], passed


# -- plain learner arrays: comparisons are shape-strict --------------------------------------

ARRAYS = {"empty": np.array([]), "empty2d": np.zeros((0, 3)), "one": np.array([4.0]),
          "column": np.full((3, 1), 4.0), "short": np.full(2, 4.0)}


@pytest.mark.parametrize("name", sorted(ARRAYS))
@pytest.mark.parametrize("expected", [4.0, np.full(3, 4.0), np.full((1, 3), 4.0)],
                         ids=["scalar", "row", "row2d"])
def test_a_learner_array_never_matches_by_broadcasting(name: str, expected: Any) -> None:
    from graders.judge.strict import install

    install()
    with remote_pair(dict(ARRAYS)) as conn:
        got = conn.request("name", name=name)
        if np.ndim(expected) == 0 and got.size:
            assert (got == expected).all()  # a non-empty array against a scalar bound
            return
        for check in (lambda: (got == expected).all(), lambda: (expected == got).all(),
                      lambda: np.all(np.equal(got, expected)), lambda: all(got == expected),
                      lambda: not (got != expected).any(), lambda: (got <= expected).all()):
            with pytest.raises((AssertionError, ValueError)):  # ValueError: numpy's own
                assert check()


def test_honest_learner_arrays_compare_and_go_back_to_the_worker() -> None:
    from graders.judge.strict import install

    install()
    image = np.arange(12).reshape(3, 4)
    with remote_pair({"image": image, "total": lambda a: int(a.sum())}) as conn:
        got = conn.request("name", name="image")
        assert (got == image).all() and (got[:, 2:] >= 2).all() and not (got < 0).any()
        assert (got + 1 == image + 1).all() and got.sum() == 66
        assert conn.request("name", name="total")(got[1:]) == 60
