"""Judge side of the remote protocol: a connection to the worker and remote handles.

A :class:`Remote` handle stands for an object that lives in the sandboxed worker.
Attribute access, calls, ``repr``, ``str`` and ``format`` are forwarded; the answers come
back as plain data (or more handles). Inspected as data (``len``, indexing, iteration and
what is built on them: ``list``, ``sum``, ``all``, ``zip``, numpy), a handle answers from
ONE :class:`Snapshot` copied from the worker, so its length, elements and iteration always
agree; a method called through the handle (or an attribute or item set on it) takes a new
one. Comparing, hashing or truth-testing a handle raises
:class:`RemoteComparisonError`: a test must compare plain values, so the learner's
``__eq__`` never decides a test.

Only the judge decides what a value is: a handle is a bare id, and nothing the worker says
about an object (its module, qualified name or type name) ever maps it to a judge-side
function, class or module. Every call on a handle runs in the worker. Library names a
test needs come from the judge's own imports (:mod:`graders.judge.notebook`).
"""

from __future__ import annotations

import builtins
import operator
import socket
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from graders.remote.codec import (
    NUMPY_SCALARS,
    PANDAS_DTYPES,
    CodecError,
    Decoder,
    Encoder,
    PeerGone,
    recv_frame,
    send_frame,
)

_EXCEPTIONS = {
    name: cls for name, cls in vars(builtins).items()
    if isinstance(cls, type) and issubclass(cls, Exception)
    and cls not in (StopIteration, StopAsyncIteration)
}


#: longest learner exception name or message the judge keeps (the worker's own cap runs in
#: the learner's process, so the judge applies its own where it decodes an answer)
MAX_ERROR_TEXT = 2000
MAX_TEXT = 100_000  #: longest ``repr``/``str`` of a learner object the judge keeps
MAX_ERRORS = 50  #: distinct learner exception names a connection remembers


def capped(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last one an ellipsis when cut."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


class WorkerStopped(RuntimeError):
    """The sandboxed worker is gone (a limit stopped it, or the learner's code exited)."""


class RemoteComparisonError(TypeError):
    """A test compared or truth-tested an object living in the learner's sandbox."""


class InconsistentValue(TypeError):
    """A learner object whose ``len()`` and iteration disagree (a test of it fails)."""


class RemoteError(Exception):
    """An exception raised by the learner's code, re-created by name only."""


_remote_classes: dict[str, type] = {}


def remote_exception(name: str, message: str) -> Exception:
    """Re-create a learner exception as a judge-side class: builtin names keep their base
    (so ``pytest.raises(ValueError)`` works); others become :class:`RemoteError`."""
    base = _EXCEPTIONS.get(name)
    if base is None:
        return RemoteError(f"{name}: {message}")
    cls = _remote_classes.get(name)
    if cls is None:
        cls = type(name, (base, RemoteError), {"__module__": "learner"})
        _remote_classes[name] = cls
    try:
        return cls(message)
    except Exception:  # a builtin whose constructor wants other arguments
        return RemoteError(f"{name}: {message}")


class Connection:
    """Request/response channel to the worker; ``stderr_seen`` records worker stderr and
    ``errors`` the distinct names of the learner's exceptions (capped, at most
    :data:`MAX_ERRORS`)."""

    #: the ndarray subclass learner arrays are decoded as (the judge's shape-strict one:
    #: :func:`graders.judge.strict.install`)
    array_view: type | None = None
    #: the (Series, DataFrame) subclasses learner pandas objects are decoded as (the
    #: judge's shape-strict ones), or None
    pandas_views: tuple[type, type] | None = None
    #: judge object -> handle id of the worker's own copy of it (a test cell's function,
    #: a module), or None; set by the judge (:mod:`graders.judge.notebook`). Nothing else
    #: the judge holds can be sent to learner code, and the copy runs in the worker.
    twin: Callable[[Any], int | None] | None = None

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.gone = False
        self.stderr_seen = False
        self.errors: list[str] = []

    def request(self, op: str, **fields: Any) -> Any:
        if self.gone:
            raise WorkerStopped("the sandboxed worker has stopped")
        arrays = (np.ndarray,) if self.array_view is None else (np.ndarray, self.array_view)
        encoder = Encoder(self._encode_local, arrays, self.pandas_views)
        header = {"op": op}
        for key, value in fields.items():
            header[key] = encoder.encode(value) if key in ("args", "kwargs", "key",
                                                          "value") else value
        try:
            send_frame(self.sock, header, encoder.buffers)
            body, buffers = recv_frame(self.sock)
        except (OSError, PeerGone, CodecError) as exc:
            self.gone = True
            raise WorkerStopped("the sandboxed worker has stopped") from exc
        if type(body) is not dict:
            self.gone = True
            raise WorkerStopped("the sandboxed worker sent a malformed answer")
        if body.get("stderr") is True:
            self.stderr_seen = True
        if "err" in body:
            err = body["err"]
            name, message = (str(err[0]), str(err[1])) if type(err) is list and len(err) == 2 \
                else ("RemoteError", "")
            name = self.note_error(name)
            raise remote_exception(name, capped(message, MAX_ERROR_TEXT))
        try:
            return Decoder(buffers, lambda tree: self._handle(tree),
                           self.array_view, self.pandas_views).decode(body.get("ok"))
        except CodecError as exc:
            self.gone = True
            raise WorkerStopped(f"the sandboxed worker sent a malformed value: {exc}") from exc

    def _encode_local(self, obj: Any) -> Any:
        if self.twin is not None and type(obj) not in (Remote, RemoteCallable):
            hid = self.twin(obj)
            if type(hid) is int:
                return ["h", hid]
        return _encode_local(obj)

    def note_error(self, name: str) -> str:
        """Remember the learner exception ``name``; return it capped."""
        name = capped(name, MAX_ERROR_TEXT)
        if len(self.errors) < MAX_ERRORS and name not in self.errors:
            self.errors.append(name)
        return name

    def _handle(self, tree: list[Any]) -> Any:
        if len(tree) == 3 and tree[0] == "h" and type(tree[1]) is int \
                and type(tree[2]) is bool:
            return (RemoteCallable if tree[2] else Remote)(self, tree[1])
        raise CodecError("malformed handle")


def _encode_local(obj: Any) -> Any:
    if type(obj) in (Remote, RemoteCallable):
        return ["h", object.__getattribute__(obj, "_hid")]
    raise CodecError(f"cannot send a {type(obj).__name__} to the learner's code; "
                     "use plain values")


def _refuse(*_: Any) -> Any:
    raise RemoteComparisonError(
        "a test compared an object from the learner's code; tests must compare plain "
        "values (numbers, strings, lists, dicts, arrays, DataFrames)")


#: dunder attributes a test may read on a learner object; the worker answers them. Every
#: other dunder is refused (numpy's ``__array_interface__`` would make the judge read memory
#: at an address the learner chose).
FORWARDED_DUNDERS = frozenset({
    "__doc__", "__name__", "__qualname__", "__module__", "__dict__", "__annotations__",
    # what nbgrader tests read about a learner's functions and classes (issue 19)
    "__wrapped__", "__code__", "__defaults__", "__kwdefaults__", "__func__", "__self__",
    "__signature__", "__text_signature__", "__file__", "__bases__", "__mro__", "__slots__",
    "__all__", "__version__",
    # the learner's own methods, called explicitly: they run in the worker
    "__init__", "__new__", "__call__", "__len__", "__iter__", "__next__", "__getitem__",
    "__setitem__", "__delitem__", "__enter__", "__exit__", "__str__", "__repr__",
    "__add__", "__sub__", "__mul__", "__truediv__", "__floordiv__", "__mod__", "__pow__",
    "__neg__", "__abs__", "__post_init__", "__get__", "__set__", "__set_name__",
})
_OWN = frozenset({"__class__", "_conn", "_hid", "_snap", "_owner"})


def _request(handle: Remote, op: str, **fields: Any) -> Any:
    return object.__getattribute__(handle, "_conn").request(
        op, h=object.__getattribute__(handle, "_hid"), **fields)


class Snapshot:
    """One copy of a learner object as data, taken in one request: a sequence (its
    elements), a mapping (its keys, and the value of each), or an iterator (nothing: it is
    consumed live, one ``next`` at a time, and has no length or index)."""

    def __init__(self, answer: Any) -> None:
        if type(answer) is list and answer == ["iterator"]:
            self.kind, self.items, self.values = "iterator", [], []
            return
        if not (type(answer) is list and len(answer) == 3 and answer[0] in ("seq", "map")
                and type(answer[2]) is list
                and (answer[1] is None or (type(answer[1]) is int and answer[1] >= 0))):
            raise TypeError("the learner's object could not be read as data")
        self.kind, size, entries = answer
        if self.kind == "map":
            if not all(type(e) is list and len(e) == 2 for e in entries):
                raise TypeError("the learner's mapping could not be read as data")
            self.items, self.values = [e[0] for e in entries], [e[1] for e in entries]
        else:
            self.items, self.values = entries, entries
        if size is not None and size != len(self.items):
            raise InconsistentValue(
                f"the learner's object says its len() is {size} but iterating over it "
                f"gives {len(self.items)} items")
        self.size = size

    def __len__(self) -> int:
        if self.kind == "iterator" or self.size is None:
            raise TypeError("this object from the learner's code has no len()")
        return self.size

    def get(self, key: Any) -> tuple[bool, Any]:
        """(True, value) when the snapshot answers ``key``; (False, None): ask the worker."""
        if self.kind == "map":
            for index, known in enumerate(self.items):
                if _same_key(known, key):
                    return True, self.values[index]
            return False, None
        if type(key) is slice or _index(key) is not None:
            if self.kind == "iterator":
                raise TypeError("an iterator from the learner's code cannot be indexed")
            return True, self.items[key if type(key) is slice else _index(key)]
        return False, None


def _index(key: Any) -> int | None:
    if type(key) is bool or isinstance(key, Remote):
        return None
    try:
        return operator.index(key)
    except TypeError:
        return None


def _same_key(known: Any, key: Any) -> bool:
    if isinstance(known, Remote) or isinstance(key, Remote):
        return False
    try:
        return type(known) is type(key) and bool(known == key)
    except Exception:  # noqa: BLE001 - keys that do not compare to a bool: not this one
        return False


def _snapshot(handle: Remote) -> Snapshot:
    """The handle's snapshot, taken on its first inspection as data."""
    snap = object.__getattribute__(handle, "_snap")
    if snap is None:
        snap = Snapshot(_request(handle, "snapshot"))
        object.__setattr__(handle, "_snap", snap)
    return snap


def _changed(handle: Remote | None) -> None:
    """A method of ``handle`` (or of an object reached through its attributes) ran, or an
    attribute or item was set on it: its next inspection as data takes a new snapshot."""
    while handle is not None:
        object.__setattr__(handle, "_snap", None)
        handle = object.__getattribute__(handle, "_owner")


def _text(handle: Remote, op: str) -> str:
    answer = _request(handle, op)
    if type(answer) is not str:
        raise TypeError(f"{op}() of a remote object must give a str")
    return capped(answer, MAX_TEXT)


class Remote:
    """An object living in the sandboxed worker (see module docstring).

    Everything a test can observe about it (attributes, ``repr``, ``str``, ``format``,
    ``dir``, ``len``, indexing, iteration, ``isinstance``, ``callable``) is answered by the
    worker as plain data (``len``, indexing and iteration from one :class:`Snapshot`), or
    refused (comparisons, hashing, truth, ``in``): never a judge-side constant or default.
    """

    __slots__ = ("_conn", "_hid", "_snap", "_owner")

    def __init__(self, conn: Connection, hid: int) -> None:
        object.__setattr__(self, "_conn", conn)
        object.__setattr__(self, "_hid", hid)
        object.__setattr__(self, "_snap", None)
        object.__setattr__(self, "_owner", None)

    def __getattribute__(self, attr: str) -> Any:
        if attr in _OWN:
            return object.__getattribute__(self, attr)
        if attr.startswith("__") and attr.endswith("__") and attr not in FORWARDED_DUNDERS:
            raise AttributeError(attr)
        value = _request(self, "getattr", attr=attr)
        if isinstance(value, Remote):
            object.__setattr__(value, "_owner", self)  # its methods may change this object
        return value

    def __setattr__(self, attr: str, value: Any) -> None:
        _changed(self)
        _request(self, "setattr", attr=attr, value=value)

    def __getitem__(self, key: Any) -> Any:
        known, value = _snapshot(self).get(key)
        return value if known else _request(self, "getitem", key=key)

    def __setitem__(self, key: Any, value: Any) -> None:
        _changed(self)
        _request(self, "setitem", key=key, value=value)

    def __instancecheck__(self, obj: Any) -> bool:
        """``isinstance(x, LearnerClass)``: asked of the worker (the class is the learner's)."""
        answer = _request(self, "isinstance", value=obj)
        if type(answer) is not bool:
            raise TypeError("isinstance() on a remote class must give a bool")
        return answer

    def __len__(self) -> int:
        return len(_snapshot(self))

    def __iter__(self) -> Any:
        snap = _snapshot(self)
        if snap.kind != "iterator":
            yield from list(snap.items)
            return
        iterator = _request(self, "iter")
        while True:
            try:
                yield _request(iterator, "next")
            except StopIteration:
                return
            except RemoteError as exc:
                if type(exc).__name__ == "StopIteration" or "StopIteration" in str(exc)[:14]:
                    return
                raise

    def __next__(self) -> Any:
        """``next()`` on a learner's iterator or generator: it advances in the worker."""
        _changed(self)
        try:
            return _request(self, "next")
        except RemoteError as exc:
            if type(exc).__name__ == "StopIteration" or "StopIteration" in str(exc)[:14]:
                raise StopIteration from None
            raise

    def __repr__(self) -> str:
        return _text(self, "repr")

    def __str__(self) -> str:
        return _text(self, "str")

    def __dir__(self) -> list[str]:
        names = _request(self, "dir")
        if type(names) is not list or any(type(name) is not str for name in names):
            raise TypeError("dir() of a remote object must give a list of str")
        return names

    def __format__(self, spec: str) -> str:
        if spec:
            raise TypeError("a remote object has no format specification; use str()")
        return _text(self, "str")

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse  # type: ignore[assignment]
    __bool__ = __hash__ = __contains__ = _refuse  # type: ignore[assignment]


class RemoteCallable(Remote):
    """A callable object living in the worker (the worker says so: ``callable()`` answers
    like the real object); calling it runs in the worker."""

    __slots__ = ()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return _request(self, "call", args=list(args), kwargs=kwargs)
        finally:
            _changed(object.__getattribute__(self, "_owner"))


class NotPlainData(AssertionError):
    """A learner's reply held a learner object where a test expected plain data (its
    ``repr``/``str`` would be the learner's to write): the test fails."""


def is_handle(value: Any) -> bool:
    """Whether ``value`` is a handle to an object in the worker."""
    return type(value) in (Remote, RemoteCallable)


#: exact scalar types plain data may hold
PLAIN_TYPES = frozenset({type(None), bool, int, float, complex, str, bytes})
#: exact Index types the codec decodes (a MultiIndex is walked apart)
INDEXES = frozenset({pd.Index, pd.RangeIndex, pd.DatetimeIndex, pd.TimedeltaIndex,
                     pd.CategoricalIndex})


def plain_data(value: Any) -> Any:
    """``value`` itself when it is plain data all the way down; raises :class:`NotPlainData`
    otherwise. Only exact types the codec decodes are accepted, and each is walked whole:
    scalars, lists, tuples, sets, dict keys and values, arrays, and pandas Series (name,
    index, values), DataFrames (columns, index, every column), Indexes (name, values) and
    MultiIndexes (names, levels); anything else (a handle, an unknown type) is refused. Its
    ``repr``, ``str`` and ``format`` are then the judge's: a test that reads a reply as text
    (``repr(reply)``, an f-string) reads it through this (``learner.data``)."""
    arrays = {np.ndarray, Connection.array_view}
    series = {pd.Series, *(Connection.pandas_views or ())[:1]}
    frames = {pd.DataFrame, *(Connection.pandas_views or ())[1:]}
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind in PLAIN_TYPES or kind in NUMPY_SCALARS:
            continue
        if kind is dict:
            pending.extend(item.keys())
            pending.extend(item.values())
        elif kind in (list, tuple, set, frozenset):
            pending.extend(item)
        elif kind in arrays:
            pending.extend(_elements(item))
        elif kind in frames:
            pending.extend([item.columns, item.index])
            pending.extend(item.iloc[:, i] for i in range(item.shape[1]))
        elif kind in series:
            pending.extend([item.name, item.index])
            pending.extend(_elements(item))
        elif kind is pd.MultiIndex:
            pending.extend(item.names)
            pending.extend(item.levels)
        elif kind in INDEXES:
            pending.append(item.name)
            pending.extend(_elements(item))
        else:
            raise NotPlainData("the learner's code gave an object where plain data "
                               "(dict, list, str, numbers) was expected")
    return value


def _elements(values: Any) -> list[Any]:
    """What inside an array, Series or Index may be something other than its dtype's own
    values: every element of an object array, the categories of a categorical one."""
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return [dtype.categories]
    if isinstance(dtype, np.dtype) and dtype.hasobject:
        return list(np.asarray(values, dtype=object).ravel())
    if (isinstance(dtype, np.dtype | pd.StringDtype)
            or str(dtype) in PANDAS_DTYPES):
        return []
    return [values]  # an array of a kind the codec never decodes: refused
