"""A single-user server extension: Brotli for browsers that accept it, gzip otherwise.

Tornado only gzips (``compress_response``). Brotli makes JupyterLab's JavaScript a sixth
(quality 9, on the fly) to a quarter (quality 11) smaller than gzip, which is what a
learner on a satellite link pays for on a first open. Quality 11 is too slow to run per
request, so ``python -m hub.compression`` (run by ``make install``, as root) compresses
JupyterLab's static files once into ``<venv>/share/northlab/brotli/<sha256>.br``; a
response whose body has such a file is served from it, others are compressed at quality 9.
Responses to versioned static URLs (``?v=<hash>``) never change and are kept in memory.
"""

from __future__ import annotations

import hashlib
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


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "hub.compression"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    serverapp.web_app.transforms.insert(0, BrotliContentEncoding)


def main() -> int:
    """Precompress JupyterLab's static files and installed extensions (``make install``)."""
    from jupyterlab.commands import get_app_dir

    folders = [Path(get_app_dir()) / "static"]
    folders += [Path(p) for p in jupyter_path("labextensions") if Path(p).is_dir()]
    print(f"northlab: {precompress(folders)} static files precompressed into {CACHE_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
