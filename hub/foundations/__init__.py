"""The Foundations pages: a first-time computer user's way through the six weeks, served
by their own single-user server (``/user/<name>/foundations/``) as a jupyter_server
extension. See README.md for why this and not JupyterLab, Voilà or hub pages.

Enabled for every learner's server (``hub/singleuser/learner``) but loaded only in a
server started for the ``foundations`` track: other learners' servers import nothing more.
"""

from __future__ import annotations

import os
from typing import Any

TRACK = "foundations"


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "hub.foundations"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    if os.environ.get("NORTHLAB_TRACK") != TRACK:
        return
    from hub.foundations.handlers import add_handlers

    add_handlers(serverapp)
