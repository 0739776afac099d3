"""Hub density and classroom start: spawn N learners at once, then measure what they cost.

Starts a real northlab hub (local mode, temp data root, random port) once per start path
of learners' servers: ``process`` (a new Python process each) and ``fork`` (forked from the
warm fork-server, hub/forkserver). For each it creates N learners (default 20) spread over
the tracks, asks the hub to start all their servers at once, each learner following its
progress events as the hub's spawn page does, and prints spawn latency (request to ready)
p50/p95/max, then to the lab page answered through the proxy, the machine's load average
meanwhile, the CPU-seconds each server used to get there, and memory
per learner as PSS (proportional set size: shared pages counted once) and RSS. Then it
stops them, opens the class (``northlab cohort warm``), and times the N learners opening
their lab at once (request to 200) when warmed. In the same run it measures a stock
JupyterLab single-user server (`jupyter lab`, default settings) and a stock python3 kernel.

    .venv/bin/python benchmarks/hub.py [--learners 20]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

# Run as a script, this folder comes first on sys.path and its hub.py would hide the
# hub package: look things up from the repository root instead.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from benchmarks.hubstack import Stack, free_port_block, northlab_stack, user_pids  # noqa: E402
from hub.services.gradebook.openclass import warm_cohort  # noqa: E402
from hub.tracks import TRACKS  # noqa: E402

MIB = 1024 * 1024


def rss(pid: int) -> int:
    """Resident set size of one process, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def kernel_pid(pids: list[int]) -> int:
    """The kernel among ``pids``: stock (ipykernel_launcher) or a track's (hub.kernel)."""
    return next(p for p in pids if any(k in cmdline(p) for k in ("ipykernel_launcher",
                                                                 "hub.kernel")))


def start_kernel(base: str, token: str | None) -> None:
    headers = {"Authorization": f"token {token}"} if token else {}
    requests.post(f"{base}api/kernels", json={}, headers=headers,
                  timeout=120).raise_for_status()


def settled_rss(find_pid, timeout: float = 90) -> int:
    """RSS of the process ``find_pid()`` returns, once it stops growing (kernel started)."""
    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        try:
            value = rss(find_pid())
        except (StopIteration, FileNotFoundError):
            value = -1
        if value > 0 and abs(value - last) < 0.01 * value:
            return value
        last = value
        time.sleep(2)
    raise RuntimeError("kernel did not settle")


def settle(seconds: float = 5) -> None:
    time.sleep(seconds)


def pss(pid: int) -> int:
    """Proportional set size of one process, in bytes (pages shared by k processes: 1/k)."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time one process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pid(name: str) -> int:
    """A learner's server: the session leader among their processes that is not a kernel."""
    leaders = [p for p in user_pids(name) if os.getsid(p) == p and "ipykernel" not in
               cmdline(p) and "hub.kernel" not in cmdline(p)]
    if len(leaders) != 1:
        raise RuntimeError(f"{name}: expected one server process, found {leaders}")
    return leaders[0]


def fork_server_pid(stack: Stack) -> int | None:
    """The fork-server of ``stack``'s hub, if it runs one."""
    sock = str(stack.settings.hub_dir / "forkserver.sock")
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if "hub.forkserver" in cmdline(int(entry.name)) and sock in cmdline(
                        int(entry.name)):
                    return int(entry.name)
            except OSError:
                continue
    return None


def open_labs(stack: Stack, names: list[str], tokens: dict[str, str]) -> list[float]:
    """All ``names`` open their lab at once; seconds from request to 200 for each."""
    def open_lab(name: str) -> float:
        started = time.monotonic()
        requests.get(f"{stack.url}/user/{name}/lab", timeout=120,
                     headers={"Authorization": f"token {tokens[name]}"}).raise_for_status()
        return time.monotonic() - started

    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        return list(pool.map(open_lab, names))


def wait_ready(stack: Stack, name: str, timeout: float = 300) -> None:
    """Follow ``name``'s spawn progress events (what the spawn page shows) until ready."""
    headers = {"Authorization": stack.client.session.headers["Authorization"],
               "Accept": "text/event-stream"}
    with requests.get(f"{stack.client.url}/users/{name}/server/progress", headers=headers,
                      stream=True, timeout=timeout) as events:
        events.raise_for_status()
        for line in events.iter_lines():
            if line.startswith(b"data:"):
                event = json.loads(line[5:])
                if event.get("ready"):
                    return
                if event.get("failed"):
                    raise RuntimeError(f"{name}'s server failed: {event.get('message')}")
    raise RuntimeError(f"{name}'s progress ended before the server was ready")


def start_and_open(stack: Stack, name: str, track: str, token: str) -> tuple[float, float]:
    """Ask for ``name``'s server, wait until ready, open the lab through the proxy: seconds
    from the request to ready and to the lab page."""
    started = time.monotonic()
    stack.client.request("POST", f"/users/{name}/server", json={"track": track})
    wait_ready(stack, name)
    ready = time.monotonic() - started
    requests.get(f"{stack.url}/user/{name}/lab", timeout=120,
                 headers={"Authorization": f"token {token}"}).raise_for_status()
    return ready, time.monotonic() - started


def measure_northlab(stack: Stack, learners: int, *, kernels: bool) -> dict:
    tracks = list(TRACKS)
    names = [stack.add_learner(f"l{i:02d}")[0] for i in range(learners)]
    chosen = {name: tracks[i % len(tracks)] for i, name in enumerate(names)}
    tokens = {name: stack.token(name) for name in names}
    forker = fork_server_pid(stack)
    forker_cpu = cpu_seconds(forker) if forker else 0.0
    load = os.getloadavg()[0]
    with ThreadPoolExecutor(max_workers=learners) as pool:
        timings = list(pool.map(lambda n: start_and_open(stack, n, chosen[n], tokens[n]), names))
    servers = {name: server_pid(name) for name in names}
    cpu = [cpu_seconds(pid) for pid in servers.values()]
    settle()
    result = {
        "latencies": [ready for ready, _ in timings], "to_lab": [lab for _, lab in timings],
        "load": (load, os.getloadavg()[0]), "cpu": cpu,
        "server_rss": [rss(pid) for pid in servers.values()],
        "server_pss": [pss(pid) for pid in servers.values()],
        "forker_pss": pss(forker) if forker else 0, "forker_cpu": forker_cpu,
    }
    if kernels:
        result["kernels"] = {}
        for track in dict.fromkeys(chosen.values()):
            name = next(n for n in names if chosen[n] == track)
            start_kernel(f"{stack.url}/user/{name}/", tokens[name])
            result["kernels"][track] = settled_rss(
                lambda name=name: kernel_pid(user_pids(name)))
    with ThreadPoolExecutor(max_workers=learners) as pool:
        list(pool.map(stack.stop_server, names))
    load = os.getloadavg()[0]
    warmed = warm_cohort(stack.client, stack.cohort)
    if warmed.failed or len(warmed.started) != learners:
        raise RuntimeError(f"opening the class failed: {warmed}")
    deadline = time.monotonic() + 300
    while not all(stack.client.user(n)["servers"].get("", {}).get("ready") for n in names):
        if time.monotonic() > deadline:
            raise RuntimeError("the warmed servers did not become ready")
        time.sleep(0.5)
    settle()
    result["warmed"] = open_labs(stack, names, tokens)
    result["warm_load"] = (load, os.getloadavg()[0])
    return result


def measure_stock(root: Path) -> dict:
    port = free_port_block(1)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "NORTHLAB"))}
    env["JUPYTER_CONFIG_DIR"] = str(root / "stock-config")
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}",
         "--ServerApp.token=", "--ServerApp.password=", f"--ServerApp.root_dir={root}",
         "--ServerApp.disable_check_xsrf=True"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        while True:
            try:
                if requests.get(f"{base}lab", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.2)
            if time.monotonic() - started > 120:
                raise RuntimeError("stock JupyterLab did not start")
        latency = time.monotonic() - started
        settle()
        server_rss, server_pss = rss(process.pid), pss(process.pid)
        start_kernel(base, None)

        def stock_kernel() -> int:
            children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text()
            return kernel_pid([int(p) for p in children.split()])

        return {"latency": latency, "server_rss": server_rss, "server_pss": server_pss,
                "kernel_rss": settled_rss(stock_kernel)}
    finally:
        os.killpg(process.pid, 15)
        process.wait(30)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(path: str, learners: int, ours: dict, stock: dict) -> None:
    lat, cpu = ours["latencies"], ours["cpu"]
    share = ours["forker_pss"] / learners
    pss_each = statistics.median(ours["server_pss"]) + share
    print(f"northlab, start path {path}: {learners} learners spawned at once "
          f"on {os.cpu_count()} cores")
    lab = ours["to_lab"]
    print(f"  cold (load average {ours['load'][0]:.1f} before, {ours['load'][1]:.1f} after): "
          f"spawn latency p50 {percentile(lat, 0.5):.1f} s, p95 {percentile(lat, 0.95):.1f} s, "
          f"max {max(lat):.1f} s; to the lab page through the proxy p50 "
          f"{percentile(lab, 0.5):.1f} s, p95 {percentile(lab, 0.95):.1f} s")
    print(f"  CPU-seconds per start (server process, to ready): median "
          f"{statistics.median(cpu):.2f}, total {sum(cpu):.1f}"
          + (f"; fork-server preload once: {ours['forker_cpu']:.1f}" if ours["forker_cpu"]
             else ""))
    warm = ours["warmed"]
    print(f"  warmed (northlab cohort warm, then all open their lab at once; load average "
          f"{ours['warm_load'][0]:.1f}, {ours['warm_load'][1]:.1f}): "
          f"p50 {percentile(warm, 0.5):.2f} s, p95 {percentile(warm, 0.95):.2f} s")
    print(f"  memory per idle learner: PSS {pss_each / MIB:.0f} MiB"
          + (f" (incl. 1/{learners} of the fork-server's {ours['forker_pss'] / MIB:.0f} MiB)"
             if share else "")
          + f", RSS {statistics.median(ours['server_rss']) / MIB:.0f} MiB; vs stock PSS: "
          f"{pss_each / stock['server_pss']:.2f}x")
    for track, value in ours.get("kernels", {}).items():
        print(f"  {track} kernel RSS: {value / MIB:.0f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=20, help="Learners spawned at once.")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="northlab-hubbench-", dir="/tmp"))
    root.chmod(0o711)
    results = {}
    for path in ("process", "fork"):
        (root / path).mkdir(mode=0o711)
        with northlab_stack(root / path, server_start=path) as stack:
            results[path] = measure_northlab(stack, args.learners, kernels=path == "fork")
    stock = measure_stock(root)
    shutil.rmtree(root, ignore_errors=True)
    load = os.getloadavg()
    print(f"(load average now {load[0]:.1f}: other work on this machine slows every figure; "
          "compare paths and stock within this run)")
    for path, ours in results.items():
        report(path, args.learners, ours, stock)
    print(f"stock JupyterLab: start {stock['latency']:.1f} s (alone), idle server PSS "
          f"{stock['server_pss'] / MIB:.0f} MiB, RSS {stock['server_rss'] / MIB:.0f} MiB, "
          f"python3 kernel RSS {stock['kernel_rss'] / MIB:.0f} MiB")
    fork, process = results["fork"], results["process"]
    print(f"fork vs process: cold p95 {percentile(fork['latencies'], 0.95):.1f} s vs "
          f"{percentile(process['latencies'], 0.95):.1f} s, CPU per start "
          f"{statistics.median(fork['cpu']):.2f} vs {statistics.median(process['cpu']):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
