"""Released notebooks written where a test's exchange or kit expects them."""

from __future__ import annotations

from pathlib import Path

import nbformat

from graders.release import release_notebook


def write_release(source: Path, target: Path) -> Path:
    """Write the release of the nbgrader source notebook ``source`` to the file ``target``."""
    nbformat.write(release_notebook(source), str(target))
    return target
