"""A forked server holds nothing computed for root: every module value the fork-server's
imports computed (and the paths, folders and locale a server asks for) equals what a new
process of the same learner computes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .test_forkserver_safety import learner  # noqa: F401 - fixture

pytestmark = pytest.mark.slow

#: Run by both processes after the fork-server's imports (``server.preload``): every simple
#: module value (str, bytes, paths, ints, containers of them, class attributes and traitlets
#: defaults of the module's classes, lru_cache sizes) and what a server asks for by call.
SNAPSHOT = r'''
import functools, getpass, json, locale, os, site, sys, tempfile, traitlets

def describe(value, depth=0):
    if isinstance(value, (str, bytes, os.PathLike, int)):
        return repr(value)
    if depth < 2 and isinstance(value, (list, tuple, set, frozenset)) and value:
        parts = [describe(v, depth + 1) for v in value]
        if None not in parts:
            return repr(sorted(parts) if isinstance(value, (set, frozenset)) else parts)
    if depth < 2 and isinstance(value, dict) and value:
        parts = [(str(k), describe(v, depth + 1)) for k, v in value.items()]
        if None not in (p[1] for p in parts):
            return repr(sorted(parts))
    return None

def snapshot():
    values = {}
    for name, module in list(sys.modules.items()):
        if name in ("__main__", "__mp_main__"):  # this probe
            continue
        try:
            items = list(vars(module).items())
        except TypeError:
            continue
        for attr, value in items:
            if attr.startswith("__"):
                continue
            if (text := describe(value)) is not None:
                values[f"{name}.{attr}"] = text
            elif isinstance(value, functools._lru_cache_wrapper):
                values[f"{name}.{attr}()"] = repr(value.cache_info().currsize)
            elif isinstance(value, type) and value.__module__ == name:
                for cattr, cvalue in list(vars(value).items()):
                    if isinstance(cvalue, traitlets.TraitType):
                        cvalue = cvalue.default_value
                    if not cattr.startswith("__") and (text := describe(cvalue)) is not None:
                        values[f"{name}.{attr}.{cattr}"] = text
    from jupyter_core import paths
    from jupyter_client.session import Session
    from jupyterlab.labapp import LabApp
    calls = {
        "jupyter_config_dir": paths.jupyter_config_dir(),
        "jupyter_data_dir": paths.jupyter_data_dir(),
        "jupyter_runtime_dir": paths.jupyter_runtime_dir(),
        "jupyter_path": paths.jupyter_path(),
        "jupyter_config_path": paths.jupyter_config_path(),
        "tempdir": tempfile.gettempdir(),
        "home": os.path.expanduser("~"),
        "user site": site.getusersitepackages(),
        "sys.path": sys.path,
        "LC_CTYPE": locale.setlocale(locale.LC_CTYPE),
        "getuser": getpass.getuser(),
        "cwd": os.getcwd(),
        "LabApp": [LabApp().user_settings_dir, LabApp().workspaces_dir],
        "Session.username": Session().username,
    }
    values.update({f"call {k}": repr(v) for k, v in calls.items()})
    return values
'''

NEW_PROCESS = SNAPSHOT + '''
from hub.forkserver import server
server.preload()
print(json.dumps(snapshot()))
'''

FORKED = SNAPSHOT + '''
import pwd
from hub.forkserver import server
server.preload()
name, env = sys.argv[1], json.loads(sys.argv[2])
if os.fork() == 0:  # as the fork-server's child does, after the request
    server.become(pwd.getpwnam(name), 0o077)
    server.enter(env, [])
    print(json.dumps(snapshot()), flush=True)
    os._exit(0)
os.wait()
'''

#: differs by construction: the probe's own command line
OWN_COMMAND_LINE = {"sys.argv", "sys.orig_argv"}
#: memory addresses and object ids
ADDRESS = re.compile(r"0x[0-9a-f]+|\d{9,}")


def normalised(value: str, uid: int, gid: int) -> str:
    """Memory addresses and numbers other than the learner's ids differ between any two
    processes; so does the order of what was built from sets (hash seed)."""
    if re.fullmatch(r"-?\d+", value):
        return {str(uid): "uid", str(gid): "gid"}.get(value, "number")
    return "".join(sorted(ADDRESS.sub("@", value)))


def test_a_forked_server_computes_what_a_new_process_computes(learner):  # noqa: F811
    home = Path(learner.pw_dir)
    (home / ".local" / "lib").mkdir(parents=True)
    subprocess.run(["chown", "-R", f"{learner.pw_uid}:{learner.pw_gid}", str(home / ".local")],
                   check=True)
    python_path = {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}
    env = {"HOME": str(home), "USER": learner.pw_name, "SHELL": "/bin/bash",
           "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", **python_path}
    new = subprocess.run([sys.executable, "-P", "-c", NEW_PROCESS], env=env, cwd=home,
                         user=learner.pw_uid, group=learner.pw_gid, extra_groups=[],
                         umask=0o077, capture_output=True, text=True, timeout=300)
    assert new.returncode == 0, new.stderr
    # the fork-server's own start: root, cleared environment (hub/forkserver configure)
    forked = subprocess.run([sys.executable, "-P", "-c", FORKED, learner.pw_name, json.dumps(env)],
                            env={"PATH": "/usr/bin:/bin", **python_path}, cwd="/",
                            capture_output=True, text=True, timeout=300)
    assert forked.returncode == 0 and forked.stdout, forked.stderr
    expected, got = json.loads(new.stdout), json.loads(forked.stdout)
    assert str(home) in expected["call jupyter_config_dir"]  # the probe sees the learner
    differences = {
        key: (expected.get(key), got.get(key)) for key in sorted(set(expected) | set(got))
        if key not in OWN_COMMAND_LINE and (
            key not in expected or key not in got
            or normalised(expected[key], learner.pw_uid, learner.pw_gid)
            != normalised(got[key], learner.pw_uid, learner.pw_gid))
    }
    assert not differences, json.dumps(differences, indent=1)[:6000]
