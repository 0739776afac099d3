"""A safe codec for values crossing between the sandboxed worker and the trusted judge.

Only plain data crosses as values: None, bool, int, float, complex, str, bytes, list,
tuple, dict, set, frozenset, numpy arrays of non-object dtype and numpy scalars, pandas
DataFrame / Series / Index. Types are checked *exactly* (``type(x) is int``), so a
subclass with a lying ``__eq__`` never crosses as a value. Everything else is encoded by
a callback as a bare *handle* ``["h", id]``: an id the other side can ask about, with no
module, class or function name attached. Decoding builds objects from plain JSON and raw
byte buffers only: no pickle, no imports, no attribute lookups driven by the peer, and the
only names the peer may send (dtypes of arrays and pandas columns) are checked against
fixed lists before the judge's numpy or pandas sees them. Decoding has a cost budget: a
frame decodes to at most :data:`MAX_NODES` values (a pandas object counts
:data:`PANDAS_COST`), its JSON header is at most :data:`MAX_HEADER` bytes, and set members
or dict keys of which more than :data:`MAX_SAME_HASH` in one set or dict share one hash
(a hash flood: ints
that differ by a multiple of 2**61 - 1, crafted complex numbers or tuples) are refused
before any set or dict is built.

A frame on the wire: ``b"NLF1"``, u32 header length, JSON header, u32 buffer count, then
for each buffer a u64 length and its bytes.
"""

from __future__ import annotations

import json
import math
import re
import socket
import struct
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

MAGIC = b"NLF1"
MAX_FRAME = 64 * 1024 * 1024  #: largest message either side accepts
MAX_HEADER = 32 * 1024 * 1024  #: largest JSON header (parsed before any other check)
MAX_DEPTH = 64
MAX_NODES = 4_000_000  #: values one frame may decode to
PANDAS_COST = 256  #: what a Series, Index or DataFrame counts against MAX_NODES
MAX_SAME_HASH = 64  #: members / keys of one set or dict that may share one hash

PLAIN_SCALARS = (type(None), bool, int, float, str)
NUMPY_SCALARS = frozenset(
    t for t in set(np.sctypeDict.values())
    if issubclass(t, np.generic) and t not in (np.object_, np.void)
)
SAFE_KINDS = set("biufcSUmM")
#: pandas extension dtypes a Series/Index may name; any other name decodes as object
PANDAS_DTYPES = frozenset({
    "category", "string", "boolean", "Float32", "Float64", "datetime64[ns, UTC]",
    *(f"{sign}Int{bits}" for sign in ("", "U") for bits in (8, 16, 32, 64)),
})
NUMPY_DTYPE_NAME = re.compile(
    r"^(bool|object|u?int(8|16|32|64)|float(16|32|64)|complex(64|128)|[<>|]?[USbiufcmM]\d*"
    r"|(datetime|timedelta)64\[(ns|us|ms|s|D)\])$")


class CodecError(ValueError):
    """A frame or value that is not allowed on the wire."""


class PeerGone(ConnectionError):
    """The other side closed the connection (it exited or was stopped)."""


def _dtype(text: str) -> np.dtype:
    dtype = np.dtype(text)
    if dtype.kind not in SAFE_KINDS or dtype.hasobject or dtype.fields:
        raise CodecError(f"dtype {text!r} is not allowed")
    return dtype


class Encoder:
    """Turn a value into a JSON-able tree plus byte buffers."""

    def __init__(self, other: Callable[[Any], Any],
                 arrays: tuple[type, ...] = (np.ndarray,),
                 pandas_views: tuple[type, type] | None = None) -> None:
        self.other = other
        self.arrays = arrays  #: exact types sent as numpy arrays
        #: exact types sent as a pandas Series / DataFrame
        self.series = (pd.Series, *(pandas_views or ())[:1])
        self.frames = (pd.DataFrame, *(pandas_views or ())[1:])
        self.buffers: list[bytes] = []

    def _buffer(self, data: bytes) -> int:
        self.buffers.append(data)
        return len(self.buffers) - 1

    def encode(self, obj: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise CodecError("value nested too deeply")
        kind = type(obj)
        if kind is float and not math.isfinite(obj):
            return ["f", repr(obj)]
        if kind in PLAIN_SCALARS:
            return obj
        d = depth + 1
        if kind is list:
            return ["l", [self.encode(x, d) for x in obj]]
        if kind is tuple:
            return ["t", [self.encode(x, d) for x in obj]]
        if kind is dict:
            return ["d", [[self.encode(k, d), self.encode(v, d)] for k, v in obj.items()]]
        if kind is set or kind is frozenset:
            return ["s" if kind is set else "fs", [self.encode(x, d) for x in obj]]
        if kind is bytes:
            return ["b", self._buffer(obj)]
        if kind is complex:
            return ["c", repr(obj.real), repr(obj.imag)]
        if kind in self.arrays and obj.dtype.kind in SAFE_KINDS and not obj.dtype.fields:
            data = np.ascontiguousarray(obj).tobytes()
            return ["nd", obj.dtype.str, list(obj.shape), self._buffer(data)]
        if kind in NUMPY_SCALARS:
            return ["ng", obj.dtype.str, self._buffer(obj.tobytes())]
        if kind in self.frames:
            return ["df", self.encode(obj.columns, d), self.encode(obj.index, d),
                    [self.encode(obj.iloc[:, i], d) for i in range(obj.shape[1])]]
        if kind in self.series:
            return ["sr", self.encode(obj.name, d), self.encode(obj.index, d),
                    self._values(obj.array, obj.dtype, d), str(obj.dtype)]
        if kind is pd.RangeIndex:
            return ["ri", obj.start, obj.stop, obj.step, self.encode(obj.name, d)]
        if kind is pd.MultiIndex:
            return ["mi", [self.encode(tuple(t), d) for t in obj], [
                self.encode(n, d) for n in obj.names]]
        if kind in (pd.Index, pd.DatetimeIndex):
            return ["ix", self._values(obj.array, obj.dtype, d), self.encode(obj.name, d),
                    str(obj.dtype)]
        return self.other(obj)

    def _values(self, array: Any, dtype: Any, depth: int) -> Any:
        if isinstance(dtype, np.dtype) and dtype.kind in SAFE_KINDS:
            return self.encode(np.asarray(array), depth)
        return ["l", [self.encode(_unbox(x), depth) for x in array]]


def _unbox(value: Any) -> Any:
    """pandas hands out Timestamps/NA in object arrays; send their plain equivalents."""
    if value is pd.NA or value is pd.NaT:
        return None
    if type(value) is pd.Timestamp:
        return np.datetime64(value.value, "ns")
    return value


class Decoder:
    """Build values from a JSON tree and buffers; ``handle`` maps a handle tag to an object,
    ``array_view`` (if given) is the ndarray subclass arrays are decoded as, and
    ``pandas_views`` the (Series, DataFrame) subclasses pandas objects are decoded as."""

    def __init__(self, buffers: list[bytes], handle: Callable[[list[Any]], Any],
                 array_view: type | None = None,
                 pandas_views: tuple[type, type] | None = None) -> None:
        self.buffers = buffers
        self.handle = handle
        self.array_view = array_view
        self.series, self.frame = pandas_views or (pd.Series, pd.DataFrame)
        self.nodes = 0  #: what this frame has cost so far (at most MAX_NODES)

    def _spend(self, cost: int) -> None:
        self.nodes += cost
        if self.nodes > MAX_NODES:
            raise CodecError("value too large to check (over the decoding budget)")

    @staticmethod
    def _keys(keys: list[Any]) -> list[Any]:
        """``keys`` if no hash is shared by too many members of this one set or dict (built
        from them it would cost quadratic time; many small ones cost at most
        ``MAX_SAME_HASH`` probes per key); hashes are ints below 2**61, whose own hashes
        are distinct, so this count cannot be flooded itself."""
        counts: dict[int, int] = {}
        for key in keys:
            try:
                value = hash(key)
            except TypeError:
                continue  # unhashable: building the set fails as malformed
            count = counts.get(value, 0) + 1
            if count > MAX_SAME_HASH:
                raise CodecError("too many set members or dict keys share one hash")
            counts[value] = count
        return keys

    def _buf(self, index: Any) -> bytes:
        if type(index) is not int or not 0 <= index < len(self.buffers):
            raise CodecError("bad buffer reference")
        return self.buffers[index]

    def decode(self, tree: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise CodecError("value nested too deeply")
        self._spend(1)
        if type(tree) in PLAIN_SCALARS:
            return tree
        if type(tree) is not list or not tree or type(tree[0]) is not str:
            raise CodecError("malformed value")
        tag, args, d = tree[0], tree[1:], depth + 1
        if tag in ("sr", "df", "ix", "mi", "ri"):
            self._spend(PANDAS_COST)
        try:
            return self._decode(tag, args, d)
        except CodecError:
            raise
        except (TypeError, ValueError, IndexError, KeyError, OverflowError) as exc:
            raise CodecError(f"malformed {tag!r} value: {exc}") from None

    def _items(self, items: Any, depth: int) -> list[Any]:
        if type(items) is not list:
            raise CodecError("malformed container")
        return [self.decode(x, depth) for x in items]

    def _decode(self, tag: str, args: list[Any], d: int) -> Any:
        if tag == "l":
            return self._items(args[0], d)
        if tag == "t":
            return tuple(self._items(args[0], d))
        if tag == "s":
            return set(self._keys(self._items(args[0], d)))
        if tag == "fs":
            return frozenset(self._keys(self._items(args[0], d)))
        if tag == "d":
            if type(args[0]) is not list:
                raise CodecError("malformed container")
            pairs = [(self.decode(k, d), self.decode(v, d)) for k, v in args[0]]
            self._keys([k for k, _ in pairs])
            return dict(pairs)
        if tag == "f":
            if args[0] not in ("nan", "inf", "-inf"):
                raise CodecError("bad float")
            return float(args[0])
        if tag == "c":
            return complex(float(args[0]), float(args[1]))
        if tag == "b":
            return bytes(self._buf(args[0]))
        if tag == "nd":
            dtype, shape = _dtype(args[0]), args[1]
            if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
                raise CodecError("bad array shape")
            array = np.frombuffer(self._buf(args[2]), dtype=dtype).reshape(shape).copy()
            return array if self.array_view is None else array.view(self.array_view)
        if tag == "ng":
            return np.frombuffer(self._buf(args[1]), dtype=_dtype(args[0]))[0]
        if tag == "sr":
            index = self.decode(args[1], d)
            return self.series(self._column(args[2], args[3], d), index=index,
                               name=self.decode(args[0], d))
        if tag == "df":
            columns = self.decode(args[0], d)
            data = [self.decode(c, d) for c in args[2]]
            if not all(type(s) is self.series for s in data):
                raise CodecError("bad DataFrame column")
            frame = self.frame(pd.concat(data, axis=1) if data else None)
            frame.index = self.decode(args[1], d)
            frame.columns = columns
            return frame
        if tag == "ri":
            start, stop, step = (int(x) for x in args[:3])
            return pd.RangeIndex(start, stop, step, name=self.decode(args[3], d))
        if tag == "mi":
            return pd.MultiIndex.from_tuples(self._items(args[0], d),
                                             names=self._items(args[1], d))
        if tag == "ix":
            return pd.Index(self._column(args[0], args[2], d), name=self.decode(args[1], d))
        if tag == "h":
            return self.handle(tree_of(tag, args))
        raise CodecError(f"unknown tag {tag!r}")

    def _column(self, values: Any, dtype: Any, d: int) -> Any:
        decoded = self.decode(values, d)
        if isinstance(decoded, np.ndarray):
            decoded = decoded.view(np.ndarray)  # pandas keeps its own arrays
        if type(dtype) is not str or len(dtype) > 64:
            raise CodecError("bad dtype")
        wanted = _column_dtype(dtype)
        if wanted is None or (isinstance(wanted, np.dtype) and (
                wanted.hasobject or wanted.kind not in SAFE_KINDS)):
            return pd.array(decoded, dtype=object) if type(decoded) is list else decoded
        try:
            return pd.array(decoded, dtype=wanted)
        except (TypeError, ValueError):
            return decoded


def _column_dtype(name: str) -> Any:
    """The judge's dtype for a column's dtype name, from the fixed lists only (else None)."""
    if name in PANDAS_DTYPES:
        return pd.api.types.pandas_dtype(name)
    if NUMPY_DTYPE_NAME.match(name):
        try:
            return np.dtype(name)
        except TypeError:
            return None
    return None


def tree_of(tag: str, args: list[Any]) -> list[Any]:
    return [tag, *args]


# -- frames on a stream socket ------------------------------------------------------------

def pack(header: Any, buffers: list[bytes]) -> bytes:
    head = json.dumps(header, separators=(",", ":")).encode()
    parts = [MAGIC, struct.pack("<I", len(head)), head, struct.pack("<I", len(buffers))]
    for buf in buffers:
        parts += [struct.pack("<Q", len(buf)), buf]
    return b"".join(parts)


def frame_fits(header: Any, buffers: list[bytes], limit: int = MAX_FRAME) -> bool:
    """Whether the frame of ``header`` and ``buffers`` is one :func:`recv_frame` accepts
    (its encoded JSON header, not the size of what it was made from)."""
    head = len(json.dumps(header, separators=(",", ":")))
    return head <= min(limit, MAX_HEADER) and head + sum(map(len, buffers)) <= limit


def send_frame(sock: socket.socket, header: Any, buffers: list[bytes] | None = None) -> None:
    sock.sendall(pack(header, buffers or []))


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks, missing = [], size
    while missing:
        chunk = sock.recv(min(missing, 1 << 20))
        if not chunk:
            raise PeerGone("connection closed")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def recv_frame(sock: socket.socket, limit: int = MAX_FRAME) -> tuple[Any, list[bytes]]:
    """Read one frame; raise :class:`PeerGone` on EOF and :class:`CodecError` if malformed."""
    if _recv_exact(sock, 4) != MAGIC:
        raise CodecError("bad frame")
    (size,) = struct.unpack("<I", _recv_exact(sock, 4))
    if size > min(limit, MAX_HEADER):
        raise CodecError("frame too large")
    try:
        header = json.loads(_recv_exact(sock, size))
    except (ValueError, RecursionError) as exc:
        raise CodecError(f"bad frame header: {exc}") from None
    (count,) = struct.unpack("<I", _recv_exact(sock, 4))
    if count > 1_000_000:
        raise CodecError("too many buffers")
    buffers, total = [], size
    for _ in range(count):
        (length,) = struct.unpack("<Q", _recv_exact(sock, 8))
        total += length
        if total > limit:
            raise CodecError("frame too large")
        buffers.append(_recv_exact(sock, length))
    return header, buffers
