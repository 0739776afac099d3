"""Whether Debian's mirror answers: the container tests skip in one sentence when it does
not, instead of waiting on debootstrap."""

from __future__ import annotations

import urllib.request

from hub.docker.images import DEBIAN_MIRROR


def debian_unreachable(mirror: str = DEBIAN_MIRROR, timeout: float = 30) -> str | None:
    """Why the stand-ins cannot be built from ``mirror`` (one sentence), or None."""
    release = f"{mirror}/dists/bookworm/InRelease"
    try:
        with urllib.request.urlopen(urllib.request.Request(release, method="HEAD"),
                                    timeout=timeout):
            return None
    except (OSError, ValueError) as error:
        return f"Debian's mirror does not answer ({release}: {error})"
