"""hub/firstscreen: the lab page answers JupyterLab's first requests (no round trip each)."""

from __future__ import annotations

import json
import re
import secrets
import shutil
import subprocess

import pytest
import requests

from hub import firstscreen
from hub.people.manage import add_person

ANSWERS_IN_PAGE = re.compile(
    r'<script id="northlab-first-screen" type="application/json">(.*?)</script>', re.DOTALL)
PAGE_CONFIG = re.compile(
    r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', re.DOTALL)
BASE = "/user/ana/"
SETTINGS = {"settings": [{"id": "@jupyterlab/docmanager-extension:plugin", "raw": "{}",
                          "schema": {"type": "object"}, "settings": {}, "version": "4",
                          "warning": None}]}
ANSWERS = {
    f"{BASE}api/kernelspecs": json.dumps({"default": "python3"}),
    f"{BASE}api/sessions": "[]",
    f"{BASE}lab/api/settings": json.dumps(SETTINGS),
    f"{BASE}lab/api/workspaces/default": json.dumps({"data": {}}),
    f"{BASE}api/contents/a%20b.ipynb?content=0&hash=0": json.dumps({"name": "a b.ipynb"}),
    f"{BASE}api/contents?content=1&hash=0": json.dumps({"content": []}),
}
#: The shim in a page without a DOM: fetch is a stub that says "network".
HARNESS = """
const {answers, base, calls, shim} = JSON.parse(require('fs').readFileSync(0, 'utf8'));
globalThis.window = globalThis;
window.location = new URL('http://lab.example' + base + 'lab');
const nodes = {'northlab-first-screen': JSON.stringify(answers),
               'jupyter-config-data': JSON.stringify({baseUrl: base})};
globalThis.document = {getElementById: (id) => ({textContent: nodes[id]})};
const sent = [];
const listeners = [];
window.addEventListener = (type, listener) => listeners.push(listener);
window.fetch = async (request) => {
  sent.push(`${request.method} ${new URL(request.url).pathname}`);
  return new Response('network');
};
eval(shim);
(async () => {
  const out = [];
  for (const [method, url, wait] of calls) {
    if (wait) { const now = Date.now; Date.now = () => now() + wait; }
    if (method === 'ACT') { listeners.forEach((listener) => listener()); continue; }
    const request = new Request(new URL(url, window.location.href), {method});
    const response = await fetch(request);
    out.push(response.status === 204 ? 'saved' : await response.text());
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  console.log(JSON.stringify({out, sent}));
})();
"""


def shim_run(calls: list[tuple[str, str, int]]) -> tuple[list[str], list[str]]:
    """What the page's fetch gives for each (method, url, ms later) call, and the requests
    that went to the network ("METHOD path")."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    data = json.dumps({"answers": ANSWERS, "base": BASE, "calls": calls,
                       "shim": firstscreen.SHIM})
    done = subprocess.run([node, "-e", HARNESS], input=data, capture_output=True, text=True,
                          timeout=60, check=True)
    result = json.loads(done.stdout)
    return result["out"], result["sent"]


def shim_answers(calls: list[tuple[str, str, int]]) -> list[str]:
    return shim_run(calls)[0]


def test_first_requests_are_answered_from_the_page_without_the_timestamp():
    got = shim_answers([("GET", f"{BASE}api/kernelspecs?1796048396322", 0),
                        ("GET", f"{BASE}api/contents/a%20b.ipynb?content=0&hash=0"
                                "&contentProviderId=undefined&179604839", 0),
                        ("GET", f"{BASE}lab/api/settings?1796048396355", 0),
                        ("GET", f"{BASE}lab/api/settings/@jupyterlab/docmanager-extension:plugin"
                                "?1796048", 0)])
    assert got[:3] == [ANSWERS[f"{BASE}api/kernelspecs"],
                       ANSWERS[f"{BASE}api/contents/a%20b.ipynb?content=0&hash=0"],
                       ANSWERS[f"{BASE}lab/api/settings"]]
    # one plugin's settings: its entry of the list, as the server answers it alone
    assert json.loads(got[3]) == {key: value for key, value in SETTINGS["settings"][0].items()
                                  if key != "warning"}


def test_other_requests_repeats_of_changing_answers_and_writes_go_to_the_network():
    sessions, listing = f"{BASE}api/sessions?1", f"{BASE}api/contents?content=1&hash=0&2"
    model = f"{BASE}api/contents/a%20b.ipynb?content=0&hash=0&3"
    workspace = f"{BASE}lab/api/workspaces/default?4"
    got = shim_answers([("GET", sessions, 0), ("GET", sessions, 0),
                        ("GET", listing, 0), ("GET", listing, 0),
                        ("GET", model, 0), ("GET", model, 0),
                        ("GET", f"{BASE}api/kernels?5", 0),
                        ("GET", "http://elsewhere.example/user/ana/api/kernelspecs", 0),
                        ("DELETE", workspace, 0), ("GET", workspace, 0),
                        ("POST", f"{BASE}assignments/fetch", 0), ("GET", model, 0),
                        ("GET", f"{BASE}api/kernelspecs?6", 0)])
    listed, modelled = json.dumps({"content": []}), ANSWERS[model[:-2]]
    assert got == ["[]", "network",  # kernels and sessions change on their own: once
                   listed, listed, modelled, modelled,  # asked again while the lab opens
                   "network", "network", "network", "network",
                   "network", "network", "network"]  # any other write: every answer dropped


def test_the_workspace_is_saved_in_the_background_in_order_while_the_lab_opens():
    workspace = f"{BASE}lab/api/workspaces/default"
    got, sent = shim_run([("PUT", f"{workspace}?1", 0), ("PUT", f"{workspace}?2", 0),
                          ("GET", workspace, 0), ("PUT", f"{workspace}?3", 21_000)])
    assert got == ["saved", "saved", "network", "network"]  # the last: after the lab opened
    assert sent == [f"PUT {workspace}", f"PUT {workspace}", f"GET {workspace}",
                    f"PUT {workspace}"]


def test_answers_end_when_the_learner_acts():
    got = shim_answers([("GET", f"{BASE}api/kernelspecs?1", 0), ("ACT", "", 0),
                        ("GET", f"{BASE}api/kernelspecs?2", 0)])
    assert got == [ANSWERS[f"{BASE}api/kernelspecs"], "network"]


def test_answers_expire_20_seconds_after_the_first_request():
    got = shim_answers([("GET", f"{BASE}api/kernels?1", 0),
                        ("GET", f"{BASE}api/kernelspecs?2", 21_000)])
    assert got == ["network", "network"]


def test_the_page_carries_the_answers_escaped():
    page = "<html><head><title>x</title></head><body></body></html>"
    hostile = {f"{BASE}api/contents?content=1&hash=0": '{"name": "</script><script>alert(1)"}'}
    out = firstscreen.page_with_answers(page, hostile)
    head = out.split("</head>")[0]
    assert "</script><script>alert" not in head
    data = head.split('<script id="northlab-first-screen" type="application/json">')[1]
    assert json.loads(data.split("</script>")[0]) == hostile
    assert firstscreen.page_with_answers(page, {}) == page


def test_urls_are_encoded_as_jupyterlab_encodes_them():
    assert firstscreen.tree_requests("labs/week 1/é!.ipynb", folder=False) == [
        "api/contents/labs/week%201/%C3%A9!.ipynb?content=0&hash=0",
        "api/contents/labs/week%201?content=1&hash=0",
        "api/contents/labs/week%201/%C3%A9!.ipynb?type=notebook&content=1&hash=1",
        "api/contents/labs/week%201/%C3%A9!.ipynb/checkpoints",
    ]
    assert firstscreen.tree_requests("labs/week 1", folder=True) == [
        "api/contents/labs/week%201?content=0&hash=0", "api/contents/labs?content=1&hash=0",
        "api/contents/labs/week%201?content=1&hash=0",
    ]
    assert firstscreen.tree_requests("", folder=True) == []
    assert firstscreen.contents_url("", "content=1&hash=0") == "api/contents?content=1&hash=0"


@pytest.mark.slow
def test_a_learners_lab_page_carries_her_servers_own_answers(hub):
    name = hub.name("first")
    add_person(hub.settings, hub.client, name, role="learner", cohort=hub.cohort,
               password=secrets.token_hex(8))
    token = hub.start_server(name, "cybersecurity")
    try:
        session = requests.Session()
        session.headers["Authorization"] = f"token {token}"
        base = f"/user/{name}/"
        notebook = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        session.put(f"{hub.url}{base}api/contents/open%20me.ipynb", timeout=60,
                    json={"type": "notebook", "content": notebook}).raise_for_status()
        page = session.get(f"{hub.url}{base}lab/tree/open%20me.ipynb", timeout=120)
        assert "no-store" in page.headers["Cache-Control"]
        answers = json.loads(ANSWERS_IN_PAGE.search(page.text).group(1))
        # no build check: the learner cannot build, and the server spent ~0.7 s CPU on it
        config = json.loads(PAGE_CONFIG.search(page.text).group(1))
        assert config["buildCheck"] is False and config["buildAvailable"] is False
        for url in ("api/kernelspecs", "lab/api/settings", "lab/api/workspaces/default",
                    "lab/api/translations/en", "api/contents/open%20me.ipynb?content=0&hash=0",
                    "api/contents/open%20me.ipynb?type=notebook&content=1&hash=1",
                    "api/contents/open%20me.ipynb/checkpoints"):
            live = session.get(f"{hub.url}{base}{url}", timeout=60)
            assert json.loads(answers[base + url]) == live.json(), url
        # what JupyterLab asks for once its core has run comes with the core
        head = page.text.split("</body>")[0]
        assert f'<link rel="preload" as="style" href="{base}lab/api/themes/' in head
        assert '<link rel="preload" as="style" href="/hub/northlab/fonts/fonts.css">' in head
        assert re.search(rf'<link rel="preload" as="script" href="{base}lab/extensions/'
                         r'@northlab/lab/static/\d+\.\w+\.js\?v=\w+">', head)
        # the page answers one plugin's settings from the list: the server's own answer
        plugin = json.loads(answers[base + "lab/api/settings"])["settings"][0]
        alone = session.get(f"{hub.url}{base}lab/api/settings/{plugin['id']}", timeout=60)
        assert alone.json() == {key: value for key, value in plugin.items() if key != "warning"}
    finally:
        hub.stop_server(name)


def test_small_extensions_have_their_chunks_preloaded(tmp_path):
    (tmp_path / "remoteEntry.91eb.js").write_text("entry")
    (tmp_path / "612.8e3be57c.js").write_text("chunk")
    (tmp_path / "style.js").write_text("style")
    assert firstscreen.extension_chunks(tmp_path) == ["612.8e3be57c.js?v=8e3be57c"]
    (tmp_path / "161.290a6403.js").write_bytes(b"x" * firstscreen.MAX_PRELOADED_CHUNK_BYTES)
    assert firstscreen.extension_chunks(tmp_path) == []  # too large: the entry asks


def test_settings_are_read_from_the_settings_answer():
    plugin = {"id": firstscreen.THEMES_PLUGIN, "settings": {},
              "schema": {"properties": {"theme": {"default": "JupyterLab Light"}}}}
    answer = json.dumps({"settings": [plugin]})
    assert firstscreen.plugin_setting(answer, firstscreen.THEMES_PLUGIN, "theme") == (
        "JupyterLab Light")
    plugin["settings"] = {"theme": "JupyterLab Dark"}
    answer = json.dumps({"settings": [plugin]})
    assert firstscreen.plugin_setting(answer, firstscreen.THEMES_PLUGIN, "theme") == (
        "JupyterLab Dark")
    assert firstscreen.plugin_setting(None, firstscreen.THEMES_PLUGIN, "theme") is None
    assert firstscreen.lab_locale(None) == "en"
