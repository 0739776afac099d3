"""The hub's configuration: ``hub/jupyterhub_config.py`` (wiring only) calls these.

- :mod:`hub.config.settings`: the hub's settings, checked (declared with their help in
  :mod:`northlab.settings`).
- :mod:`hub.config.core`: addresses, database, proxy, groups, roles, managed services and
  local mode, one function per concern.
- :mod:`hub.config.address`: where a running hub answers (``<data_root>/hub/address``).
"""
