"""northlab hub wiring: JupyterHub config, spawner profiles and hub-managed services."""
