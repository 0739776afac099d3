"""Single-user server settings for every northlab learner and instructor.

Loaded through JUPYTER_CONFIG_PATH (set by the spawner). Bytes over the wire matter most:
gzip every response (Brotli when the browser accepts it: hub/compression.py); versioned static
files are cached by the browser (tornado gives ``?v=`` URLs a long lifetime).
"""

import os
from pathlib import Path

from jupyterlab.commands import get_app_dir

from hub import labassets

c = get_config()  # noqa: F821
c.ServerApp.tornado_settings = {"compress_response": True}
# No network calls on a cut-off site: no news, no extension manager listings.
c.LabApp.news_url = None
c.LabApp.extension_manager = "readonly"
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
c.ServerApp.terminals_enabled = True
# A 16x16 favicon instead of the 6 KB multi-size one, fetched on every page load.
c.ServerApp.extra_static_paths = [str(Path(__file__).resolve().parents[1] / "static")]
# New notebooks use the track's kernel (all kernels get the track's environment).
c.MappingKernelManager.default_kernel_name = "northlab-" + os.environ.get(
    "NORTHLAB_TRACK", "cybersecurity"
)
# Only the extensions and settings schemas the role and track use reach the browser.
labassets.configure(
    c, role=os.environ.get("NORTHLAB_ROLE", "learner"),
    track=os.environ.get("NORTHLAB_TRACK", "cybersecurity"), home=Path.home(),
    schemas_dir=Path(get_app_dir()) / "schemas",
)
