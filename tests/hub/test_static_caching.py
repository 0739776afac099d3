"""What a learner's browser may keep: the lab's content-hashed files are cached for good, so
reopening the lab (also after the hub or the server restarts: the names do not change)
fetches none of them again over a slow link (benchmarks/bytes.py, time to usable lab)."""

from __future__ import annotations

import json
import re
import secrets

import pytest
import requests

from hub.people.manage import add_person

pytestmark = pytest.mark.slow
CONFIG = re.compile(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                    re.DOTALL)
PRELOAD = re.compile(r'<link rel="preload" as="script" href="([^"]+)">')


def test_the_lab_page_preloads_immutable_scripts_behind_the_hub(hub):
    name = hub.name("cache")
    add_person(hub.settings, hub.client, name, role="learner", cohort=hub.cohort,
               password=secrets.token_hex(8))
    token = hub.start_server(name, "cybersecurity")
    try:
        session = requests.Session()
        session.headers["Authorization"] = f"token {token}"
        base = f"{hub.url}/user/{name}"
        page = session.get(f"{base}/lab", timeout=60)
        extensions = json.loads(CONFIG.search(page.text).group(1))["federated_extensions"]
        assert extensions
        preloads = PRELOAD.findall(page.text.split("</head>")[0])
        entries = [f"/user/{name}/lab/extensions/{extension['name']}/{extension['load']}"
                   for extension in extensions]
        # the page names the scripts main.js loads next (hub/compression.PreloadHints)
        assert set(entries) < set(preloads) and any("/jlab_core." in url for url in preloads)
        for url in preloads:  # remoteEntry.<hash>.js, jlab_core.<hash>.js: loaded first
            answer = session.get(f"{hub.url}{url}", timeout=60)
            assert answer.status_code == 200, url
            cache = answer.headers.get("Cache-Control", "")
            assert "immutable" in cache and "max-age=31536000" in cache, (url, cache)
    finally:
        hub.stop_server(name)
