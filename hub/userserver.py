"""A learner's or instructor's single-user server: ``jupyterhub-singleuser``, started lighter.

jsonschema (through jupyter_events and nbformat) imports ``rfc3987_syntax`` when it is
installed, which builds a parser at import time: about one CPU-second and 16 MiB of every
server start, spent to check the ``iri`` string format that no Jupyter or nbgrader schema
uses. With twenty learners starting at once on a two-core box that is paid twenty times,
so the spawner runs ``python -m hub.userserver``, which makes that import fail first;
jsonschema then simply does not check ``iri`` strings. The Assignments tab's worker
(:mod:`hub.assignments.worker`) does the same.
"""

import sys


def skip_iri_parser() -> None:
    """Make the optional ``import rfc3987_syntax`` fail (a None entry raises ImportError)."""
    sys.modules.setdefault("rfc3987_syntax", None)


if __name__ == "__main__":
    skip_iri_parser()
    from jupyterhub.singleuser import main

    sys.exit(main())
