"""The take-home kit's launcher, copied into every kit as ``.kit/launcher.py``.

It runs on the learner's laptop with Debian's plain ``python3`` (standard library only, no
network): ``install`` makes a venv and installs the kit's wheels with ``--no-index``;
``start`` (the default) installs when needed and replaces itself with JupyterLab on
127.0.0.1, opened in the ``work/`` folder; ``sync`` hands the work in through the hub when
the laptop is online. Messages come from the kit's ``messages.json`` (the hub's catalogues).
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

KIT = Path(__file__).resolve().parent.parent
OWN = KIT / ".kit"
SKIPPED_DIRS = {".ipynb_checkpoints", "__pycache__", ".git"}
MAX_UPLOAD = 48 * 1024 * 1024


def language() -> str:
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"


def say(message_id: str, **values: object) -> None:
    catalogue = json.loads((OWN / "messages.json").read_text(encoding="utf-8"))
    lang = language()
    text = catalogue.get(lang, {}).get(message_id) or catalogue["en"].get(message_id, message_id)
    print(text.format(**values), flush=True)


def manifest() -> dict:
    return json.loads((KIT / "manifest.json").read_text(encoding="utf-8"))


def home() -> Path:
    """Where this kit's venv lives on the laptop (the kit itself may be a FAT USB stick)."""
    base = os.environ.get("NORTHLAB_KIT_HOME") or os.path.join(
        os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "northlab-kit")
    return Path(base) / manifest()["kit_id"]


def requirements_digest() -> str:
    return hashlib.sha256((OWN / "requirements.txt").read_bytes()).hexdigest()


def install(force: bool = False) -> Path:
    """The kit's venv, made and filled from ``.kit/wheels`` (never from the network)."""
    venv = home() / "venv"
    marker = venv / ".northlab-kit-installed"
    if not force and marker.is_file() and marker.read_text() == requirements_digest():
        say("launcher.already_installed", where=venv)
        return venv
    wanted, have = manifest().get("python"), f"cp{sys.version_info[0]}{sys.version_info[1]}"
    if wanted and wanted != have:
        say("launcher.wrong_python", wanted=f"{wanted[2]}.{wanted[3:]}",
            have=f"{sys.version_info[0]}.{sys.version_info[1]}")
        raise SystemExit(1)
    shutil.rmtree(venv, ignore_errors=True)
    wheels = OWN / "wheels"
    pips = sorted(wheels.glob("pip-*.whl"))
    if not pips:
        say("launcher.broken_kit")
        raise SystemExit(1)
    say("launcher.step", step=1, steps=2, what="venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    say("launcher.step", step=2, steps=2, what="pip install --no-index")
    env = dict(os.environ, PIP_NO_INDEX="1", PIP_CONFIG_FILE=os.devnull,
               PIP_DISABLE_PIP_VERSION_CHECK="1")
    # pip runs straight from its wheel: no ensurepip (python3-venv) needed on the laptop.
    done = subprocess.run(
        [str(venv / "bin" / "python"), str(pips[-1] / "pip"), "install", "--no-index",
         "--no-cache-dir", "--find-links", str(wheels), "pip",
         "-r", str(OWN / "requirements.txt")], env=env, check=False)
    if done.returncode != 0:
        say("launcher.install_failed")
        raise SystemExit(1)
    marker.write_text(requirements_digest())
    say("launcher.installed", where=venv)
    return venv


def restore_missing_labs() -> None:
    """Copy into ``work/`` any released lab the learner does not have there (never over)."""
    for lab in manifest()["labs"]:
        target = KIT / "work" / lab["id"]
        if not target.exists():
            shutil.copytree(KIT / "labs" / lab["id"], target)


def start(extra: list[str], browser: bool) -> None:
    """Become JupyterLab (exec: no process is left behind when it stops)."""
    if not os.access(KIT / "work", os.W_OK):
        say("launcher.read_only", folder=KIT / "work")
        raise SystemExit(1)
    venv = install()
    restore_missing_labs()
    say("launcher.starting")
    argv = [str(venv / "bin" / "jupyter-lab"), "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.root_dir={KIT / 'work'}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            f"--ServerApp.open_browser={browser}", *extra]
    env = dict(os.environ, PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
               JUPYTER_CONFIG_DIR=str(home() / "jupyter-config"))
    os.execve(argv[0], argv, env)


def handin_archive() -> bytes:
    """``manifest.json`` and ``work/`` (regular files only) as a gzipped tar."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(KIT / "manifest.json", arcname="manifest.json")
        for root, dirs, files in os.walk(KIT / "work"):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS
                             and not os.path.islink(os.path.join(root, d)))
            for name in sorted(files):
                path = Path(root, name)
                if path.is_file() and not path.is_symlink():
                    tar.add(path, arcname=path.relative_to(KIT).as_posix())
    return buffer.getvalue()


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"{}")
        except ValueError:
            return exc.code, {}


def sync(hub: str, user: str | None) -> int:
    """Hand ``work/`` in through the hub with the learner's own login."""
    user = user or manifest().get("learner")
    if not user:
        say("launcher.need_user")
        return 2
    password = (getpass.getpass(f"{user} @ {hub}: ") if sys.stdin.isatty()
                else sys.stdin.readline().rstrip("\n"))
    hub = hub.rstrip("/")
    archive = handin_archive()
    if len(archive) > MAX_UPLOAD:
        say("launcher.too_big")
        return 1
    try:
        status, answer = _post(
            f"{hub}/hub/api/users/{urllib.parse.quote(user)}/tokens",
            json.dumps({"auth": {"username": user, "password": password},
                        "expires_in": 600, "note": "northlab kit sync",
                        "scopes": ["access:services!service=kit",
                                   "read:users:groups!user"]}).encode(),
            {"Content-Type": "application/json"})
        if status not in (200, 201) or "token" not in answer:
            say("launcher.login_failed", user=user)
            return 1
        status, answer = _post(f"{hub}/services/kit/handin", archive, {
            "Content-Type": "application/gzip", "Authorization": f"token {answer['token']}"})
    except OSError:
        say("launcher.offline", hub=hub)
        return 1
    lang = language()
    for line in answer.get("messages", []):
        print(line.get(lang) or line.get("en", ""))
    return 0 if status == 200 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="northlab-kit",
        description="northlab take-home kit: install (offline), start JupyterLab, hand in. "
                    "/ Trousse northlab : installer (hors ligne), lancer JupyterLab, remettre.")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    verbs.add_parser("install", help="install from the kit's wheels / installer depuis la trousse")
    run = verbs.add_parser("start", help="start JupyterLab (default) / lancer JupyterLab")
    run.add_argument("--no-browser", action="store_true",
                     help="do not open a browser / ne pas ouvrir de navigateur")
    up = verbs.add_parser("sync", help="hand in through the hub when online / remettre en ligne")
    up.add_argument("--hub", required=True, help="hub address, e.g. https://lab.example.org")
    up.add_argument("--user", help="your login (default: the kit's learner)")
    args, extra = parser.parse_known_args(argv)
    if extra and args.verb != "start" and args.verb is not None:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.verb == "install":
        install(force=True)
        return 0
    if args.verb == "sync":
        return sync(args.hub, args.user)
    start(extra, browser=not getattr(args, "no_browser", False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
