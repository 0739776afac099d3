"""Rule 5, the network: each submission gets a fresh network namespace, so nothing of one
submission's network (sockets in TIME_WAIT, listening sockets, bound ports, abstract unix
sockets, UDP ports) is seen by the next graded in the same slot, while learner code still
has the loopback it had. Review 8, F2: the worker child shared its zygote's network
namespace, so loopback ports one submission left in TIME_WAIT (about 60 s) refused the
next submission's ``bind``: a covert channel from one learner to the next."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "graders"))
from northlab_labkit import NB_LAB, SOLUTIONS, copy_lab, notebook  # noqa: E402

from graders.engine import Grader  # noqa: E402
from graders.lab import load_lab  # noqa: E402
from graders.sandbox import Sandbox, detect  # noqa: E402
from graders.sandbox.rlimits import RlimitSandbox  # noqa: E402
from graders.submissions import Submission  # noqa: E402

DATA = (NB_LAB / "source" / "data" / "values.txt").read_bytes()
LIMITS = {"wall_seconds": 20, "cpu_seconds": 15, "memory_mb": 256, "disk_mb": 16}
PORTS = (45123, 45124, 45125)
#: leaves every kind of network state a process can leave: ports in TIME_WAIT (the server
#: closes first), a listening socket, a bound UDP port and an abstract unix socket (held by
#: a daemon that outlives the cell), a connection left open
LEAVE = textwrap.dedent(f"""\
    import os, socket, time
    held = []
    def leave(make):  # what it can: without a loopback (unshare -n) only unix sockets
        try:
            held.append(make())
        except OSError:
            pass
    def time_wait(port):
        server = socket.socket()
        server.bind(("127.0.0.1", port))
        server.listen()
        client = socket.create_connection(("127.0.0.1", port))
        conn, _ = server.accept()
        conn.close()  # the server's side closes first: its port goes to TIME_WAIT
        time.sleep(0.05)
        client.close()
        server.close()
    def bound(kind, address, listen=True):
        sock = socket.socket(*kind)
        sock.bind(address)
        if listen:
            sock.listen()
        return sock
    for port in {PORTS!r}:
        leave(lambda: time_wait(port))
    leave(lambda: bound((), ("127.0.0.1", 45126)))
    leave(lambda: bound((socket.AF_INET, socket.SOCK_DGRAM), ("127.0.0.1", 45127), False))
    leave(lambda: bound((socket.AF_UNIX,), "\\0northlab-left"))
    leave(lambda: socket.create_connection(("127.0.0.1", 45126)))
    if os.fork() == 0:  # a daemon holding them all
        os.setsid()
        time.sleep(600)
        os._exit(0)
    total = float(np.loadtxt("data/values.txt").sum())
    """)
#: the correct total only when nothing of another submission's network is seen and no
#: interface but the loopback exists
FIND = textwrap.dedent(f"""\
    import errno, socket
    found = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        try:
            rows = open("/proc/net/" + table).read().splitlines()[1:]
        except OSError:
            rows = []
        found += [table + ": " + row for row in rows]
    found += ["unix: " + row for row in open("/proc/net/unix").read().splitlines()[1:]
              if "@" in row]
    for port in ({", ".join(map(str, PORTS))}, 45126):
        probe = socket.socket()
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:  # without a loopback: EADDRNOTAVAIL, nothing seen
            if exc.errno == errno.EADDRINUSE:
                found.append("bind %d: %s" % (port, exc))
        probe.close()
    names = [name for _, name in socket.if_nameindex()]
    total = float(np.loadtxt("data/values.txt").sum()) \
        if not found and set(names) <= {{"lo"}} else repr((found, names))
    """)


#: square is right only when the loopback works (a server and a client on 127.0.0.1)
LOOPBACK = textwrap.dedent("""\
    import socket
    def _loopback():
        try:
            server = socket.socket()
            server.bind(("127.0.0.1", 0))
            server.listen()
            socket.create_connection(server.getsockname(), timeout=5).close()
            server.close()
        except OSError:
            return False
        return True
    WORKS = _loopback()
    def square(x):
        return x * x if WORKS else -1
    """)
SANDBOXES = sorted({type(detect()), RlimitSandbox}, key=lambda kind: kind.name)


def grade(tmp_path: Path, sandbox: Sandbox, cells: list[tuple[str, str, str]]
          ) -> dict[str, dict]:
    """Records of submissions (learner, grade_id, code) graded in one slot, in order."""
    lab = load_lab(copy_lab(NB_LAB, tmp_path / "lab", LIMITS))
    subs = [Submission(name, tmp_path, files={"nb-basics.ipynb": notebook(
        {**SOLUTIONS, grade_id: code}).encode(), "data/values.txt": DATA})
        for name, grade_id, code in cells]
    with Grader(lab, workers=1, sandbox=sandbox) as grader:  # one slot: the same zygotes
        return {r["learner"]: r for r in grader.grade_all(subs)}


@pytest.mark.parametrize("kind", SANDBOXES, ids=lambda kind: kind.name)
def test_nothing_of_one_submissions_network_is_seen_by_the_next(
        tmp_path: Path, kind: type[Sandbox]) -> None:
    sandbox = kind()
    records = grade(tmp_path, sandbox, [("before", "answer-total", FIND),
                                        ("leaver", "answer-total", LEAVE),
                                        ("after", "answer-total", FIND)])
    assert records["leaver"]["score"] == 6, records["leaver"]  # it did leave all of it
    assert records["before"]["score"] == 6, records["before"]  # the control sees nothing
    assert records["after"]["score"] == 6, records["after"]  # nor does the next one
    assert "per-submission(userns,pid,ipc,mount,uts,net;" in records["after"]["isolation"]


@pytest.mark.parametrize("kind", SANDBOXES, ids=lambda kind: kind.name)
def test_learner_code_keeps_the_loopback_it_had(tmp_path: Path, kind: type[Sandbox]) -> None:
    """The fresh namespace's loopback is up exactly when the zygote's is (bubblewrap's
    --unshare-net brings it up; ``unshare -n`` leaves it down)."""
    fresh = grade(tmp_path / "fresh", kind(), [("probe", "answer-square", LOOPBACK)])
    shared = kind()
    shared.fresh_namespaces = False
    before = grade(tmp_path / "shared", shared, [("probe", "answer-square", LOOPBACK)])
    assert fresh["probe"]["score"] == before["probe"]["score"], (fresh, before)
    if kind.name == "bubblewrap":
        assert fresh["probe"]["score"] == 6  # bubblewrap's loopback works, and still does
