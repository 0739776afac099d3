"""Two classes found by the adversarial review (2026-11-30), closed in the judge.

- *Plain data that passes comparisons vacuously*: ``pytest.approx(4.0) == np.array([])`` is
  ``all([])``. In the judge, ``approx(scalar)`` equals only a scalar and numpy's comparison
  helpers refuse operands that only match by broadcasting (empty against non-empty,
  different shapes).
- *A handle that behaves differently from the real object*: everything a test can observe
  about a learner object (repr, str, format, len, iteration, attributes such as ``__doc__``)
  is answered by the worker, or refused; never a judge-side constant.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from remote_pair import remote_pair  # noqa: E402

from graders.judge.strict import install  # noqa: E402
from graders.remote.proxy import Remote, RemoteComparisonError  # noqa: E402

install()  # what the judge does at start

EMPTY = [np.array([]), np.zeros((0, 3)), pd.Series([], dtype=float),
         pd.DataFrame({"x": []}), [], ()]
SCALARS = [0.0, 4.0, np.float64(4.0), 1]


@pytest.mark.parametrize("empty", EMPTY, ids=lambda v: type(v).__name__ + str(np.shape(v)))
@pytest.mark.parametrize("expected", SCALARS)
def test_empty_data_never_equals_a_scalar(empty: Any, expected: Any) -> None:
    assert not pytest.approx(expected) == empty
    for compare in (np.allclose, np.isclose, np.array_equal, np.array_equiv,
                    np.testing.assert_allclose, np.testing.assert_array_equal,
                    np.testing.assert_array_almost_equal):
        with pytest.raises(AssertionError):
            assert np.all(compare(empty, expected))


@pytest.mark.parametrize("got", [np.array([4.0]), np.array([4.0, 4.0]), np.full((2, 2), 4.0),
                                 pd.Series([4.0, 4.0]), [4.0, 4.0]])
def test_an_array_never_approx_equals_a_scalar(got: Any) -> None:
    assert not pytest.approx(4.0) == got


@pytest.mark.parametrize(("got", "expected"), [
    (np.array([1.0]), [1.0, 1.0, 1.0]), (np.ones((3, 1)), np.ones(3)),
    (np.ones(2), np.ones(3)), (np.array([]), np.ones(3)), (np.ones(3), np.array([]))])
def test_no_broadcasting_between_shapes(got: Any, expected: Any) -> None:
    for compare in (np.allclose, np.isclose, np.array_equal, np.testing.assert_allclose,
                    np.testing.assert_array_equal, np.testing.assert_almost_equal):
        with pytest.raises(AssertionError):
            assert np.all(compare(got, expected))
        with pytest.raises(AssertionError):
            assert np.all(compare(expected, got))


def test_honest_comparisons_still_work() -> None:
    assert pytest.approx(4.0) == 4.0000000001
    assert np.float64(0.5) == pytest.approx(0.5)
    assert [1.0, 2.0] == pytest.approx([1.0, 2.0])
    assert np.allclose(np.zeros((3, 2)), 0.0)  # a non-empty array against a bound
    assert np.allclose([1.0, 2.0], np.array([1.0, 2.0]))
    assert np.array_equal(np.array([]), np.array([]))
    np.testing.assert_allclose(np.ones((2, 2)), np.ones((2, 2)))
    np.testing.assert_equal({"a": [1, 2]}, {"a": [1, 2]})


class Reply(dict):
    """A learner object (not an exact dict): crosses as a handle."""

    def __repr__(self) -> str:
        return "Reply(" + dict.__repr__(self) + ")"


def documented() -> None:
    """The learner's own docstring."""


def undocumented() -> None:
    pass


class Sneaky:
    def __repr__(self) -> Any:
        return Text("looks fine")

    __str__ = __repr__


class Text(str):
    pass


class Broken:
    def __repr__(self) -> str:
        return str(1 / 0)


def _namespace() -> dict[str, Any]:
    return {"reply": Reply(status=500, body="sqlite3.OperationalError: near 'x'"),
            "documented": documented, "undocumented": undocumented, "sneaky": Sneaky(),
            "broken": Broken(),
            "team": Reply(a=1, b=2)}


def _get(conn: Any, name: str) -> Any:
    value = conn.request("name", name=name)
    assert type(value) is Remote
    return value


def test_repr_str_format_come_from_the_worker() -> None:
    with remote_pair(_namespace()) as conn:
        reply = _get(conn, "reply")
        real = "Reply({'status': 500, 'body': \"sqlite3.OperationalError: near 'x'\"})"
        assert repr(reply) == real
        assert str(reply) == real
        assert f"{reply}" == real and format(reply) == real and str.format("{}", reply) == real
        assert "sqlite" in repr(reply).lower()  # the lab's leak check sees the leak
        with pytest.raises(TypeError):
            format(reply, ">80")


def test_repr_is_plain_text_and_a_failing_repr_fails() -> None:
    with remote_pair(_namespace()) as conn:
        sneaky = _get(conn, "sneaky")
        for observe in (repr, str, format):
            assert type(observe(sneaky)) is str and observe(sneaky) == "looks fine"
        with pytest.raises(ZeroDivisionError):
            repr(_get(conn, "broken"))


def test_attributes_come_from_the_worker() -> None:
    with remote_pair(_namespace()) as conn:
        assert _get(conn, "documented").__doc__ == "The learner's own docstring."
        assert _get(conn, "undocumented").__doc__ is None
        assert _get(conn, "documented").__name__ == "documented"
        assert _get(conn, "documented").__module__ == __name__
        assert _get(conn, "reply").__doc__ == Reply.__doc__
        for attr in ("__array_interface__", "__array__", "__reduce_ex__", "__getstate__"):
            with pytest.raises(AttributeError):
                getattr(_get(conn, "reply"), attr)


def test_len_iter_come_from_the_worker_and_truth_is_refused() -> None:
    with remote_pair(_namespace()) as conn:
        team = _get(conn, "team")
        assert len(team) == 2 and list(team) == ["a", "b"]
        for refused in (bool, hash, lambda t: "a" in t, lambda t: t == {"a": 1, "b": 2},
                        lambda t: t != {}, lambda t: t < 1):
            with pytest.raises(RemoteComparisonError):
                refused(team)
