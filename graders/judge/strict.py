"""Shape-strict comparison helpers in the judge: plain data never passes vacuously.

``pytest.approx(4.0) == np.array([])`` is ``all([])``, true; ``np.allclose([], 4.0)`` too.
In the judge, ``approx(scalar)`` equals only a scalar, and numpy's comparison helpers refuse
operands that only match by broadcasting: an empty array against anything non-empty, or two
arrays of different shapes (a non-empty array against a scalar is still allowed:
``np.allclose(poses[:, 1:], 0.0)``). Arrays that come from the learner's code are
:class:`LearnerArray`: ``==``, ``<``... (and ``np.equal``...) on them follow the same rule,
and what is computed from them (slices, arithmetic, comparison results) stays one.
Series and DataFrames from the learner's code are :class:`LearnerSeries` /
:class:`LearnerDataFrame`: their comparisons (``==``, ``.eq()``...) follow the same rule,
and ``all()`` (``np.all`` too) over one with no elements is refused instead of answering
True, so ``(out["temp"] >= -50).all()`` on an empty frame fails.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from _pytest.approx import ApproxScalar

ARRAY_LIKE = (np.ndarray, np.generic, list, tuple, pd.Series, pd.DataFrame, pd.Index, int,
              float, complex)


class ShapeMismatch(AssertionError):
    """A comparison whose operands only match by broadcasting."""


def _shape(value: Any) -> tuple[int, ...] | None:
    """The shape of plain array-like data; None for anything else (handles, ragged lists)."""
    if not isinstance(value, ARRAY_LIKE):
        return None
    try:
        return np.shape(value)
    except ValueError:
        return None


def check_shapes(a: Any, b: Any) -> None:
    """Refuse ``a`` against ``b`` unless they have one shape, or one is a scalar and the
    other is not empty."""
    shape_a, shape_b = _shape(a), _shape(b)
    if shape_a is None or shape_b is None or shape_a == shape_b:
        return
    sizes = (int(np.prod(shape_a)), int(np.prod(shape_b)))
    if (shape_a == () or shape_b == ()) and 0 not in sizes:
        return
    raise ShapeMismatch(f"shapes {shape_a} and {shape_b} do not match")


COMPARISONS = frozenset({np.equal, np.not_equal, np.less, np.less_equal, np.greater,
                         np.greater_equal})


def _base(value: Any) -> Any:
    return value.view(np.ndarray) if isinstance(value, LearnerArray) else value


class LearnerArray(np.ndarray):
    """A numpy array decoded from the learner's code: its element-wise comparisons refuse
    operands that only match by broadcasting (:func:`check_shapes`)."""

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any
                        ) -> Any:
        if ufunc in COMPARISONS and method == "__call__" and len(inputs) == 2:
            check_shapes(*inputs)
        if "out" in kwargs:
            kwargs["out"] = tuple(_base(x) for x in kwargs["out"])
        result = getattr(ufunc, method)(*(_base(x) for x in inputs), **kwargs)
        if type(result) is tuple:
            return tuple(_learner(x) for x in result)
        return _learner(result)


def _learner(value: Any) -> Any:
    return value.view(LearnerArray) if type(value) is np.ndarray else value


def _vacuous(value: Any) -> None:
    """Refuse ``all()`` over a learner object with no elements (it would answer True)."""
    if value.size == 0:
        raise ShapeMismatch(f"all() over empty data (shape {value.shape}) is vacuously true")


def _plain(value: Any) -> Any:
    """A learner pandas object as its base pandas type (anything else unchanged)."""
    if isinstance(value, LearnerSeries):
        return pd.Series(value)
    if isinstance(value, LearnerDataFrame):
        return pd.DataFrame(value)
    return value


def _strict_method(base: type, name: str) -> Callable[..., Any]:
    """``base``'s comparison ``name``, refusing operands that only match by broadcasting."""
    compare = getattr(base, name)

    def method(self: Any, other: Any, *args: Any, **kwargs: Any) -> Any:
        check_shapes(self, other)
        return compare(self, other, *args, **kwargs)
    method.__name__ = name
    return method


PANDAS_COMPARISONS = ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__",
                      "eq", "ne", "lt", "le", "gt", "ge")


class _LearnerPandas:
    """What a learner's Series and DataFrame share: ``all()`` over no elements is refused
    and their numpy views are :class:`LearnerArray`."""

    def all(self, *args: Any, **kwargs: Any) -> Any:
        _vacuous(self)
        return super().all(*args, **kwargs)  # type: ignore[misc]

    def to_numpy(self, *args: Any, **kwargs: Any) -> Any:
        return _learner(super().to_numpy(*args, **kwargs))  # type: ignore[misc]

    @property
    def values(self) -> Any:
        return _learner(super().values)  # type: ignore[misc]


class LearnerSeries(_LearnerPandas, pd.Series):
    """A pandas Series decoded from the learner's code: comparisons follow
    :func:`check_shapes`, ``all()`` over no elements is refused, and what is derived from it
    stays one."""

    _metadata: list[str] = []

    @property
    def _constructor(self) -> type:
        return LearnerSeries

    @property
    def _constructor_expanddim(self) -> type:
        return LearnerDataFrame


class LearnerDataFrame(_LearnerPandas, pd.DataFrame):
    """A pandas DataFrame decoded from the learner's code (as :class:`LearnerSeries`)."""

    _metadata: list[str] = []

    @property
    def _constructor(self) -> type:
        return LearnerDataFrame

    @property
    def _constructor_sliced(self) -> type:
        return LearnerSeries


for _learner_type, _base_type in ((LearnerSeries, pd.Series), (LearnerDataFrame, pd.DataFrame)):
    for _name in PANDAS_COMPARISONS:
        setattr(_learner_type, _name, _strict_method(_base_type, _name))


def _strict(compare: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(compare)
    def strict(a: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
        check_shapes(a, b)
        return compare(a, b, *args, **kwargs)
    strict.northlab_strict = True  # type: ignore[attr-defined]
    return strict


def _on_plain(compare: Callable[..., Any]) -> Callable[..., Any]:
    """pandas' ``assert_*_equal`` on the base types (they check types exactly; the shapes
    they check themselves)."""
    @functools.wraps(compare)
    def plain(a: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
        return compare(_plain(a), _plain(b), *args, **kwargs)
    plain.northlab_strict = True  # type: ignore[attr-defined]
    return plain


def _approx_scalar_eq(self: ApproxScalar, actual: Any) -> bool:
    if _shape(actual) not in (None, ()):
        return False
    return _stock_approx_eq(self, actual)


_stock_approx_eq = ApproxScalar.__eq__
STRICT_NUMPY = (
    (np, ("allclose", "isclose", "array_equal", "array_equiv")),
    (np.testing, ("assert_allclose", "assert_array_equal", "assert_array_almost_equal",
                  "assert_almost_equal", "assert_equal")),
)


def install() -> None:
    """Make the judge's comparison helpers, and arrays decoded from the learner's code,
    shape-strict (idempotent)."""
    from graders.remote.proxy import Connection

    Connection.array_view = LearnerArray
    Connection.pandas_views = (LearnerSeries, LearnerDataFrame)
    ApproxScalar.__eq__ = _approx_scalar_eq  # type: ignore[method-assign]
    for module, names in STRICT_NUMPY:
        for name in names:
            compare = getattr(module, name)
            if not getattr(compare, "northlab_strict", False):
                setattr(module, name, _strict(compare))
    for name in ("assert_series_equal", "assert_frame_equal"):
        compare = getattr(pd.testing, name)
        if not getattr(compare, "northlab_strict", False):
            setattr(pd.testing, name, _on_plain(compare))
