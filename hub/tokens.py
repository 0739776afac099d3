"""Secrets kept in ``<data_root>/hub/`` (mode 0600, created once, reused on restart)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def token_file(path: Path) -> str:
    """Return the token stored in ``path``, creating a random one the first time."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()
