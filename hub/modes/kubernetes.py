"""Kubernetes mode: KubeSpawner with a profile per track (Zero to JupyterHub).

``hub/kubernetes/values.yaml`` configures the Zero to JupyterHub chart; its hub image runs
northlab's ``jupyterhub_config.py`` through ``hub.extraConfig``, which calls
:func:`configure`. The chart sets the proxy, hub address and database; this module puts
the chart's addresses back (the local-mode defaults of ``hub.config.core.configure_hub``
replaced them) and adds what is northlab's: the track profiles (image, CPU/memory limits
and guarantees, environment), one volume claim per learner, the exchange service and the
other services inside the hub pod. The values file repeats the profile list for the
chart's image pre-puller; a test keeps both equal (:func:`profile_list`).
"""

from __future__ import annotations

import os
import runpy
from pathlib import Path
from typing import Any

from hub.config.settings import Settings
from hub.modes import profiles
from hub.modes.services import SERVICE_PORTS, expose, learner_url
from hub.services.exchange import hubconfig as exchange
from hub.tracks import DEFAULT_TRACK

#: Kubernetes Service in front of the hub pod's service ports (hub/kubernetes/services.yaml);
#: the hub pod maps the name to 0.0.0.0 (hostAliases in values.yaml).
SERVICES_HOST = "northlab-services"
#: northlab's hub config, run inside the chart's by :func:`load_northlab_config`.
NORTHLAB_CONFIG = Path(__file__).resolve().parents[1] / "jupyterhub_config.py"
#: The chart's Kubernetes Services for the hub and the proxy's API (fullnameOverride "").
HUB_SERVICE, HUB_PORT = "hub", 8081
PROXY_API_URL = "http://proxy-api:8001"
#: Per-learner volume claim and its size.
PVC_NAME_TEMPLATE = "northlab-home-{username}"
STORAGE_CAPACITY = "2Gi"


def profile_list(settings: Settings) -> list[dict[str, Any]]:
    """KubeSpawner ``profile_list``: one profile per track, the default track first-class."""
    result = []
    for p in profiles.profiles(settings):
        result.append(
            {
                "display_name": f"{p.track.title('en')} / {p.track.title('fr')}",
                "slug": p.slug,
                "description": f"{p.track.summary('en')} / {p.track.summary('fr')}",
                "default": p.slug == DEFAULT_TRACK,
                "kubespawner_override": {
                    "image": p.image,
                    "cpu_limit": p.cpu_limit,
                    "cpu_guarantee": p.cpu_guarantee,
                    "mem_limit": p.mem_limit,
                    "mem_guarantee": p.mem_guarantee,
                    "environment": dict(p.environment),
                    "default_url": p.track.default_url,
                },
            }
        )
    return result


def exchange_url() -> str:
    """The exchange service (hub-managed, in the hub pod) as learners' pods reach it."""
    return f"http://{SERVICES_HOST}:{SERVICE_PORTS['exchange']}/services/exchange/"


def configure(c: Any, settings: Settings) -> None:
    """Kubernetes mode settings (call after the hub's own services and roles)."""
    c.JupyterHub.hub_bind_url = f"http://:{HUB_PORT}"
    c.JupyterHub.hub_connect_url = f"http://{HUB_SERVICE}:{HUB_PORT}"
    c.ConfigurableHTTPProxy.should_start = False
    c.ConfigurableHTTPProxy.api_url = PROXY_API_URL
    c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
    c.KubeSpawner.profile_list = profile_list(settings)
    c.KubeSpawner.image = profiles.profile(DEFAULT_TRACK, settings).image
    c.KubeSpawner.uid = 1000
    c.KubeSpawner.fs_gid = 100
    c.KubeSpawner.allow_privilege_escalation = False
    c.KubeSpawner.automount_service_account_token = False
    c.KubeSpawner.storage_pvc_ensure = True
    c.KubeSpawner.pvc_name_template = PVC_NAME_TEMPLATE
    c.KubeSpawner.storage_capacity = STORAGE_CAPACITY
    c.KubeSpawner.storage_access_modes = ["ReadWriteOnce"]
    c.KubeSpawner.volumes = [
        {"name": "home", "persistentVolumeClaim": {"claimName": PVC_NAME_TEMPLATE}}
    ]
    c.KubeSpawner.volume_mounts = [{"name": "home", "mountPath": profiles.HOME_IN_IMAGE}]
    c.KubeSpawner.working_dir = profiles.HOME_IN_IMAGE
    exchange.configure(
        c,
        settings.data_root,
        service_url=f"http://{SERVICES_HOST}:{SERVICE_PORTS['exchange']}",
    )
    profiles.set_exchange_url(c, exchange_url())
    profiles.set_learner_url(c, profiles.GRADEBOOK_URL_VARIABLE,
                             learner_url(SERVICES_HOST, "gradebook"))
    profiles.set_learner_url(c, profiles.FEEDBACK_URL_VARIABLE,
                             learner_url(SERVICES_HOST, "feedback"))
    expose(c, SERVICES_HOST)


def _named(items: list[dict[str, Any]], extra: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = {item["name"] for item in items}
    return [*items, *(item for item in extra if item["name"] not in names)]


def load_northlab_config(c: Any) -> None:
    """Run ``hub/jupyterhub_config.py`` inside the chart's config (``hub.extraConfig``).

    Services and roles that the chart made from ``hub.services`` / ``hub.loadRoles`` are
    kept next to northlab's (northlab's win on a name clash).
    """
    chart_services = list(c.JupyterHub.services) if "services" in c.JupyterHub else []
    chart_roles = list(c.JupyterHub.load_roles) if "load_roles" in c.JupyterHub else []
    os.environ.setdefault("NORTHLAB_MODE", "kubernetes")
    runpy.run_path(str(NORTHLAB_CONFIG), init_globals={"get_config": lambda: c})
    c.JupyterHub.services = _named(list(c.JupyterHub.services), chart_services)
    c.JupyterHub.load_roles = _named(list(c.JupyterHub.load_roles), chart_roles)
