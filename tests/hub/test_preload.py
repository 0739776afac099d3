"""hub/compression.PreloadHints: JupyterLab's page names the scripts main.js loads next."""

from __future__ import annotations

import json

from tornado.httputil import HTTPHeaders, HTTPServerRequest

from hub import compression

CONFIG = {"fullLabextensionsUrl": "/user/ana/lab/extensions/",
          "fullStaticUrl": "/user/ana/static/lab",
          "federated_extensions": [{"name": "@northlab/lab",
                                    "load": "static/remoteEntry.91eb.js"}]}
PAGE = ('<!doctype html><html><head><script id="jupyter-config-data" type="application/json">'
        f'{json.dumps(CONFIG)}</script><script defer src="/user/ana/static/lab/main.1.js?v=1">'
        '</script></head><body></body></html>').encode()


def transformed(page: bytes, content_type: str = "text/html; charset=UTF-8") -> bytes:
    transform = compression.PreloadHints(HTTPServerRequest(method="GET", uri="/user/ana/lab"))
    headers = HTTPHeaders({"Content-Type": content_type, "Content-Length": str(len(page))})
    _, headers, out = transform.transform_first_chunk(200, headers, page, True)
    assert headers["Content-Length"] == str(len(out))
    return out


def test_the_lab_page_preloads_extension_entries_and_the_core(tmp_path, monkeypatch):
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "jlab_core.8811dd27.js").write_text("")
    monkeypatch.setattr(compression, "_app_dir", lambda: str(tmp_path))
    compression.core_script.cache_clear()
    head = transformed(PAGE).decode().split("</head>")[0]
    assert ('<link rel="preload" as="script" '
            'href="/user/ana/lab/extensions/@northlab/lab/static/remoteEntry.91eb.js">') in head
    assert ('<link rel="preload" as="script" '
            'href="/user/ana/static/lab/jlab_core.8811dd27.js?v=8811dd27">') in head
    compression.core_script.cache_clear()


def test_other_responses_are_untouched():
    other = b"<!doctype html><html><head></head><body>tree</body></html>"
    assert transformed(other) == other
    assert transformed(PAGE, "application/json") == PAGE
