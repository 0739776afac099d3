"""northlab's JupyterLab extension: built by make install, listed, loaded for every role."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from jupyter_core.paths import jupyter_path
from jupyterlab.commands import get_app_dir
from jupyterlab_server.translation_utils import get_language_packs
from traitlets.config import Config

from hub import labassets
from hub.labextension import NAME
from hub.tracks import LOCALE, TRACKS

BIN = Path(sys.executable).parent
BUILT = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / NAME


def test_jupyter_lists_the_extension_enabled():
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    listing = subprocess.run([str(BIN / "jupyter"), "labextension", "list"], env=env,
                             capture_output=True, text=True, timeout=120)
    line = next((x for x in (listing.stdout + listing.stderr).splitlines() if NAME in x), "")
    assert "enabled" in line and "OK" in line, listing.stdout + listing.stderr


def js_text(source: str) -> str:
    """A minified bundle with its \\xNN and \\uNNNN escapes read as characters."""
    source = re.sub(r"\\(['\"])", r"\1", source)
    return re.sub(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4}))",
                  lambda m: chr(int(m.group(1) or m.group(2), 16)), source)


def test_the_bundle_carries_the_current_catalogue():
    """Menu and nbgrader texts reach the browser in both languages, as hub/locale says now."""
    bundle = js_text("".join(p.read_text() for p in (BUILT / "static").glob("*.js")))
    for lang in ("en", "fr"):
        for key, text in LOCALE.messages[lang].items():
            if key.startswith(("lab.", "nbgrader.")):
                assert json.dumps(text, ensure_ascii=False)[1:-1] in bundle, (lang, key)


def test_nbgrader_texts_replaced_are_nbgraders_own():
    """Each nbgrader.* English text is one the installed nbgrader lab extension shows."""
    nbgrader = next(Path(p) / "@jupyter" / "nbgrader" for p in jupyter_path("labextensions")
                    if (Path(p) / "@jupyter" / "nbgrader").is_dir())
    shipped = "".join(p.read_text() for p in (nbgrader / "static").glob("*.js"))
    english = {k: v for k, v in LOCALE.messages["en"].items() if k.startswith("nbgrader.")}
    assert len(english) > 20
    assert [k for k, v in english.items() if v not in shipped] == []


@pytest.mark.parametrize(("role", "track"), [("learner", t) for t in TRACKS] +
                         [("instructor", "cybersecurity")])
def test_every_role_and_track_loads_it(tmp_path, role, track):
    config = Config()
    labassets.configure(config, role=role, track=track, home=tmp_path,
                        schemas_dir=Path(get_app_dir()) / "schemas")
    farm = Path(config.LabApp.labextensions_path[0])
    assert (farm / NAME / "package.json").exists()
    page_config = labassets.SINGLEUSER_CONFIG_DIR / role / "labconfig" / "page_config.json"
    assert json.loads(page_config.read_text())["northlabRole"] == role


def test_french_language_pack_is_installed():
    """JupyterLab's Settings > Language offers French (the pack the extension switches to)."""
    packs, _ = get_language_packs("en")
    assert "fr_FR" in packs
