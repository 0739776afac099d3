"""Shape-strict comparison helpers in the judge: plain data never passes vacuously.

``pytest.approx(4.0) == np.array([])`` is ``all([])``, true; ``np.allclose([], 4.0)`` too.
In the judge, ``approx(scalar)`` equals only a scalar, and numpy's comparison helpers refuse
operands that only match by broadcasting: an empty array against anything non-empty, or two
arrays of different shapes (a non-empty array against a scalar is still allowed:
``np.allclose(poses[:, 1:], 0.0)``).
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


def _strict(compare: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(compare)
    def strict(a: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
        check_shapes(a, b)
        return compare(a, b, *args, **kwargs)
    strict.northlab_strict = True  # type: ignore[attr-defined]
    return strict


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
    """Make the judge's comparison helpers shape-strict (idempotent)."""
    ApproxScalar.__eq__ = _approx_scalar_eq  # type: ignore[method-assign]
    for module, names in STRICT_NUMPY:
        for name in names:
            compare = getattr(module, name)
            if not getattr(compare, "northlab_strict", False):
                setattr(module, name, _strict(compare))
