"""Services the hub manages: the idle culler, the northlab CLI token, the grader (which
delivers the grade outbox), and the credential, gradebook and kit hand-in services.

Adding a service is one line in :data:`SERVICE_APPS`: ``(name, module, token scopes,
OAuth scopes)``; the hub starts ``python -m <module>`` (JupyterHub sets
``JUPYTERHUB_SERVICE_URL``/``_PREFIX``/``JUPYTERHUB_API_TOKEN``; northlab adds
:func:`service_environment`), and every user may log in to it (``access:services!service=<name>``).
Every service the hub starts runs through :mod:`hub.services.lifeline`: it dies with the hub, and
its port answers while it is still importing.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import fields
from typing import Any

from hub.config.settings import Settings
from hub.people.accounts import COURSE_INSTRUCTORS_PREFIX
from hub.people.roles import CLI_SERVICE, GRADEBOOK, REPORT_RESULTS
from hub.services import lifeline
from northlab.settings import CONFIG_VARIABLE, SiteSettings
from northlab.tokens import cli_token, grader_token

#: Hub-managed web services: (name, module run with ``python -m``, scopes of its own token,
#: scopes it may receive from a user's OAuth login).
SERVICE_APPS: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("credentials", "hub.services.credentials", ("list:users", "read:users"),
     ("read:users:groups!user",)),
    ("gradebook", "hub.services.gradebook", ("list:groups", "read:groups"), (GRADEBOOK,)),
    # take-home kits handed in from an online laptop (hub/kit/sync), learners' tokens only
    ("kit", "hub.kit.sync", ("read:users:groups",), ()),
    # grades on submit the labs that ask for it (hub/services/feedback); reads no hub data
    ("feedback", "hub.services.feedback", (), ()),
)
GRADER_SERVICE = "northlab-grader"
#: JupyterHub's default scopes of a single-user server's own token.
SERVER_SCOPES = ("users:activity!user", "access:servers!server")
#: Services a person's server may call for them: the Foundations pages show their scores
#: (gradebook), the Assignments tab their instant feedback (feedback).
SERVER_SERVICES = ("access:services!service=gradebook", "access:services!service=feedback")
#: Offsets from the public port: hub API, proxy API, then one per service app.
HUB_PORT_OFFSET, PROXY_API_PORT_OFFSET, FIRST_SERVICE_PORT_OFFSET = 1, 2, 3


#: Environment a managed service needs from the hub's own (JupyterHub passes it no other):
#: the JSON-LD contexts exported into container images at build time, the permission
#: `northlab demo` gives the credential service to sign its 127.0.0.1 address, and the
#: settings file (the services read their own tables of it).
PASSED_THROUGH = ("NORTHLAB_JSONLD_CONTEXTS", "NORTHLAB_CREDENTIALS_ALLOW_LOOPBACK",
                  CONFIG_VARIABLE)


def site_environment(settings: Settings) -> dict[str, str]:
    """The hub's values of the settings every part shares (:class:`SiteSettings`: data and
    labs folders, results database) and its port, as the parts read them."""
    shared = {f.metadata["env"]: str(getattr(settings, f.name)) for f in fields(SiteSettings)}
    return {**{env: value for env, value in shared.items() if value},
            "NORTHLAB_PORT": str(settings.port)}


def service_environment(settings: Settings) -> dict[str, str]:
    """What every managed web service reads of the hub's settings: the shared ones
    (:func:`site_environment`; the credential service and the gradebook read the labs'
    achievements and titles, the kit service grades hand-ins), the public address (signed
    into credentials) and the settings file, plus :data:`PASSED_THROUGH`."""
    return {
        **site_environment(settings),
        "NORTHLAB_PUBLIC_URL": settings.public_base_url,
        **_passed_through(),
    }


def _passed_through() -> dict[str, str]:
    return {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}


def _launchable(module: str) -> bool:
    return importlib.util.find_spec(module + ".__main__") is not None


def services(settings: Settings) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(c.JupyterHub.services, roles for them)``, read by the hub process itself (the
    services' lifeline names it as their hub)."""
    hub_pid = os.getpid()
    culler = [
        sys.executable, "-m", "jupyterhub_idle_culler",
        f"--timeout={settings.idle_timeout}", f"--cull-every={max(60, settings.idle_timeout // 6)}",
    ]
    result: list[dict[str, Any]] = [
        {"name": "idle-culler", "command": lifeline.command(hub_pid, culler)},
        {"name": CLI_SERVICE, "api_token": cli_token(settings)},
        {
            # delivers the grade outbox (results of every grading path) to the credential
            # service, retrying with backoff; it reports with this service's own token. In
            # local mode instructors' autograde writes there too: only a course's own
            # instructors (Unix group ni-<course>) may queue that course's results. Before
            # each pass it carries grades saved in formgrader (a course's gradebook.db that
            # changed) into the delivered results awaiting them (graders/manual_grades.py).
            "name": GRADER_SERVICE,
            "api_token": grader_token(settings),
            "command": lifeline.command(hub_pid, [
                sys.executable, "-m", "northlab.cli", "outbox", "deliver", "--watch",
                "--sync-manual", str(settings.courses_root),
                *(["--course-group-prefix", COURSE_INSTRUCTORS_PREFIX]
                  if settings.mode == "local" else [])]),
            "environment": site_environment(settings),  # labs' assignment names
        },
    ]
    roles: list[dict[str, Any]] = [
        {
            "name": "idle-culler",
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
            "services": ["idle-culler"],
        },
        {"name": "grader", "scopes": [REPORT_RESULTS], "services": [GRADER_SERVICE]},
    ]
    user_scopes = ["self"]
    for offset, (name, module, scopes, oauth_scopes) in enumerate(SERVICE_APPS):
        if not _launchable(module):
            continue
        user_scopes.append(f"access:services!service={name}")
        port = settings.port + FIRST_SERVICE_PORT_OFFSET + offset
        result.append(
            {
                "name": name,
                "url": f"http://127.0.0.1:{port}",
                "command": lifeline.command(hub_pid, [sys.executable, "-m", module],
                                            serves=True),
                "oauth_no_confirm": True,
                "oauth_client_allowed_scopes": list(oauth_scopes),
                "environment": service_environment(settings),
            }
        )
        roles.append({"name": f"{name}-service", "scopes": list(scopes), "services": [name]})
    roles.append({"name": "user", "description": "Every person: own server and services.",
                  "scopes": user_scopes})
    roles.append({"name": "server", "description": "A person's server: JupyterHub's own "
                  "scopes, and that person's gradebook pages (the Foundations pages show "
                  "their scores).",
                  "scopes": [*SERVER_SCOPES, *(s for s in user_scopes
                                                 if s in SERVER_SERVICES)]})
    return result, roles


def service_url(settings: Settings, name: str) -> str:
    """Where service app ``name`` listens on this machine, with its JupyterHub prefix."""
    offset = [app[0] for app in SERVICE_APPS].index(name)
    return f"http://127.0.0.1:{settings.port + FIRST_SERVICE_PORT_OFFSET + offset}" \
        f"/services/{name}/"
