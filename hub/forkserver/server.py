"""The fork-server process: ``python -P -m hub.forkserver --socket PATH`` (root, hub-managed).

Protocol, one connection per server (:mod:`hub.forkserver.client`): the hub connects and
sends one JSON line ``{"id", "deadline", "user", "env", "args", "umask"}`` with its stdout
and stderr as ``SCM_RIGHTS`` descriptors; the fork-server checks the peer is root and forks;
the child reads the request, drops it when its deadline (``time.monotonic``) has passed,
becomes the learner and answers ``{"id": ..., "pid": N}`` with a pidfd of itself (or
``{"error": "one sentence"}``); it starts the server, binding its port, only when the hub
answers ``go`` before the deadline, and exits otherwise. Design and threat model:
:mod:`hub.forkserver`.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import ctypes
import gc
import importlib
import json
import os
import pwd
import random
import signal
import socket
import struct
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from hub import userserver
from hub.forkserver import userstate
from hub.people.accounts import is_northlab_user

#: What every learner and instructor server imports (jupyterhub-singleuser, JupyterLab, the
#: server extensions of both roles, the request handlers): imported once here, shared by
#: every child. What a server still imports after the fork is its own memory.
PRELOAD = (
    "jupyterhub.singleuser",
    "jupyter_server.serverapp",
    "jupyter_server.services.contents.largefilemanager",
    "jupyter_server.services.kernels.kernelmanager",
    "jupyter_server.services.sessions.sessionmanager",
    *(f"jupyter_server.{handlers}.handlers" for handlers in (
        "services.api", "services.config", "services.contents", "services.events",
        "services.kernels", "services.kernelspecs", "services.nbconvert",
        "services.security", "services.sessions", "kernelspecs", "nbconvert", "view")),
    "jupyter_server.services.shutdown",
    "tornado.platform.asyncio",
    "jinja2.ext",
    "IPython",
    "jupyter_server_terminals",
    "terminado",
    "jupyterlab.labapp",
    "jupyterlab_server",
    "notebook_shim.nbserver",
    "nbformat",
    "jupyter_client",
    "jupyter_events",
    "nbgrader.server_extensions.formgrader",
    "nbgrader.server_extensions.assignment_list",
    "nbgrader.server_extensions.course_list",
    "nbgrader.server_extensions.validate_assignment",
    "hub.assignments.handlers",
    "hub.foundations",
    "northlab.language",
    "hub.services.feedback.view",
    "hub.compression",
    "hub.labassets",
    "hub.firstscreen",
)
MAX_REQUEST = 1 << 20
REQUEST_TIMEOUT = 30.0  #: seconds the child waits for the hub's request
GO = b"go\n"
PR_SET_DUMPABLE = 4


class Refused(Exception):
    """A request the fork-server will not serve; the message is one sentence."""


def preload() -> None:
    """Import :data:`PRELOAD` (a missing optional extension is skipped), then freeze."""
    userserver.skip_iri_parser()
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            print(f"forkserver: cannot preload {name}: {exc}", file=sys.stderr, flush=True)
    gc.collect()
    gc.freeze()  # the GC never writes to these objects: their pages stay shared


def peer_uid(conn: socket.socket) -> int:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


def listen(path: str) -> socket.socket:
    """The control socket at ``path``, mode 0600 from birth (umask), any stale one replaced."""
    Path(path).unlink(missing_ok=True)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        sock.bind(path)
    finally:
        os.umask(old)
    sock.listen(64)
    return sock


def serve(sock: socket.socket) -> None:
    """Accept forever: refuse non-root peers, fork a child for every other connection."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    while True:
        conn, _ = sock.accept()
        with conn:
            if peer_uid(conn) != 0:
                reply(conn, {"error": "Only the hub (root) may start servers."})
                continue
            try:
                pid = os.fork()
            except OSError as exc:
                reply(conn, {"error": f"The fork-server cannot fork: {exc}."})
                continue
            if pid == 0:
                code = 1
                try:  # whatever happens, the child never returns into this loop
                    sock.close()
                    code = child(conn)
                finally:
                    os._exit(code)


def reply(conn: socket.socket, message: dict[str, Any]) -> None:
    try:
        conn.sendall(json.dumps(message).encode() + b"\n")
    except OSError:
        pass


def read_request(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """The hub's request line and the two descriptors (stdout, stderr) sent with it."""
    data, fds, _, _ = socket.recv_fds(conn, MAX_REQUEST, 2)
    while data and not data.endswith(b"\n"):
        chunk = conn.recv(MAX_REQUEST)
        if not chunk or len(data) > MAX_REQUEST:
            raise Refused("The request is incomplete or too large.")
        data += chunk
    request = json.loads(data)
    if len(fds) != 2 or not isinstance(request, dict):
        raise Refused("The request must carry the hub's stdout and stderr.")
    return request, fds


def deadline_of(request: dict[str, Any]) -> float:
    """The request's deadline; Refused once it has passed (the hub gave up on it)."""
    deadline = request.get("deadline")
    if not isinstance(deadline, (int, float)) or not isinstance(request.get("id"), str):
        raise Refused("The request has no id or deadline.")
    if time.monotonic() >= deadline:
        raise Refused("The request expired before the fork-server took it.")
    return float(deadline)


def wait_for_go(conn: socket.socket, deadline: float) -> bool:
    """Whether the hub says ``go`` before ``deadline`` (it closes the connection otherwise)."""
    answer = b""
    try:
        while len(answer) < len(GO) and (left := deadline - time.monotonic()) > 0:
            conn.settimeout(left)
            chunk = conn.recv(len(GO) - len(answer))
            if not chunk:
                break
            answer += chunk
    except OSError:
        return False
    return answer == GO


def learner(name: object) -> pwd.struct_passwd:
    """The account a server may run as: one northlab created, never root."""
    if not isinstance(name, str) or not is_northlab_user(name):
        raise Refused(f"{name!r} is not a northlab account.")
    entry = pwd.getpwnam(name)
    if entry.pw_uid == 0 or entry.pw_gid == 0:
        raise Refused(f"{name!r} is not a northlab account.")
    return entry


def become(entry: pwd.struct_passwd, umask: int) -> None:
    """Drop root for good: the learner's groups, gid and uid, home, umask; non-dumpable."""
    os.initgroups(entry.pw_name, entry.pw_gid)
    os.setresgid(entry.pw_gid, entry.pw_gid, entry.pw_gid)
    os.setresuid(entry.pw_uid, entry.pw_uid, entry.pw_uid)
    if os.getresuid() != (entry.pw_uid,) * 3 or 0 in os.getgroups():
        raise Refused("Dropping root failed.")
    os.chdir(entry.pw_dir)
    os.umask(umask)
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def child(conn: socket.socket) -> int:
    """In the forked child: set up the learner's server and run it; the exit status."""
    os.setsid()
    for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    conn.settimeout(REQUEST_TIMEOUT)
    try:
        request, (out, err) = read_request(conn)
        deadline = deadline_of(request)
        entry = learner(request.get("user"))
        umask, args, env = request.get("umask"), request.get("args"), request.get("env")
        if not (isinstance(umask, int) and 0 <= umask <= 0o777 and isinstance(args, list)
                and isinstance(env, dict)):
            raise Refused("The request is malformed.")
        null = os.open(os.devnull, os.O_RDWR)
        for fd, target in ((null, 0), (out, 1), (err, 2)):
            os.dup2(fd, target)
        become(entry, umask)
        answer = json.dumps({"id": request["id"], "pid": os.getpid()}).encode() + b"\n"
        socket.send_fds(conn, [answer], [os.pidfd_open(os.getpid())])
    except (Refused, OSError, ValueError, KeyError) as exc:
        reply(conn, {"error": str(exc) or type(exc).__name__})
        return 1
    if not wait_for_go(conn, deadline):
        return 1  # the hub gave up on this request: nothing was started
    conn.close()
    enter({str(k): str(v) for k, v in env.items()}, list(map(str, args)))
    return run_server()


def enter(env: dict[str, str], args: list[str]) -> None:
    """After :func:`become`: no inherited descriptor but 0-2, exactly ``env``, the server's
    command line, module values recomputed for the learner, fresh random and event loop."""
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    os.environ.clear()
    os.environ.update(env)
    sys.argv = [userserver.__file__, *args]
    sys.orig_argv = [sys.executable, "-P", "-m", userserver.__name__, *args]
    userstate.recompute()
    random.seed()
    asyncio.set_event_loop(asyncio.new_event_loop())


def run_server() -> int:
    """``jupyterhub-singleuser`` as :mod:`hub.userserver` runs it; never returns into the
    fork-server's loop."""
    from jupyterhub.singleuser import main

    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    except BaseException:  # noqa: BLE001 - logged, then the child exits
        traceback.print_exc()
        code = 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    return code


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="northlab fork-server for learner servers "
                                     "(started by the hub; see hub/forkserver)")
    parser.add_argument("--socket", required=True, help="Control socket path (mode 0600).")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        sys.exit("forkserver: must run as root (it starts servers as learners' accounts)")
    sock = listen(args.socket)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    preload()
    print(f"forkserver: ready on {args.socket} (process {os.getpid()})", flush=True)
    try:
        serve(sock)
    finally:
        Path(args.socket).unlink(missing_ok=True)
