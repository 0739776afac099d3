"""The worker/judge codec: plain data round-trips exactly; nothing else crosses as a value."""

from __future__ import annotations

import math
import socket

import numpy as np
import pandas as pd
import pytest

from graders.remote.codec import (
    CodecError,
    Decoder,
    Encoder,
    PeerGone,
    recv_frame,
    send_frame,
)


def roundtrip(value: object) -> object:
    handles: list[object] = []

    def other(obj: object) -> list:
        handles.append(obj)
        return ["h", len(handles), type(obj).__name__]

    enc = Encoder(other)
    tree = enc.encode(value)
    a, b = socket.socketpair()
    send_frame(a, tree, enc.buffers)
    header, buffers = recv_frame(b)
    return Decoder(buffers, lambda t: ("HANDLE", t[1], t[2])).decode(header)


@pytest.mark.parametrize("value", [
    None, True, 3, 2**100, -1.5, "héllo", b"\x00\xff", [1, [2]], (1, "a"), {"a": {1: 2}},
    {1, 2}, frozenset({"x"}), 1 + 2j, np.float64(2.5), np.int8(-3), np.bool_(True),
])
def test_plain_values_roundtrip(value: object) -> None:
    result = roundtrip(value)
    assert result == value and type(result) is type(value)


def test_special_floats() -> None:
    assert math.isnan(roundtrip(float("nan")))
    assert roundtrip([float("inf"), -float("inf")]) == [float("inf"), -float("inf")]


@pytest.mark.parametrize("array", [
    np.arange(12, dtype="<i4").reshape(3, 4), np.linspace(0, 1, 5), np.array(["ab", "c"]),
    np.array([True, False]), np.array(["2024-01-01"], dtype="datetime64[D]"),
    np.zeros((0, 3)), np.asfortranarray(np.arange(6.0).reshape(2, 3)),
])
def test_arrays_roundtrip(array: np.ndarray) -> None:
    result = roundtrip(array)
    assert type(result) is np.ndarray and result.dtype == array.dtype
    np.testing.assert_array_equal(result, array)
    result.flat[:1] = result.flat[:1]  # decoded arrays are writable copies


def test_pandas_roundtrip() -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": [0.5, None], "c": ["x", "y"]},
                         index=pd.Index(["r1", "r2"], name="row"))
    pd.testing.assert_frame_equal(roundtrip(frame), frame)
    series = pd.Series([1.0, 2.0], index=pd.date_range("2024-01-01", periods=2), name="s")
    pd.testing.assert_series_equal(roundtrip(series), series, check_freq=False)  # freq: dropped
    multi = pd.MultiIndex.from_tuples([(1, "a"), (2, "b")], names=["n", "l"])
    pd.testing.assert_index_equal(roundtrip(multi), multi)
    assert roundtrip(pd.RangeIndex(0, 10, 2)).equals(pd.RangeIndex(0, 10, 2))


def test_subclasses_and_objects_become_handles() -> None:
    class Sneaky(int):
        def __eq__(self, other: object) -> bool:
            return True

    class Frame(pd.DataFrame):
        pass

    assert roundtrip(Sneaky(3))[0] == "HANDLE"
    assert roundtrip([object()])[0][0] == "HANDLE"
    assert roundtrip(np.array([object()], dtype=object))[0] == "HANDLE"
    assert roundtrip(Frame({"a": [1]}))[0] == "HANDLE"
    assert roundtrip(type("D", (dict,), {})())[0] == "HANDLE"


@pytest.mark.parametrize("tree", [
    ["nd", "|O", [1], 0], ["nd", "<f8", [-1], 0], ["b", 5], ["zz"], ["d", "x"], [1, 2],
    ["ng", "V8", 0], ["f", "1e999"],
])
def test_malformed_values_are_refused(tree: list) -> None:
    with pytest.raises(CodecError):
        Decoder([b"\x00" * 8], lambda t: t).decode(tree)


def test_frames_are_bounded_and_eof_is_reported() -> None:
    a, b = socket.socketpair()
    send_frame(a, "x" * 100)
    with pytest.raises(CodecError, match="too large"):
        recv_frame(b, limit=10)
    a.close()
    with pytest.raises((PeerGone, CodecError)):
        recv_frame(b)
    c, d = socket.socketpair()
    c.sendall(b"JUNK")
    with pytest.raises(CodecError):
        recv_frame(d)
