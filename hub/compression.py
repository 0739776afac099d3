"""A single-user server extension for slow links: Brotli for browsers that accept it (gzip
otherwise), and the lab page's preload hints.

Tornado only gzips (``compress_response``). Brotli makes JupyterLab's JavaScript a sixth
(quality 9, on the fly) to a quarter (quality 11) smaller than gzip, which is what a
learner on a satellite link pays for on a first open. Quality 11 is too slow to run per
request, so ``python -m hub.compression`` (run by ``make install``, as root) compresses
JupyterLab's static files once into ``<venv>/share/northlab/brotli/<sha256>.br``; a
response whose body has such a file is served from it, others are compressed at quality 9.
Responses to versioned static URLs (``?v=<hash>``) never change and are kept in memory.

The lab page loads ``main.js``, which then asks for each extension's ``remoteEntry`` and for
``jlab_core``: two round trips one after the other before most of the lab's code even starts
downloading. :class:`PreloadHints` names them in the page (``<link rel="preload">``), so the
browser fetches them together with ``main.js``.
"""

from __future__ import annotations

import functools
import hashlib
import html
import json
import re
import sys
from pathlib import Path
from typing import Any

import brotli
from jupyter_core.paths import jupyter_path
from tornado.httputil import HTTPHeaders, HTTPServerRequest
from tornado.web import GZipContentEncoding, OutputTransform

QUALITY = 9
MIN_LENGTH = 1024
#: Where the precompressed static files live (written by root, read by every learner).
CACHE_DIR = Path(sys.prefix) / "share" / "northlab" / "brotli"
PRECOMPRESSED_SUFFIXES = (".js", ".css", ".json", ".svg", ".html")
_CACHE: dict[str, bytes] = {}
PAGE_CONFIG = re.compile(
    rb'<script id="jupyter-config-data" type="application/json">(.*?)</script>', re.DOTALL)


def compress(body: bytes) -> bytes:
    """The precompressed form of ``body`` if there is one, else Brotli at :data:`QUALITY`."""
    stored = CACHE_DIR / f"{hashlib.sha256(body).hexdigest()}.br"
    try:
        return stored.read_bytes()
    except OSError:
        return brotli.compress(body, quality=QUALITY)


def precompress(folders: list[Path], cache_dir: Path = CACHE_DIR) -> int:
    """Compress every static file under ``folders`` at quality 11; returns files written."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    written = 0
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or path.suffix not in PRECOMPRESSED_SUFFIXES:
                continue
            body = path.read_bytes()
            target = cache_dir / f"{hashlib.sha256(body).hexdigest()}.br"
            if len(body) >= MIN_LENGTH and not target.exists():
                partial = target.with_suffix(".part")
                partial.write_bytes(brotli.compress(body, quality=11))
                partial.replace(target)
                written += 1
    return written


class BrotliContentEncoding(OutputTransform):
    """Compress a whole response with Brotli when the client sends ``br``."""

    def __init__(self, request: HTTPServerRequest) -> None:
        self._accepts = "br" in request.headers.get("Accept-Encoding", "")
        self._key = request.uri if "v=" in (request.query or "") else None
        self._active = False
        self._parts: list[bytes] = []

    def transform_first_chunk(
        self, status_code: int, headers: HTTPHeaders, chunk: bytes, finishing: bool
    ) -> tuple[int, HTTPHeaders, bytes]:
        ctype = headers.get("Content-Type", "").split(";")[0]
        self._active = (
            self._accepts
            and status_code == 200
            and "Content-Encoding" not in headers
            and ctype in GZipContentEncoding.CONTENT_TYPES
            and not (finishing and len(chunk) < MIN_LENGTH)
        )
        if self._active:
            headers["Content-Encoding"] = "br"
            headers.add("Vary", "Accept-Encoding")
            chunk = self.transform_chunk(chunk, finishing)
            if finishing:
                headers["Content-Length"] = str(len(chunk))
            elif "Content-Length" in headers:
                del headers["Content-Length"]
        return status_code, headers, chunk

    def transform_chunk(self, chunk: bytes, finishing: bool) -> bytes:
        if not self._active:
            return chunk
        self._parts.append(chunk)
        if not finishing:
            return b""
        if self._key is not None and self._key in _CACHE:
            return _CACHE[self._key]
        body = compress(b"".join(self._parts))
        if self._key is not None:
            _CACHE[self._key] = body
        return body


class PreloadHints(OutputTransform):
    """Preload hints in JupyterLab's page for the scripts ``main.js`` asks for next."""

    def __init__(self, request: HTTPServerRequest) -> None:
        pass

    def transform_first_chunk(
        self, status_code: int, headers: HTTPHeaders, chunk: bytes, finishing: bool
    ) -> tuple[int, HTTPHeaders, bytes]:
        if (status_code == 200 and finishing and "Content-Encoding" not in headers
                and headers.get("Content-Type", "").startswith("text/html")
                and PAGE_CONFIG.search(chunk)):
            chunk = with_preloads(chunk, core_script(Path(_app_dir()) / "static"))
            headers["Content-Length"] = str(len(chunk))
        return status_code, headers, chunk


def with_preloads(page: bytes, core: str | None) -> bytes:
    """JupyterLab's ``page`` with a preload hint per federated extension's entry script and
    for ``core`` (a file under the page's static URL)."""
    found = PAGE_CONFIG.search(page)
    if found is None or b"</head>" not in page:
        return page
    config = json.loads(found.group(1))
    extensions = config["fullLabextensionsUrl"].rstrip("/")
    urls = [f"{extensions}/{extension['name']}/{extension['load']}"
            for extension in config.get("federated_extensions", [])]
    if core is not None:
        urls.append(f"{config['fullStaticUrl'].rstrip('/')}/{core}")
    links = "".join(f'<link rel="preload" as="script" href="{html.escape(url)}">'
                    for url in urls)
    return page.replace(b"</head>", links.encode() + b"</head>", 1)


@functools.cache
def core_script(static: Path) -> str | None:
    """``jlab_core.<hash>.js?v=<hash>`` as ``main.js`` asks for it (None if not built)."""
    for path in static.glob("jlab_core.*.js"):
        return f"{path.name}?v={path.name.split('.')[1]}"
    return None


@functools.cache
def _app_dir() -> str:
    from jupyterlab.commands import get_app_dir  # JupyterLab's own: only in a lab server

    return get_app_dir()


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "hub.compression"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    # transforms run in order: the hints go into the page before it is compressed
    serverapp.web_app.transforms[:0] = [PreloadHints, BrotliContentEncoding]


def main() -> int:
    """Precompress JupyterLab's static files and installed extensions (``make install``)."""
    folders = [Path(_app_dir()) / "static"]
    folders += [Path(p) for p in jupyter_path("labextensions") if Path(p).is_dir()]
    print(f"northlab: {precompress(folders)} static files precompressed into {CACHE_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
