"""What the fork-server's imports computed for root, computed again for the learner.

A module imported in the fork-server keeps what it computed at import: root's home, uid,
working folder, environment, locale. The forked child calls :func:`recompute` after it has
dropped root and taken the learner's environment and home. The list below is what a forked
server and a new process of the same learner differ in, module value by module value
(``tests/hub/test_forkserver_state.py`` compares every preloaded module and fails when an
import captures something not recomputed here).
"""

from __future__ import annotations

import importlib
import locale
import os
import site
import sys
import sysconfig
from collections.abc import Callable

from traitlets import HasTraits


def ctype_locale() -> None:
    """LC_CTYPE from the learner's environment; C coerced to C.UTF-8 (also in the
    environment, for kernels and terminals) as Python's own start does (PEP 538)."""
    try:
        current = locale.setlocale(locale.LC_CTYPE, "")
    except locale.Error:
        current = locale.setlocale(locale.LC_CTYPE, "C")
    if current in ("C", "POSIX") and not os.environ.get("LC_ALL") \
            and os.environ.get("PYTHONCOERCECLOCALE") != "0":
        locale.setlocale(locale.LC_CTYPE, "C.UTF-8")
        os.environ["LC_CTYPE"] = "C.UTF-8"


def user_site() -> None:
    """``~/.local`` (site's user base and site-packages) is the learner's, on ``sys.path``
    where a new process puts it (before the interpreter's site-packages) when enabled."""
    root_site = site.USER_SITE
    if root_site in sys.path:
        sys.path.remove(root_site)
    site.USER_BASE = site.USER_SITE = None
    own = site.getusersitepackages()  # recomputes USER_BASE and USER_SITE from HOME
    if site.ENABLE_USER_SITE and os.path.isdir(own):
        before = list(sys.path)
        site.addsitedir(own)
        added = [entry for entry in sys.path if entry not in before]
        first_site = min((sys.path.index(p) for p in site.getsitepackages() if p in sys.path),
                         default=len(before))
        sys.path[:] = before[:first_site] + added + before[first_site:]
    install = sys.modules.get("distutils.command.install")
    if install is not None:
        install.USER_BASE, install.USER_SITE = site.USER_BASE, site.USER_SITE
    if sysconfig.get_config_vars().get("userbase") is not None:
        sysconfig.get_config_vars()["userbase"] = site.USER_BASE


def set_trait_default(cls: type[HasTraits], name: str, value: object) -> None:
    """A static trait default computed at import, replaced for every later instance (traitlets
    copies immutable defaults into each class's ``_static_immutable_initial_values``)."""
    getattr(cls, name).default_value = value
    classes, seen = [cls], set()
    while classes:
        klass = classes.pop()
        if klass not in seen:
            seen.add(klass)
            initial = vars(klass).get("_static_immutable_initial_values")
            if initial is not None and name in initial:
                initial[name] = value
            classes.extend(klass.__subclasses__())


def trash() -> None:
    """send2trash's home trash folder and uid (module values): reloaded."""
    importlib.reload(sys.modules["send2trash.plat_other"])


def lab_folders() -> None:
    """JupyterLab's user settings and workspaces folders (LabApp defaults)."""
    from jupyterlab.commands import get_user_settings_dir, get_workspaces_dir
    from jupyterlab.labapp import LabApp

    set_trait_default(LabApp, "user_settings_dir", get_user_settings_dir())
    set_trait_default(LabApp, "workspaces_dir", get_workspaces_dir())


def kernel_session_user() -> None:
    """The user name jupyter_client's sessions put in every message header."""
    from jupyter_client.session import Session

    set_trait_default(Session, "username", os.environ.get("USER", "username"))


def working_folder() -> None:
    """multiprocessing's start folder (children it spawns start there)."""
    multiprocessing_process = sys.modules["multiprocessing.process"]
    multiprocessing_process.ORIGINAL_DIR = os.path.abspath(os.getcwd())


def wsgi_environ() -> None:
    """wsgiref's copy of the environment."""
    handlers = sys.modules["wsgiref.handlers"]
    handlers.BaseHandler.os_environ = handlers.read_environ()


#: module imported by the fork-server -> how to recompute what it captured (None: always)
RECOMPUTE: dict[str | None, Callable[[], None]] = {
    None: ctype_locale,
    "site": user_site,
    "send2trash.plat_other": trash,
    "jupyterlab.labapp": lab_folders,
    "jupyter_client.session": kernel_session_user,
    "multiprocessing.process": working_folder,
    "wsgiref.handlers": wsgi_environ,
}


def recompute() -> None:
    """Recompute, for the current user, environment and folder, what the fork-server's
    imports computed for root (only for modules it has imported)."""
    for module, fix in RECOMPUTE.items():
        if module is None or module in sys.modules:
            fix()
