"""A learner's or instructor's single-user server: ``jupyterhub-singleuser``, started lighter.

jsonschema (through jupyter_events) imports ``rfc3987_syntax`` when it is installed, which
builds a parser at import time: about one CPU-second of every server start, spent to check
the ``iri`` string format that no Jupyter event schema uses. With twenty learners starting
at once on a two-core box that second is paid twenty times, so the spawner runs
``python -m hub.userserver``, which makes that import fail first; jsonschema then simply
does not check ``iri`` strings.
"""

import sys

if __name__ == "__main__":
    sys.modules["rfc3987_syntax"] = None  # a None entry makes the import raise ImportError
    from jupyterhub.singleuser import main

    sys.exit(main())
