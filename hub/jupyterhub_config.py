"""JupyterHub configuration for northlab: wiring only (the logic lives in hub/'s
packages: config/, people/, pages/, courses/, and the modules beside them).

Run with ``jupyterhub -f hub/jupyterhub_config.py`` (``northlab hub`` does it). Settings
come from northlab.toml / NORTHLAB_* variables (hub/config/settings.py).
"""

from hub import forkserver, modes
from hub.config.core import configure_hub, configure_local, configure_people
from hub.config.settings import load_settings
from hub.pages.hub_pages import configure_pages
from hub.pages.language import configure_language
from hub.people.auth import configure_auth

c = get_config()  # noqa: F821
settings = load_settings()

configure_hub(c, settings)  # addresses, database, cookie secret, configurable-http-proxy
configure_auth(c, settings)  # NativeAuthenticator with admin approval, or LTI 1.3
configure_pages(c)  # light login, sign-up, authorize, error, track, start-up pages (EN/FR)
configure_language(c, settings)  # language switch remembered per person, syllabics font
configure_people(c, settings)  # groups, roles, custom scopes, services (culler, ...)
if settings.mode == "local":
    configure_local(c, settings)  # a process per learner as their own Unix user
    if settings.server_start == "fork":
        forkserver.configure(c, settings)  # forked from a warm fork-server (classroom start)
modes.configure(c, settings)  # docker / kubernetes spawners (hub/modes/)
