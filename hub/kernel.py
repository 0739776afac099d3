"""The track kernels' launcher: ipykernel without the debugger.

ipykernel imports debugpy (about 8 MiB per kernel) whenever it is installed, even for a
kernel whose spec says ``"debugger": false``. Learners' JupyterLab has no debugger panel,
so the track kernels start through ``python -m hub.kernel``, which makes ``import debugpy``
fail before ipykernel looks for it; ipykernel then runs as it does where debugpy is absent.
"""

import sys

if __name__ == "__main__":
    sys.modules["debugpy"] = None  # a None entry makes `import debugpy` raise ImportError
    from ipykernel.kernelapp import launch_new_instance

    launch_new_instance()
