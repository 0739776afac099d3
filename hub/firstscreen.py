"""The lab page carries the answers to JupyterLab's first requests.

Opening the lab, JupyterLab asks its server about twenty questions (settings, translations,
workspace, kernelspecs, sessions, the opened file...), most of them one after another: on a
satellite link (600 ms round trip) that was eight seconds after the scripts had arrived. A
single-user server extension: its lab page handler (before JupyterLab's own) asks this same
server those GET requests, with the learner's own credentials, while it renders the page, and
puts the answers in the page (``<script id="northlab-first-screen">``) with a small script
(``firstscreen.js``) that answers JupyterLab's fetches of those exact URLs from them and
sends everything else to the network. While the lab opens, the workspace (its layout) is
saved in the background, in order: JupyterLab waited for that save before opening the file.
The page also preloads what JupyterLab asks for only once its core has run: the extensions'
own chunks, the theme's style sheet and the hub's fonts.css.

Stale-safe: the page is never cached (``no-store``) and its answers serve the opening only:
those about kernels and terminals once, the others (settings, files...: JupyterLab asks some
several times while it opens) until a write drops them (a workspace save the workspace's, any
other write all), the learner first acts (a key, a click), or 20 seconds after JupyterLab's
first request.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from jupyter_server.utils import ensure_async, url_path_join
from jupyterlab_server.handlers import MASTER_URL_PATTERN, LabHandler
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

SHIM = (Path(__file__).resolve().parent / "firstscreen.js").read_text()
#: What JupyterLab asks on every open, relative to the server's base URL.
#: (Not ``api/nbconvert``: slow to answer, and asked alongside the file, not before it.)
EVERY_OPEN = ("api/me", "api/kernelspecs", "api/kernels", "api/terminals", "api/sessions",
              "lab/api/settings", "lab/api/settings?ids_only=true", "lab/api/translations")
TRANSLATION_PLUGIN = "@jupyterlab/translation-extension:plugin"
THEMES_PLUGIN = "@jupyterlab/apputils-extension:themes"
THEME_PACKAGES = {"JupyterLab Light": "@jupyterlab/theme-light-extension",
                  "JupyterLab Dark": "@jupyterlab/theme-dark-extension"}
#: An extension's own code chunks are preloaded when they are this small in all.
MAX_PRELOADED_CHUNK_BYTES = 160 * 1024
BODY = re.compile(r"<body\b[^>]*>")
#: Larger files are left to the network: the page would wait for them.
MAX_ANSWER_BYTES = 512 * 1024
TIMEOUT_SECONDS = 20.0


def encode_path(path: str) -> str:
    """``path`` encoded per part as JupyterLab does (``encodeURIComponent``)."""
    return "/".join(quote(part, safe="!*'()") for part in path.split("/") if part)


def contents_url(path: str, query: str) -> str:
    encoded = encode_path(path)
    return f"api/contents/{encoded}?{query}" if encoded else f"api/contents?{query}"


def tree_requests(tree: str, folder: bool) -> list[str]:
    """What JupyterLab asks to open ``tree`` (a ``folder`` or a file under the server root)."""
    if not tree.strip("/"):
        return []
    parent = str(PurePosixPath(tree.strip("/")).parent).strip(".")
    urls = [contents_url(tree, "content=0&hash=0"), contents_url(parent, "content=1&hash=0")]
    if folder:
        urls.append(contents_url(tree, "content=1&hash=0"))
    elif tree.endswith(".ipynb"):
        urls += [contents_url(tree, "type=notebook&content=1&hash=1"),
                 f"{contents_url(tree, '')[:-1]}/checkpoints"]
    return urls


def plugin_setting(settings_answer: str | None, plugin_id: str, name: str) -> Any:
    """A plugin's setting in ``lab/api/settings``'s answer: the user's, else the default."""
    try:
        plugins = json.loads(settings_answer or "")["settings"]
        plugin = next(p for p in plugins if p.get("id") == plugin_id)
        return plugin.get("settings", {}).get(
            name, plugin["schema"]["properties"][name].get("default"))
    except (ValueError, KeyError, StopIteration, AttributeError, TypeError):
        return None


def lab_locale(settings_answer: str | None) -> str:
    """The JupyterLab locale (``en``, ``fr_FR``) the settings choose."""
    locale = plugin_setting(settings_answer, TRANSLATION_PLUGIN, "locale")
    return "en" if locale in (None, "default") else str(locale)


def extension_chunks(static: Path) -> list[str]:
    """An extension's code chunks (``<id>.<hash>.js``) as its remote entry asks for them
    (``?v=<hash>``); none if they are larger than :data:`MAX_PRELOADED_CHUNK_BYTES` in all."""
    chunks = [path for path in sorted(static.glob("*.*.js"))
              if not path.name.startswith("remoteEntry.")]
    if sum(path.stat().st_size for path in chunks) > MAX_PRELOADED_CHUNK_BYTES:
        return []
    return [f"{path.name}?v={path.name.split('.')[1]}" for path in chunks]


def preload_links(scripts: list[str], styles: list[str]) -> str:
    return "".join([*(f'<link rel="preload" as="script" href="{html.escape(url)}">'
                      for url in scripts),
                    *(f'<link rel="preload" as="style" href="{html.escape(url)}">'
                      for url in styles)])


def page_with_answers(page: str, answers: dict[str, str]) -> str:
    """``page`` with ``answers`` (absolute path and query -> JSON text) and the shim in its
    head; unchanged if it has no head."""
    if not answers or "</head>" not in page:
        return page
    data = json.dumps(answers).replace("<", "\\u003c").replace(">", "\\u003e")
    script = (f'<script id="northlab-first-screen" type="application/json">{data}</script>'
              f"<script>{SHIM}</script>")
    return page.replace("</head>", script + "</head>", 1)


class FirstScreenLabHandler(LabHandler):
    """JupyterLab's page, with the answers to its first requests."""

    _answers: dict[str, str]

    @web.authenticated
    async def get(self, mode: str | None = None, workspace: str | None = None,
                  tree: str | None = None) -> None:
        space = "default" if workspace is None else workspace.replace("/workspaces/", "")
        path = "" if tree is None else tree.replace("/tree/", "")
        self._answers = await self.first_answers(space, path)
        self.set_header("Cache-Control", "no-store")
        super().get(mode, workspace, tree)

    def render_template(self, name: str, **ns: Any) -> str:
        answers = getattr(self, "_answers", {})
        page = page_with_answers(super().render_template(name, **ns), answers)
        config = ns.get("page_config", {})
        links = preload_links(self.chunk_urls(config), self.style_urls(config, answers))
        return BODY.sub(lambda body: body.group(0) + links, page, count=1)

    def chunk_urls(self, config: dict[str, Any]) -> list[str]:
        """The federated extensions' chunks, which their entries ask for only once JupyterLab's
        core has arrived and run (preloaded: they come with it)."""
        folders = [Path(p) for p in [*self.extensionapp.extra_labextensions_path,
                                     *self.extensionapp.labextensions_path]]
        urls = []
        for extension in config.get("federated_extensions", []):
            name = extension["name"]
            static = next((f / name / "static" for f in folders if (f / name).is_dir()), None)
            if static is not None:
                urls += [url_path_join(config["fullLabextensionsUrl"], name, "static", chunk)
                         for chunk in extension_chunks(static)]
        return urls

    def style_urls(self, config: dict[str, Any], answers: dict[str, str]) -> list[str]:
        """The theme's style sheet, which JupyterLab asks for once its settings are in, and
        the hub's fonts, which @northlab/lab asks for once it runs (hub/labextension)."""
        urls = []
        theme = plugin_setting(answers.get(url_path_join(self.base_url, "lab/api/settings")),
                               THEMES_PLUGIN, "theme")
        if theme in THEME_PACKAGES:
            urls.append(url_path_join(self.base_url, "lab/api/themes", THEME_PACKAGES[theme],
                                      "index.css"))
        if config.get("hubPrefix"):
            urls.append(url_path_join(config["hubPrefix"], "northlab/fonts/fonts.css"))
        return urls

    async def first_answers(self, workspace: str, tree: str) -> dict[str, str]:
        urls = [*EVERY_OPEN, f"lab/api/workspaces/{workspace}",
                contents_url(self.serverapp.contents_manager.preferred_dir, "content=1&hash=0"),
                *tree_requests(tree, await self.is_folder(tree))]
        answers = dict(zip(urls, await asyncio.gather(*map(self.ask, urls)), strict=True))
        if answers["lab/api/settings"] is not None:
            url = f"lab/api/translations/{lab_locale(answers['lab/api/settings'])}"
            answers[url] = await self.ask(url)
        base = self.base_url
        return {url_path_join(base, url): body for url, body in answers.items()
                if body is not None}

    async def is_folder(self, path: str) -> bool:
        try:
            return bool(await ensure_async(self.serverapp.contents_manager.dir_exists(path)))
        except Exception:  # a path the contents manager refuses is no folder to list
            return False

    async def ask(self, url: str) -> str | None:
        """This server's answer to GET ``url`` for this request's user (None: not a 200)."""
        server = self.serverapp
        if server.certfile or server.sock:
            return None
        host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "[::1]"}.get(server.ip, server.ip)
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        headers = {name: self.request.headers[name] for name in ("Cookie", "Authorization")
                   if name in self.request.headers}
        try:
            answer = await AsyncHTTPClient().fetch(
                f"http://{host}:{server.port}{url_path_join(self.base_url, url)}",
                headers=headers, request_timeout=TIMEOUT_SECONDS, follow_redirects=False)
        except (TimeoutError, HTTPClientError, OSError):
            return None
        if answer.code != 200 or len(answer.body) > MAX_ANSWER_BYTES:
            return None
        return answer.body.decode()


def lab_page_rule(base_url: str) -> tuple[str, type, dict[str, str]]:
    """The route of JupyterLab's page, served by :class:`FirstScreenLabHandler`."""
    return (url_path_join(base_url, MASTER_URL_PATTERN.format("lab")), FirstScreenLabHandler,
            {"name": "lab"})


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "hub.firstscreen"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    # extensions load in name order: this route comes before JupyterLab's and wins
    serverapp.web_app.add_handlers(".*$", [lab_page_rule(serverapp.base_url)])
