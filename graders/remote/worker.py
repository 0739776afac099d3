"""The request loop that runs *inside* the sandboxed worker, next to the learner's code.

It answers the judge: run a notebook cell, look up a name, import a learner module, and
forward attribute access / calls / indexing / len / iteration on objects it holds. Values
go back through :mod:`graders.remote.codec`; objects that are not plain data stay here and
the judge gets a bare handle id: no module, class or function name travels with it, so
nothing the learner's code labels an object can make the judge treat it as its own. Nothing
in this process is trusted by the judge.
"""

from __future__ import annotations

import builtins
import errno
import importlib
import re
import socket
import time
from typing import Any

from graders.remote.codec import CodecError, Decoder, Encoder, PeerGone, recv_frame, send_frame

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class StderrFlag:
    """A text stream that records whether anything was written (nbgrader fails a test cell
    that writes to stderr) and forwards to ``target``."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.written = False

    def write(self, text: str) -> int:
        if text:
            self.written = True
        return self.target.write(text)

    def flush(self) -> None:
        self.target.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.target, name)


class WorkerServer:
    """Serve the judge's requests on ``sock`` until it closes the connection."""

    def __init__(self, sock: socket.socket, namespace: dict[str, Any], shell: Any = None,
                 stderr: StderrFlag | None = None) -> None:
        self.sock = sock
        self.namespace = namespace
        self.shell = shell
        self.stderr = stderr
        self.handles: dict[int, Any] = {}
        self.next_id = 1
        self.learner_seconds = 0.0

    # -- encoding -----------------------------------------------------------------------
    def _handle(self, obj: Any) -> int:
        hid = self.next_id
        self.next_id += 1
        self.handles[hid] = obj
        return hid

    def _other(self, obj: Any) -> list[Any]:
        """Anything that is not plain data: a handle (an id and whether it is callable, no
        label); ``callable`` reads the type's slot, no learner code runs."""
        return ["h", self._handle(obj), builtins.callable(obj)]

    def _encode(self, value: Any, force_handle: bool = False) -> tuple[Any, list[bytes]]:
        encoder = Encoder(self._other)
        tree = self._other(value) if force_handle else encoder.encode(value)
        return tree, encoder.buffers

    def _resolve(self, tree: list[Any]) -> Any:
        if len(tree) != 2 or tree[0] != "h" or tree[1] not in self.handles:
            raise CodecError("unknown handle")
        return self.handles[tree[1]]

    # -- requests -----------------------------------------------------------------------
    def serve(self) -> None:
        while True:
            try:
                header, buffers = recv_frame(self.sock)
            except PeerGone:
                return
            decoder = Decoder(buffers, self._resolve)
            if self.stderr is not None:
                self.stderr.written = False
            started = time.perf_counter()
            force = False
            try:
                op = header["op"]
                force = op in ("import", "iter")
                value = getattr(self, "op_" + op)(header, decoder)
                reply, out = self._encode(value, force_handle=force)
                body: dict[str, Any] = {"ok": reply}
            except (SystemExit, KeyboardInterrupt, Exception) as exc:  # learner errors travel
                body, out = {"err": [error_name(exc), _message(exc)]}, []
            finally:
                self.learner_seconds += time.perf_counter() - started
            body["stderr"] = bool(self.stderr and self.stderr.written)
            try:
                send_frame(self.sock, body, out)
            except OSError:
                return

    def _obj(self, header: dict[str, Any]) -> Any:
        hid = header.get("h")
        if hid not in self.handles:
            raise LookupError("unknown remote object")
        return self.handles[hid]

    def op_run(self, header: dict[str, Any], decoder: Decoder) -> Any:
        if self.shell is None:
            raise RuntimeError("this worker has no notebook shell")
        result = self.shell.run_cell(str(header["source"]), store_history=False)
        error = result.error_before_exec or result.error_in_exec
        return None if error is None else error_name(error)

    def op_name(self, header: dict[str, Any], decoder: Decoder) -> Any:
        name = str(header["name"])
        if name not in self.namespace:
            raise NameError(f"name '{name}' is not defined")
        return self.namespace[name]

    def op_names(self, header: dict[str, Any], decoder: Decoder) -> Any:
        return [name for name in list(self.namespace)[:100_000] if type(name) is str]

    def op_setname(self, header: dict[str, Any], decoder: Decoder) -> Any:
        """A test cell bound a name (nbgrader's one namespace): bind it here too."""
        self.namespace[str(header["name"])] = decoder.decode(header["value"])

    def op_delname(self, header: dict[str, Any], decoder: Decoder) -> Any:
        """A test cell deleted a name (``del squares``): delete it here too."""
        name = str(header["name"])
        if name not in self.namespace:
            raise NameError(f"name '{name}' is not defined")
        del self.namespace[name]

    def op_define(self, header: dict[str, Any], decoder: Decoder) -> Any:
        """A test cell's own function or class, defined again here from its source (its
        globals are the learner's namespace, as in nbgrader's kernel); nothing is bound."""
        source = str(header["source"])
        if header.get("expression") is True:
            return eval(compile(source, "<test cell>", "eval"), self.namespace)
        scope: dict[str, Any] = {}
        exec(compile(source, "<test cell>", "exec"), self.namespace, scope)
        return scope[str(header["name"])]

    def op_import(self, header: dict[str, Any], decoder: Decoder) -> Any:
        name = str(header["module"])
        if not IDENTIFIER.match(name):
            raise ImportError(f"bad module name {name!r}")
        return importlib.import_module(name)

    def op_getattr(self, header: dict[str, Any], decoder: Decoder) -> Any:
        return getattr(self._obj(header), str(header["attr"]))

    def op_setattr(self, header: dict[str, Any], decoder: Decoder) -> Any:
        setattr(self._obj(header), str(header["attr"]), decoder.decode(header["value"]))

    def op_call(self, header: dict[str, Any], decoder: Decoder) -> Any:
        args = decoder.decode(header["args"])
        kwargs = decoder.decode(header["kwargs"])
        if type(args) is not list or type(kwargs) is not dict:
            raise CodecError("bad call")
        return self._obj(header)(*args, **{str(k): v for k, v in kwargs.items()})

    def op_getitem(self, header: dict[str, Any], decoder: Decoder) -> Any:
        return self._obj(header)[decoder.decode(header["key"])]

    def op_setitem(self, header: dict[str, Any], decoder: Decoder) -> Any:
        self._obj(header)[decoder.decode(header["key"])] = decoder.decode(header["value"])

    def op_isinstance(self, header: dict[str, Any], decoder: Decoder) -> Any:
        return builtins.isinstance(decoder.decode(header["value"]), self._obj(header))

    def op_len(self, header: dict[str, Any], decoder: Decoder) -> Any:
        return builtins.len(self._obj(header))

    def op_snapshot(self, header: dict[str, Any], decoder: Decoder) -> Any:
        """The object as data, read once: ``["iterator"]`` (consumed live by the judge),
        ``["map", len, [[key, value], ...]]`` or ``["seq", len, [items]]`` (len None when
        it has none)."""
        obj = self._obj(header)
        if hasattr(type(obj), "__next__"):
            return ["iterator"]
        try:
            size = builtins.len(obj)
        except TypeError:
            size = None
        if hasattr(type(obj), "keys"):
            return ["map", size, [[key, obj[key]] for key in obj]]
        return ["seq", size, builtins.list(obj)]

    def op_iter(self, header: dict[str, Any], decoder: Decoder) -> Any:
        return builtins.iter(self._obj(header))

    def op_next(self, header: dict[str, Any], decoder: Decoder) -> Any:
        return builtins.next(self._obj(header))

    def op_str(self, header: dict[str, Any], decoder: Decoder) -> Any:
        return builtins.str(self._obj(header))[:100_000]

    def op_repr(self, header: dict[str, Any], decoder: Decoder) -> Any:
        return builtins.repr(self._obj(header))[:100_000]

    def op_dir(self, header: dict[str, Any], decoder: Decoder) -> Any:
        return [str(name)[:1000] for name in builtins.dir(self._obj(header))[:100_000]]

    def op_release(self, header: dict[str, Any], decoder: Decoder) -> Any:
        for hid in header.get("hs", []):
            self.handles.pop(hid, None)


def error_name(exc: BaseException) -> str:
    """The exception's class name; a full disk or too large a file is ``DiskFull``."""
    if isinstance(exc, OSError) and exc.errno in (errno.EFBIG, errno.ENOSPC, errno.EDQUOT):
        return "DiskFull"
    return type(exc).__name__


def _message(exc: BaseException) -> str:
    try:
        return str(exc)[:2000]
    except Exception:  # a learner exception whose __str__ fails
        return ""


