"""Secrets kept in ``<data_root>/hub/`` (mode 0600, created once, reused on restart): the
API tokens of the ``northlab`` command and of the grader, which the hub registers for its
services and the verbs that call the hub read. Part of the core."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from northlab.settings import SiteSettings


def token_file(path: Path) -> str:
    """Return the token stored in ``path``, creating a random one the first time."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def cli_token(site: SiteSettings) -> str:
    """API token of the ``northlab`` command (admin of users and groups)."""
    return token_file(site.hub_dir / "cli-token")


def grader_token_file(site: SiteSettings) -> Path:
    """Where the hub keeps the grader's token (the outbox reads it there when present)."""
    return site.hub_dir / "grader-token"


def grader_token(site: SiteSettings) -> str:
    """API token the grader's outbox uses to report results to the credential service."""
    return token_file(grader_token_file(site))
