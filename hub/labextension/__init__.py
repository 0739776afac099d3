"""northlab's JupyterLab extension ``@northlab/lab`` (sources in ``lib/``, plain JavaScript).

``make install`` builds it with the npm-installed ``@jupyter/builder`` (an npm workspace of
the project's ``package.json``) against the installed JupyterLab, into the venv's
``share/jupyter/labextensions/@northlab/lab``. ``python -m hub.labextension`` prints the
JupyterLab core package file the build needs.
"""

from __future__ import annotations

from pathlib import Path

NAME = "@northlab/lab"
SOURCE_DIR = Path(__file__).resolve().parent


def core_package_file() -> Path:
    """The installed JupyterLab's own ``package.json`` (its shared packages and versions)."""
    import jupyterlab

    return Path(jupyterlab.__file__).resolve().parent / "staging" / "package.json"
