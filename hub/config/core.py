"""The hub itself: addresses, database, proxy, roles and groups, and local mode.

Called by ``hub/jupyterhub_config.py``; each function sets one concern on config ``c``.
"""

from __future__ import annotations

import signal
import sqlite3
from collections.abc import Callable
from typing import Any

from hub import managed
from hub.config.settings import Settings
from hub.courses.folders import courses
from hub.people.roles import CUSTOM_SCOPES, groups, load_cohorts, roles


def cohorts_file(settings: Settings):
    return settings.hub_dir / "cohorts.json"


def sqlite_connector(path: str) -> Callable[[], sqlite3.Connection]:
    """Connections to the hub's SQLite database in WAL mode with ``synchronous=NORMAL``: a
    commit no longer waits for the disk (10-30 ms each on a busy machine, several per server
    start, all on the hub's one event loop: twenty learners starting at once blocked it for
    seconds). The database stays consistent after a crash; a power cut may lose only the
    last commits."""
    def connect() -> sqlite3.Connection:
        connection = sqlite3.connect(path, check_same_thread=False)  # as JupyterHub's own
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection

    return connect


def configure_hub(c: Any, settings: Settings) -> None:
    """Public address, internal ports, database, cookie secret and the real proxy."""
    # JupyterHub stops services and learners' servers with SIGINT first. A hub started from
    # a background job inherits SIGINT ignored and would hand that on to every child, so
    # each stop would wait for the SIGTERM fallback (seconds per process; the hub's own
    # shutdown then ran out of time). The hub runs in its own session: Ctrl-C reaches it
    # only through `northlab hub`, so SIGINT at its default is safe here.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    c.JupyterHub.ip = settings.ip
    c.JupyterHub.port = settings.port
    c.JupyterHub.hub_ip = "127.0.0.1"
    c.JupyterHub.hub_port = settings.port + managed.HUB_PORT_OFFSET
    c.JupyterHub.db_url = settings.hub_database_url
    if settings.hub_database_url.startswith("sqlite:///"):
        c.JupyterHub.db_kwargs = {"creator": sqlite_connector(
            settings.hub_database_url.removeprefix("sqlite:///"))}
    c.JupyterHub.cookie_secret_file = str(settings.hub_dir / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(settings.hub_dir / "jupyterhub.pid")
    c.JupyterHub.cleanup_servers = False  # learners' servers survive a hub restart
    c.JupyterHub.tornado_settings = {"compress_response": True}
    c.JupyterHub.proxy_class = "configurable-http-proxy"
    c.ConfigurableHTTPProxy.command = [str(settings.proxy_command)]
    c.ConfigurableHTTPProxy.api_url = (
        f"http://127.0.0.1:{settings.port + managed.PROXY_API_PORT_OFFSET}"
    )
    c.ConfigurableHTTPProxy.pid_file = str(settings.hub_dir / "proxy.pid")
    c.ConfigurableHTTPProxy.should_start = True


def configure_people(c: Any, settings: Settings) -> None:
    """Groups, roles (per cohort: leads, instructors), custom scopes and the services."""
    cohorts = load_cohorts(cohorts_file(settings))
    for course in courses(settings):
        cohorts.setdefault(course, {})
    service_list, service_roles = managed.services(settings)
    c.JupyterHub.custom_scopes = CUSTOM_SCOPES
    c.JupyterHub.load_groups = groups(cohorts)
    c.JupyterHub.load_roles = roles(cohorts, settings.admin_users) + service_roles
    c.JupyterHub.services = service_list


def configure_local(c: Any, settings: Settings) -> None:
    """Local mode: one process per learner, as their own Unix user (hub runs as root)."""
    c.JupyterHub.spawner_class = "hub.spawner.NorthlabSpawner"
    c.NorthlabSpawner.home_root = str(settings.home_root)
    c.NorthlabSpawner.exchange_root = str(settings.exchange_root)
    c.NorthlabSpawner.courses_root = str(settings.courses_root)
    # the Foundations pages read the learner's scores from the gradebook (hub/foundations)
    environment = dict(c.Spawner.environment) if "environment" in c.Spawner else {}
    # the Assignments tab shows instant feedback from the feedback service (hub/assignments)
    c.Spawner.environment = {**environment,
                             "NORTHLAB_GRADEBOOK_URL": managed.service_url(settings, "gradebook"),
                             "NORTHLAB_FEEDBACK_URL": managed.service_url(settings, "feedback")}
    c.Spawner.http_timeout = 60
    c.Spawner.start_timeout = 120
