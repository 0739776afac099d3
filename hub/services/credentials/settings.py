"""Settings of the credential service: declared with their help in
:mod:`northlab.settings` (:class:`CredentialSettings`; shared keys at top level of
``northlab.toml``, the service's own in its ``[credentials]`` table, ``NORTHLAB_*``
variables win). The hub hands its services ``NORTHLAB_DATA``, ``NORTHLAB_LABS_ROOT``,
``NORTHLAB_RESULTS_DATABASE_URL``, ``NORTHLAB_PORT`` and ``NORTHLAB_PUBLIC_URL``.
"""

from __future__ import annotations

from collections.abc import Mapping

from northlab.settings import CredentialSettings, load


def load_settings(environ: Mapping[str, str] | None = None) -> CredentialSettings:
    """Settings from ``northlab.toml`` then the environment (``environ`` defaults to os.environ)."""
    return load(CredentialSettings, environ)
