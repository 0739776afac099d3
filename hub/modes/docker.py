"""Docker host mode: DockerSpawner with one image per track on an internal network.

The compose file ``hub/docker/compose.yaml`` runs the hub, the proxy, PostgreSQL and the
services; this module is what the hub config adds in that mode (``NORTHLAB_MODE=docker``):
the spawner with a track form, per-track image and CPU/memory limits, one named volume per
learner, the external proxy and the service containers' URLs.
"""

from __future__ import annotations

from typing import Any

from dockerspawner import DockerSpawner
from traitlets import Dict as DictTrait
from traitlets import default

from graders.outbox import Outbox
from hub.config.settings import Settings
from hub.managed import GRADER_SERVICE
from hub.modes import profiles
from hub.modes.services import SERVICE_PORTS, expose, externalize, learner_url
from hub.services.exchange import hubconfig as exchange
from hub.tracks import DEFAULT_TRACK, LOCALE, TRACKS

#: Docker network learners' containers join (``internal``: no route to the internet).
LEARNER_NETWORK = "northlab-learners"
#: Compose service names reached from the hub and from learners' containers.
HUB_HOST, HUB_PORT = "hub", 8081
PROXY_API_URL = "http://proxy:8001"
#: The hub container's name for the services it runs itself (kit, feedback): a network
#: alias of the hub for the proxy and learners' containers, 0.0.0.0 inside the hub
#: container (extra_hosts in hub/docker/compose.yaml), so they listen on every interface.
HUB_SERVICES_HOST = "hub-services"
#: Named volume per learner, mounted as the home folder.
HOME_VOLUME = "northlab-home-{username}"
#: Hardening applied to every learner container.
HOST_CONFIG = {
    "pids_limit": 512,
    "cap_drop": ["ALL"],
    "security_opt": ["no-new-privileges"],
}


class TrackDockerSpawner(DockerSpawner):
    """DockerSpawner whose spawn form offers the tracks; each track brings its image,
    limits and environment (``user_options["track"]``)."""

    track_profiles = DictTrait(
        help="Track id -> {image, mem_limit, cpu_limit, environment}; set by configure()."
    ).tag(config=True)

    @default("options_form")
    def _track_form(self) -> str:
        choices = "".join(
            f'<label class="northlab-track"><input type="radio" name="track" value="{tid}"'
            f"{' checked' if tid == DEFAULT_TRACK else ''}> {track.title('en')} / "
            f"{track.title('fr')}</label><br>"
            for tid, track in TRACKS.items()
            if tid in self.track_profiles
        )
        heading = f"{LOCALE.text('spawn.choose', 'en')} / {LOCALE.text('spawn.choose', 'fr')}"
        return f"<p>{heading}</p>{choices}"

    @default("options_from_form")
    def _track_from_form(self) -> Any:
        def options_from_form(formdata: dict[str, list[str]]) -> dict[str, str]:
            return {"track": (formdata.get("track") or [DEFAULT_TRACK])[0]}

        return options_from_form

    def apply_track(self, track_id: str) -> None:
        """Set image, limits and environment for ``track_id`` (ValueError if unknown)."""
        if track_id not in self.track_profiles:
            known = ", ".join(self.track_profiles)
            raise ValueError(LOCALE.text("spawn.unknown_track", track=track_id, tracks=known))
        chosen = self.track_profiles[track_id]
        self.image = chosen["image"]
        self.mem_limit = chosen["mem_limit"]
        self.cpu_limit = chosen["cpu_limit"]
        self.environment = {**self.environment, **chosen["environment"]}
        self.default_url = TRACKS[track_id].default_url

    async def start(self) -> Any:
        self.apply_track(self.user_options.get("track", DEFAULT_TRACK))
        return await super().start()


def track_profiles(settings: Settings) -> dict[str, dict[str, Any]]:
    """The ``TrackDockerSpawner.track_profiles`` value for ``settings``."""
    return {
        p.slug: {
            "image": p.image,
            "mem_limit": p.mem_limit,
            "cpu_limit": p.cpu_limit,
            "environment": dict(p.environment),
        }
        for p in profiles.profiles(settings)
    }


def exchange_url() -> str:
    """The exchange service as learners' containers reach it on the learner network."""
    return f"http://exchange:{SERVICE_PORTS['exchange']}/services/exchange/"


def configure(c: Any, settings: Settings) -> None:
    """Docker host mode settings (call after the hub's own services and roles)."""
    c.JupyterHub.spawner_class = TrackDockerSpawner
    c.TrackDockerSpawner.track_profiles = track_profiles(settings)
    c.DockerSpawner.image = profiles.profile(DEFAULT_TRACK, settings).image
    c.DockerSpawner.network_name = LEARNER_NETWORK
    c.DockerSpawner.use_internal_ip = True
    c.DockerSpawner.remove = True
    c.DockerSpawner.pull_policy = "ifnotpresent"
    c.DockerSpawner.notebook_dir = profiles.HOME_IN_IMAGE
    c.DockerSpawner.volumes = {HOME_VOLUME: profiles.HOME_IN_IMAGE}
    c.DockerSpawner.extra_host_config = dict(HOST_CONFIG)
    c.DockerSpawner.http_timeout = 120
    c.DockerSpawner.start_timeout = 300

    # All interfaces: with only hub_connect_url, the hub binds to the one address "hub"
    # resolves to, and the proxy on another network gets 503s.
    c.JupyterHub.hub_bind_url = f"http://:{HUB_PORT}"
    c.JupyterHub.hub_connect_url = f"http://{HUB_HOST}:{HUB_PORT}"
    c.ConfigurableHTTPProxy.should_start = False
    c.ConfigurableHTTPProxy.api_url = PROXY_API_URL
    exchange.configure(
        c,
        settings.data_root,
        service_url=f"http://exchange:{SERVICE_PORTS['exchange']}",
    )
    profiles.set_exchange_url(c, exchange_url())
    profiles.set_learner_url(c, profiles.GRADEBOOK_URL_VARIABLE, learner_url("gradebook",
                                                                             "gradebook"))
    profiles.set_learner_url(c, profiles.FEEDBACK_URL_VARIABLE,
                             learner_url(HUB_SERVICES_HOST, "feedback"))
    externalize(c)
    expose(c, HUB_SERVICES_HOST)
    deliver_from_the_outbox_container(c, settings)


def deliver_from_the_outbox_container(c: Any, settings: Settings) -> None:
    """The compose file's ``outbox`` container delivers results: it reads what the grader
    container (root) queued. The hub keeps the grader service's token only; its own
    deliverer (uid 1000) could not read those results and would reject them.

    The hub makes the outbox before it answers (the outbox container waits for that):
    made first by the root deliverer it was root's alone, and the hub's own services that
    queue results (feedback, kit) crashed on it, taking the hub down."""
    Outbox(settings.data_root / "outbox")
    services = [dict(s) for s in c.JupyterHub.services]
    for service in services:
        if service["name"] == GRADER_SERVICE:
            for key in ("command", "environment"):
                service.pop(key, None)
    c.JupyterHub.services = services
