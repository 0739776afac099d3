"""Brotli for learners: precompressed static files, on-the-fly otherwise, gzip untouched."""

from __future__ import annotations

import brotli
from tornado.httputil import HTTPHeaders, HTTPServerRequest

from hub import compression

BODY = b"console.log('northlab');\n" * 400


def request(accept: str, uri: str = "/static/lab/main.js?v=abc") -> HTTPServerRequest:
    headers = HTTPHeaders({"Accept-Encoding": accept})
    return HTTPServerRequest(method="GET", uri=uri, headers=headers)


def run(transform, chunks: list[bytes], ctype: str = "application/javascript"):
    headers = HTTPHeaders({"Content-Type": ctype, "Content-Length": str(sum(map(len, chunks)))})
    status, headers, out = transform.transform_first_chunk(200, headers, chunks[0],
                                                           len(chunks) == 1)
    for i, chunk in enumerate(chunks[1:], start=2):
        out += transform.transform_chunk(chunk, i == len(chunks))
    return headers, out


def test_brotli_when_accepted_in_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(compression, "CACHE_DIR", tmp_path)
    headers, out = run(compression.BrotliContentEncoding(request("gzip, br")),
                       [BODY[:4000], BODY[4000:]])
    assert headers["Content-Encoding"] == "br" and "Content-Length" not in headers
    assert brotli.decompress(out) == BODY and len(out) < len(BODY) // 10


def test_untouched_without_br_or_for_images():
    headers, out = run(compression.BrotliContentEncoding(request("gzip")), [BODY])
    assert "Content-Encoding" not in headers and out == BODY
    headers, out = run(compression.BrotliContentEncoding(request("br")), [BODY], "image/png")
    assert "Content-Encoding" not in headers and out == BODY


def test_precompressed_files_are_used(tmp_path, monkeypatch):
    static = tmp_path / "static"
    static.mkdir()
    (static / "main.js").write_bytes(BODY)
    (static / "tiny.js").write_bytes(b"1")
    cache = tmp_path / "cache"
    assert compression.precompress([static], cache) == 1
    assert compression.precompress([static], cache) == 0  # idempotent
    monkeypatch.setattr(compression, "CACHE_DIR", cache)
    stored = next(cache.glob("*.br")).read_bytes()
    assert compression.compress(BODY) == stored and brotli.decompress(stored) == BODY
