"""Docker host deployment: the compose file, and the tools that build its images offline and
run them on podman where no Docker engine is installed."""
