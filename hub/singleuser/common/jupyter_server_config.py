"""Single-user server settings for every northlab learner and instructor.

Loaded through JUPYTER_CONFIG_PATH (set by the spawner). Bytes over the wire matter most:
gzip every response (Brotli when the browser accepts it: hub/compression.py); versioned static
files are cached by the browser (tornado gives ``?v=`` URLs a long lifetime).
"""

import os
from pathlib import Path

from jupyterlab.commands import get_app_dir, get_user_settings_dir, get_workspaces_dir

from hub import labassets

c = get_config()  # noqa: F821
track = os.environ.get("NORTHLAB_TRACK", "cybersecurity")
c.ServerApp.tornado_settings = {
    "compress_response": True,
    # JupyterHub's default (frame-ancestors 'none') keeps JupyterLab from embedding
    # formgrader; 'self' is this server's origin, the hub's own public address.
    "headers": {"Content-Security-Policy": "frame-ancestors 'self'"},
}
# No network calls on a cut-off site: no news, no extension manager listings.
c.LabApp.news_url = None
c.LabApp.extension_manager = "readonly"
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
c.ServerApp.terminals_enabled = True
# Labs are fetched into the track's folder, where JupyterLab opens (NORTHLAB_ASSIGNMENT_DIR).
# The local spawner makes it; a container's fresh home volume has none, and nbgrader's
# Assignments list died on the missing folder before asking the exchange.
if os.environ.get("NORTHLAB_ASSIGNMENT_DIR"):
    Path(os.environ["NORTHLAB_ASSIGNMENT_DIR"]).mkdir(parents=True, exist_ok=True)
# JupyterLab computes these defaults when it is imported: a server forked from the warm
# fork-server (hub/forkserver) would keep root's (/root/.jupyter/lab/...) and fail to save
# the learner's workspace and settings. Here they come from the learner's own HOME.
c.LabApp.user_settings_dir = get_user_settings_dir()
c.LabApp.workspaces_dir = get_workspaces_dir()
# A login shell would read /etc/profile, which resets PATH: nbgrader, northlab and
# alembic (the venv's bin/, put first by the spawner) would be missing in terminals.
c.ServerApp.terminado_settings = {"shell_command": [os.environ.get("SHELL") or "/bin/bash"]}
# A 16x16 favicon instead of the 6 KB multi-size one, fetched on every page load.
c.ServerApp.extra_static_paths = [str(Path(__file__).resolve().parents[1] / "static")]
# The launcher and new notebooks offer the track's kernel only.
c.KernelSpecManager.ensure_native_kernel = False
c.KernelSpecManager.allowed_kernelspecs = {"northlab-" + track}
c.MappingKernelManager.default_kernel_name = "northlab-" + track
# Kernels left idle are stopped (each holds tens of MiB); the hub's idle culler stops
# whole servers.
c.MappingKernelManager.cull_idle_timeout = 1800
c.MappingKernelManager.cull_interval = 300
c.MappingKernelManager.cull_connected = False
# Only the extensions and settings schemas the role and track use reach the browser.
labassets.configure(
    c, role=os.environ.get("NORTHLAB_ROLE", "learner"),
    track=track, home=Path.home(),
    schemas_dir=Path(get_app_dir()) / "schemas",
    base_url=os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/"),
)
