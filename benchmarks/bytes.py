"""Bytes over the wire for a learner: login to an open JupyterLab, cold and warm.

Starts a real northlab hub (temp data root, random port) and a stock JupyterLab single-user
server (`jupyter lab`, default settings; once plain and once with tornado gzip) and drives
Debian's Chromium through each with Playwright, summing CDP ``Network.loadingFinished``
``encodedDataLength`` (bytes on the wire, headers included) over every request.

    .venv/bin/python benchmarks/bytes.py [--track gamedev]

Cold: a fresh browser profile, from the login page to JupyterLab idle (northlab: login,
track form, spawn, lab). Warm: reopening the lab in the same browser (cache filled).
Prints the figures and the northlab/stock ratios; targets: <= 1.2 MB cold, <= 40 KB warm.

Then time-to-usable-lab on an emulated satellite link (CDP
``Network.emulateNetworkConditions``: 1 Mbps down, 256 kbps up, 600 ms added to every
request; websockets are not throttled): seconds from navigating to ``lab/tree/usable.ipynb``
(a one-cell notebook) until the lab is *usable*: that notebook's first cell takes typing
(its editor is ``contenteditable``) and its kernel is idle (the notebook toolbar's
execution indicator). Cold: empty browser cache (northlab: logged in to the hub before,
unthrottled; the lab's own login redirects are timed); warm: the same again in a new tab,
cache kept. The learner's server is already running (spawn time is benchmarks/hub.py's).
Goals: cold <= 10 s, warm <= 2 s. Last, northlab's warm open again after the learner's server
restarted (as at a hub restart): content-hashed files stay cached.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests
from playwright.sync_api import BrowserContext, Page, sync_playwright

# Run as a script, this folder comes first on sys.path and its hub.py would hide the
# hub package: look things up from the repository root instead.
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from benchmarks.hubstack import Stack, free_port_block, northlab_stack  # noqa: E402
from hub.compression import CACHE_DIR  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
LAB_READY = ".jp-LabShell"
#: 1 Mbps down, 256 kbps up (bytes per second), 600 ms round trip.
SATELLITE = {"offline": False, "latency": 600, "downloadThroughput": 1_000_000 / 8,
             "uploadThroughput": 256_000 / 8}
NOTEBOOK = "usable.ipynb"
#: Usable: the notebook's first cell takes typing and its kernel is idle.
USABLE = (".jp-NotebookPanel .jp-Cell .cm-content[contenteditable=true]",
          ".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status=idle]")
GOALS = {"cold": 10.0, "warm": 2.0}


DETAILS: list[tuple[str, int, str]] = []


def measured(context: BrowserContext, action: Callable[[Page], None], label: str = "") -> tuple[
        int, int]:
    """Run ``action`` on a new page; return (bytes on the wire, requests)."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    totals = {"bytes": 0, "requests": 0}
    urls: dict[str, str] = {}

    def finished(event: dict) -> None:
        size = int(event.get("encodedDataLength", 0))
        totals["bytes"] += size
        totals["requests"] += 1
        DETAILS.append((label, size, urls.get(event["requestId"], "?")))

    cdp.on("Network.requestWillBeSent",
           lambda event: urls.__setitem__(event["requestId"], event["request"]["url"]))
    cdp.on("Network.loadingFinished", finished)
    action(page)
    try:
        page.wait_for_selector(LAB_READY, timeout=180_000)
    except Exception:
        page.screenshot(path="/tmp/bytes-failure.png")
        print(f"JupyterLab did not open; page at {page.url}", file=sys.stderr)
        raise
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(2000)
    result = (totals["bytes"], totals["requests"])
    page.close()
    return result


def time_to_usable(context: BrowserContext, url: str, label: str) -> tuple[float, int]:
    """Open ``url`` on a new page over the emulated satellite link; return (seconds until
    usable, requests that went to the network before: not those the browser cache served)."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SATELLITE)
    sent: list[dict] = []  # one per request and redirect hop: at, url, status ("cache")
    latest: dict[str, dict] = {}

    def will_be_sent(event: dict) -> None:
        if "redirectResponse" in event and event["requestId"] in latest:
            latest[event["requestId"]]["status"] = str(event["redirectResponse"]["status"])
        entry = {"at": time.monotonic(), "url": event["request"]["url"], "status": "..."}
        sent.append(entry)
        latest[event["requestId"]] = entry

    def received(event: dict) -> None:
        entry = latest.get(event["requestId"])
        if entry is not None and entry["status"] == "...":
            cached = event["response"].get("fromDiskCache") or event["response"].get(
                "fromPrefetchCache")
            entry["status"] = "cache" if cached else str(event["response"]["status"])

    def from_cache(event: dict) -> None:
        if event["requestId"] in latest:
            latest[event["requestId"]]["status"] = "cache"

    def finished(event: dict) -> None:
        if event["requestId"] in latest:
            latest[event["requestId"]].update(done=time.monotonic(),
                                              size=int(event.get("encodedDataLength", 0)))

    cdp.on("Network.requestWillBeSent", will_be_sent)
    cdp.on("Network.responseReceived", received)
    cdp.on("Network.requestServedFromCache", from_cache)
    cdp.on("Network.loadingFinished", finished)
    started = time.monotonic()
    page.goto(url, wait_until="commit", timeout=180_000)
    for selector in USABLE:
        page.wait_for_selector(selector, timeout=180_000)
    usable = time.monotonic()
    before = [entry for entry in sent if entry["at"] <= usable]
    DETAILS.extend((label, round((e["at"] - started) * 1000), waterfall_row(e, started))
                   for e in before)
    page.close()
    return usable - started, sum(entry["status"] != "cache" for entry in before)


def waterfall_row(entry: dict, started: float) -> str:
    """Status, when the answer had arrived (ms after navigating), bytes, URL."""
    done = f"{round((entry['done'] - started) * 1000):>7,}" if "done" in entry else "      ?"
    return f"{entry['status']:>5} -> {done} ms {entry.get('size', 0):>8,} B  {entry['url']}"


def put_notebook(contents_url: str, headers: dict[str, str]) -> None:
    """The one-cell notebook the time-to-usable runs open (Jupyter's contents API)."""
    notebook = {"cells": [{"cell_type": "code", "source": "print('ready')", "metadata": {},
                           "outputs": [], "execution_count": None}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    answer = requests.put(f"{contents_url}/{NOTEBOOK}", headers=headers, timeout=60,
                          json={"type": "notebook", "format": "json", "content": notebook})
    answer.raise_for_status()


def usable_runs(context: BrowserContext, url: str, who: str) -> tuple[float, int, float, int]:
    """Cold (browser cache emptied) then warm time-to-usable of ``url``."""
    page = context.new_page()
    context.new_cdp_session(page).send("Network.clearBrowserCache")
    page.close()
    return (*time_to_usable(context, url, f"{who}-cold"),
            *time_to_usable(context, url, f"{who}-warm"))


def stock_lab(gzip: bool, root: Path) -> tuple[subprocess.Popen, str]:
    port = free_port_block(1)
    config_dir = root / f"stock-config-{int(gzip)}"
    config_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "NORTHLAB"))}
    env["JUPYTER_CONFIG_DIR"] = str(config_dir)
    args = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        f"--port={port}", "--ServerApp.token=", "--ServerApp.password=",
        f"--ServerApp.root_dir={root}", "--ServerApp.disable_check_xsrf=True",
    ]
    if gzip:
        args.append('--ServerApp.tornado_settings={"compress_response": True}')
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/lab"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return process, url
        except requests.ConnectionError:
            time.sleep(0.5)
    raise RuntimeError("stock JupyterLab did not start")


def stop_group(process: subprocess.Popen) -> None:
    """SIGTERM the server's process group; SIGKILL what has not exited a minute later (a
    loaded machine shuts kernels down slowly)."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def northlab_login(stack: Stack, name: str, password: str, track: str) -> Callable[[Page], None]:
    def action(page: Page) -> None:
        page.goto(f"{stack.url}/hub/login")
        page.fill("#username_input", name)
        page.fill("#password_input", password)
        page.click("#login_submit")
        page.wait_for_url("**/hub/spawn**")
        page.check(f"input[value={track}]")
        page.click("form input[type=submit], form button[type=submit]")

    return action


def hub_session(context: BrowserContext, stack: Stack, name: str, password: str) -> None:
    """Log in to the hub (unthrottled), then forget the lab's own login (its cookie): the
    timed cold open goes through the lab's OAuth redirects as after a fresh hub login."""
    page = context.new_page()
    page.goto(f"{stack.url}/hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", password)
    page.click("#login_submit")
    page.wait_for_url(f"**/user/{name}/**")
    page.close()
    context.clear_cookies(name=re.compile("^jupyterhub-user-"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--track", default="cybersecurity", help="Track the learner opens.")
    parser.add_argument("--details", type=int, default=0, metavar="N",
                        help="Also print northlab's N largest requests, cold and warm, and "
                             "the waterfall before the lab was usable: each request's start, "
                             "status (or cache), end and bytes on the wire.")
    parser.add_argument("--no-stock", action="store_true",
                        help="Measure northlab only (no stock JupyterLab).")
    args = parser.parse_args()
    if not any(CACHE_DIR.glob("*.br")):
        print(f"note: {CACHE_DIR} holds no precompressed files (`make install` or `python -m "
              "hub.compression` makes them): cold bytes will be higher", file=sys.stderr)
    root = Path(tempfile.mkdtemp(prefix="northlab-bytes-", dir="/tmp"))
    root.chmod(0o711)  # learners' homes live below it
    rows: dict[str, tuple[int, int, int, int]] = {}
    usable: dict[str, tuple[float, int, float, int]] = {}
    with northlab_stack(root) as stack, sync_playwright() as playwright:
        name, password = stack.add_learner("bytes")
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                             args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            cold = measured(context, northlab_login(stack, name, password, args.track), "cold")
            warm = measured(context, lambda p: p.goto(f"{stack.url}/user/{name}/lab"), "warm")
            rows["northlab (through hub)"] = (*cold, *warm)
            context.close()
            put_notebook(f"{stack.url}/user/{name}/api/contents",
                         {"Authorization": f"token {stack.token(name)}"})
            context = browser.new_context()
            hub_session(context, stack, name, password)
            lab = f"{stack.url}/user/{name}/lab/tree/{NOTEBOOK}"
            usable["northlab (through hub)"] = usable_runs(context, lab, "northlab")
            # what a hub restart does to a learner's lab (the hub stops servers when it
            # stops): the browser keeps its cache, the server and its login are new
            stack.stop_server(name)
            stack.start_server(name, args.track)
            restarted = time_to_usable(context, lab, "northlab-restarted")
            context.close()
            stack.stop_server(name)
            for gzip in () if args.no_stock else (False, True):
                process, url = stock_lab(gzip, root)
                label = f"stock JupyterLab{' + gzip' if gzip else ''}"
                try:
                    context = browser.new_context()
                    cold = measured(context, lambda p, url=url: p.goto(url))
                    warm = measured(context, lambda p, url=url: p.goto(url))
                    rows[label] = (*cold, *warm)
                    context.close()
                    if gzip:  # time-to-usable: the stock server as we would configure it
                        put_notebook(url.removesuffix("/lab") + "/api/contents", {})
                        context = browser.new_context()
                        usable[label] = usable_runs(context, f"{url}/tree/{NOTEBOOK}", "stock")
                        context.close()
                finally:
                    stop_group(process)
        finally:
            browser.close()
    shutil.rmtree(root, ignore_errors=True)
    print_bytes(rows, args.details)
    print_usable(usable, args.details)
    print(f"northlab, warm after its server restarted: {restarted[0]:.1f} s, "
          f"{restarted[1]} requests")
    return 0


def print_bytes(rows: dict[str, tuple[int, int, int, int]], details: int) -> None:
    print(f"{'':28} {'cold bytes':>12} {'requests':>9} {'warm bytes':>12} {'requests':>9}")
    for label, (cb, cr, wb, wr) in rows.items():
        print(f"{label:28} {cb:>12,} {cr:>9} {wb:>12,} {wr:>9}")
    for phase in ("cold", "warm"):
        top = sorted((d for d in DETAILS if d[0] == phase), key=lambda d: -d[1])[:details]
        for _, size, url in top:
            print(f"  {phase} {size:>10,}  {url[:110]}")
    ours = rows["northlab (through hub)"]
    for label, row in rows.items():
        if row is not ours:
            print(f"northlab / {label}: cold {ours[0] / row[0]:.2f}x, warm {ours[2] / row[2]:.2f}x")
    print(f"targets: cold <= 1,200,000 bytes ({'met' if ours[0] <= 1_200_000 else 'NOT met'}), "
          f"warm <= 40,960 bytes ({'met' if ours[2] <= 40_960 else 'NOT met'})")


def print_usable(usable: dict[str, tuple[float, int, float, int]], details: int) -> None:
    print("\ntime to usable lab, satellite link (1 Mbps down, 256 kbps up, 600 ms RTT)")
    print(f"{'':28} {'cold s':>8} {'requests':>9} {'warm s':>8} {'requests':>9}")
    for label, (cold, cold_requests, warm, warm_requests) in usable.items():
        print(f"{label:28} {cold:>8.1f} {cold_requests:>9} {warm:>8.1f} {warm_requests:>9}")
    if details:
        for phase in ("cold", "warm", "restarted"):
            for _, at_ms, url in (d for d in DETAILS if d[0] == f"northlab-{phase}"):
                print(f"  {phase} {at_ms:>7,} ms  {url[:160]}")
    ours = usable["northlab (through hub)"]
    for label, row in usable.items():
        if row is not ours:
            print(f"northlab / {label}: cold {ours[0] / row[0]:.2f}x, warm {ours[2] / row[2]:.2f}x")
    verdicts = [f"{phase} <= {goal:.0f} s ({'met' if value <= goal else 'NOT met'})"
                for (phase, goal), value in zip(GOALS.items(), (ours[0], ours[2]), strict=True)]
    print("goals: " + ", ".join(verdicts))


if __name__ == "__main__":
    sys.exit(main())
