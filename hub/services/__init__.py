"""JupyterHub-managed services of northlab (credentials, gradebook) and their shared DB models."""
