"""Bytes over the wire for a learner: login to an open JupyterLab, cold and warm.

Starts a real northlab hub (temp data root, random port) and a stock JupyterLab single-user
server (`jupyter lab`, default settings; once plain and once with tornado gzip) and drives
Debian's Chromium through each with Playwright, summing CDP ``Network.loadingFinished``
``encodedDataLength`` (bytes on the wire, headers included) over every request.

    .venv/bin/python benchmarks/bytes.py [--track gamedev]

Cold: a fresh browser profile, from the login page to JupyterLab idle (northlab: login,
track form, spawn, lab). Warm: reopening the lab in the same browser (cache filled).
Prints the figures and the northlab/stock ratios; targets: <= 1.2 MB cold, <= 40 KB warm.
"""

from __future__ import annotations

import argparse
import os
import shutil
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--track", default="cybersecurity", help="Track the learner opens.")
    parser.add_argument("--details", type=int, default=0, metavar="N",
                        help="Also print northlab's N largest requests, cold and warm.")
    parser.add_argument("--no-stock", action="store_true",
                        help="Measure northlab only (no stock JupyterLab).")
    args = parser.parse_args()
    if not any(CACHE_DIR.glob("*.br")):
        print(f"note: {CACHE_DIR} holds no precompressed files (`make install` or `python -m "
              "hub.compression` makes them): cold bytes will be higher", file=sys.stderr)
    root = Path(tempfile.mkdtemp(prefix="northlab-bytes-", dir="/tmp"))
    root.chmod(0o711)  # learners' homes live below it
    rows: dict[str, tuple[int, int, int, int]] = {}
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
            stack.stop_server(name)
            for gzip in () if args.no_stock else (False, True):
                process, url = stock_lab(gzip, root)
                try:
                    context = browser.new_context()
                    cold = measured(context, lambda p, url=url: p.goto(url))
                    warm = measured(context, lambda p, url=url: p.goto(url))
                    rows[f"stock JupyterLab{' + gzip' if gzip else ''}"] = (*cold, *warm)
                    context.close()
                finally:
                    os.killpg(process.pid, 15)
                    process.wait(30)
        finally:
            browser.close()
    shutil.rmtree(root, ignore_errors=True)
    print(f"{'':28} {'cold bytes':>12} {'requests':>9} {'warm bytes':>12} {'requests':>9}")
    for label, (cb, cr, wb, wr) in rows.items():
        print(f"{label:28} {cb:>12,} {cr:>9} {wb:>12,} {wr:>9}")
    for phase in ("cold", "warm"):
        top = sorted((d for d in DETAILS if d[0] == phase), key=lambda d: -d[1])[:args.details]
        for _, size, url in top:
            print(f"  {phase} {size:>10,}  {url[:110]}")
    ours = rows["northlab (through hub)"]
    for label, row in rows.items():
        if row is not ours:
            print(f"northlab / {label}: cold {ours[0] / row[0]:.2f}x, warm {ours[2] / row[2]:.2f}x")
    print(f"targets: cold <= 1,200,000 bytes ({'met' if ours[0] <= 1_200_000 else 'NOT met'}), "
          f"warm <= 40,960 bytes ({'met' if ours[2] <= 40_960 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
