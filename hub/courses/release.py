"""Generate and release several labs of a course in one nbgrader process.

nbgrader's command line starts Python and loads its config for every step, twice per lab;
the demo's fifteen labs spent most of ``make demo``'s first run there. Run as ``python -m
hub.courses.release LAB...`` in the course root (:func:`hub.courses.folders.release_labs` does it).
"""

from __future__ import annotations

import sys

from nbgrader.apps import NbGraderAPI
from nbgrader.apps.baseapp import NbGrader


def main(labs: list[str]) -> int:
    """Generate (``--force``) and release each lab; stop at the first failure."""
    app = NbGrader()
    app.initialize([])  # the course's nbgrader_config.py, from the working folder
    api = NbGraderAPI(config=app.config)
    for lab in labs:
        for step in (api.generate_assignment, api.release_assignment):
            result = step(lab)
            if not result["success"]:
                tail = (result.get("error") or result.get("log") or "").strip().splitlines()
                print(f"nbgrader {step.__name__} {lab} failed: {' / '.join(tail[-3:])}",
                      file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
