"""Hub density: spawn N learners at once, then measure what an idle learner costs.

Starts a real northlab hub (local mode, temp data root, random port), creates N learners
(default 20) spread over the four tracks, asks the hub to start all their servers at
once, and prints spawn latency (request to ready) p50/p95, the RSS of each idle learner
server and of one kernel per track. In the same run it measures a stock JupyterLab
single-user server (`jupyter lab`, default settings) and a stock python3 kernel.

    .venv/bin/python benchmarks/hub.py [--learners 20]
"""

from __future__ import annotations

import argparse
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


def measure_northlab(stack: Stack, learners: int) -> dict:
    tracks = list(TRACKS)
    names = [stack.add_learner(f"l{i:02d}")[0] for i in range(learners)]
    chosen = {name: tracks[i % len(tracks)] for i, name in enumerate(names)}
    with ThreadPoolExecutor(max_workers=learners) as pool:
        latencies = list(pool.map(lambda n: stack.start_server(n, chosen[n]), names))
    settle()
    servers = {}
    for name in names:
        token = stack.token(name)
        requests.get(f"{stack.url}/user/{name}/lab", timeout=60,
                     headers={"Authorization": f"token {token}"}).raise_for_status()
        server = next(p for p in user_pids(name) if "hub.userserver" in cmdline(p))
        servers[name] = server
    settle()
    server_rss = [rss(pid) for pid in servers.values()]
    kernels = {}
    for track in tracks:
        name = next(n for n in names if chosen[n] == track)
        start_kernel(f"{stack.url}/user/{name}/", stack.token(name))
        kernels[track] = settled_rss(lambda name=name: kernel_pid(user_pids(name)))
    return {"latencies": latencies, "server_rss": server_rss, "kernels": kernels}


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
        server_rss = rss(process.pid)
        start_kernel(base, None)

        def stock_kernel() -> int:
            children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text()
            return kernel_pid([int(p) for p in children.split()])

        return {"latency": latency, "server_rss": server_rss,
                "kernel_rss": settled_rss(stock_kernel)}
    finally:
        os.killpg(process.pid, 15)
        process.wait(30)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=20, help="Learners spawned at once.")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="northlab-hubbench-", dir="/tmp"))
    root.chmod(0o711)
    with northlab_stack(root) as stack:
        ours = measure_northlab(stack, args.learners)
    stock = measure_stock(root)
    shutil.rmtree(root, ignore_errors=True)
    lat = ours["latencies"]
    print(f"northlab: {args.learners} learners spawned at once on {os.cpu_count()} cores")
    print(f"  spawn latency p50 {percentile(lat, 0.5):.1f} s, p95 {percentile(lat, 0.95):.1f} s,"
          f" max {max(lat):.1f} s")
    server = ours["server_rss"]
    print(f"  idle learner server RSS: median {statistics.median(server) / MIB:.0f} MiB, "
          f"max {max(server) / MIB:.0f} MiB")
    for track, value in ours["kernels"].items():
        print(f"  {track} kernel RSS: {value / MIB:.0f} MiB")
    print(f"stock JupyterLab: start {stock['latency']:.1f} s (alone), idle server RSS "
          f"{stock['server_rss'] / MIB:.0f} MiB, python3 kernel RSS "
          f"{stock['kernel_rss'] / MIB:.0f} MiB")
    print(f"ratio northlab/stock: server RSS "
          f"{statistics.median(server) / stock['server_rss']:.2f}x, kernel RSS "
          f"{statistics.median(ours['kernels'].values()) / stock['kernel_rss']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
