"""docker and kubernetes modes as the hub builds them: spawner, profiles, limits, services."""

from __future__ import annotations

import os
from types import SimpleNamespace
from urllib.parse import urlparse

import pytest
import yaml
from dockerspawner import DockerSpawner
from jupyterhub.app import JupyterHub
from kubespawner import KubeSpawner
from traitlets.config.loader import PyFileConfigLoader
from traitlets.utils.importstring import import_item

from graders.lab import Limits
from hub.modes import grading
from hub.modes.docker import LEARNER_NETWORK, TrackDockerSpawner
from hub.modes.profiles import HOME_IN_IMAGE, parse_bytes
from hub.services.exchange.hubconfig import ACCESS_SCOPE
from hub.tracks import SINGLEUSER_CONFIG_DIR as SINGLEUSER
from hub.tracks import TRACKS
from tests.deploy.conftest import REPO

GiB = 1024**3
COMPOSE = REPO / "hub" / "docker" / "compose.yaml"
KUBERNETES = REPO / "hub" / "kubernetes"


def services(config) -> dict[str, dict]:
    return {s["name"]: s for s in config.JupyterHub.services}


def test_docker_mode_spawns_track_images_with_limits(hub_config) -> None:
    c = hub_config(
        "docker",
        image_prefix="registry.example/northlab-",
        image_tag="2026.1",
        mem_limit="2G",
        cpu_limit="1.5",
    )
    spawner_class = c.JupyterHub.spawner_class
    assert spawner_class is TrackDockerSpawner and issubclass(spawner_class, DockerSpawner)
    profiles = c.TrackDockerSpawner.track_profiles
    assert set(profiles) == set(TRACKS)
    for track, profile in profiles.items():
        assert profile["image"] == f"registry.example/northlab-{track}:2026.1"
        assert profile["environment"]["NORTHLAB_TRACK"] == track
    assert parse_bytes(profiles["cybersecurity"]["mem_limit"]) == 2 * GiB
    assert profiles["cybersecurity"]["cpu_limit"] == 1.5
    assert parse_bytes(profiles["ai-data"]["mem_limit"]) == 4 * GiB
    assert profiles["ai-data"]["cpu_limit"] == 3.0
    assert c.DockerSpawner.network_name == LEARNER_NETWORK
    assert c.DockerSpawner.volumes == {"northlab-home-{username}": "/home/jovyan"}
    assert c.DockerSpawner.extra_host_config["cap_drop"] == ["ALL"]
    assert c.ConfigurableHTTPProxy.should_start is False


def test_docker_spawner_applies_the_chosen_track(hub_config) -> None:
    c = hub_config("docker", mem_limit="1G", cpu_limit="1")
    user = SimpleNamespace(
        name="ana",
        escaped_name="ana",
        url="/user/ana/",
        id=1,
        orm_user=None,
        server=None,
        settings={},
        base_url="/",
    )
    spawner = TrackDockerSpawner(config=c, user=user)
    assert 'value="gamedev"' in spawner.options_form and "Choisissez" in spawner.options_form
    assert spawner.options_from_form({"track": ["gamedev"]}) == {"track": "gamedev"}
    spawner.apply_track("robotics")
    assert spawner.image == "northlab/robotics:latest"
    assert spawner.mem_limit == int(1.5 * GiB)
    assert spawner.cpu_limit == 1.5
    assert spawner.environment["NORTHLAB_TRACK"] == "robotics"
    assert spawner.default_url == "/lab/tree/robotics"
    with pytest.raises(ValueError, match="Unknown track"):
        spawner.apply_track("../../etc")


def test_docker_mode_runs_services_in_their_containers(hub_config) -> None:
    c = hub_config("docker", exchange_api_token="from-compose")
    found = services(c)
    assert found["exchange"]["url"] == "http://exchange:9030"
    assert found["exchange"]["api_token"] == "from-compose"
    for name, port in (("exchange", 9030), ("credentials", 9010), ("gradebook", 9020)):
        assert found[name]["url"] == f"http://{name}:{port}"
        assert "command" not in found[name], name
    assert (
        c.Spawner.environment["NORTHLAB_EXCHANGE_URL"] == "http://exchange:9030/services/exchange/"
    )
    assert ACCESS_SCOPE in c.Spawner.server_token_scopes
    user_role = next(r for r in c.JupyterHub.load_roles if r["name"] == "user")
    assert ACCESS_SCOPE in user_role["scopes"]
    # one deliverer: the outbox container (the hub's would reject the root grader's results)
    assert "command" not in found["northlab-grader"] and found["northlab-grader"]["api_token"]


def test_kubernetes_mode_profiles_per_track(hub_config) -> None:
    c = hub_config("kubernetes", mem_limit="2G", cpu_limit="1")
    assert import_item(c.JupyterHub.spawner_class) is KubeSpawner
    profiles = {p["slug"]: p for p in c.KubeSpawner.profile_list}
    assert set(profiles) == set(TRACKS)
    assert [p["slug"] for p in c.KubeSpawner.profile_list if p["default"]] == ["cybersecurity"]
    for track, profile in profiles.items():
        override = profile["kubespawner_override"]
        assert override["image"] == f"northlab/{track}:latest"
        assert parse_bytes(override["mem_guarantee"]) < parse_bytes(override["mem_limit"])
        assert 0 < override["cpu_guarantee"] < override["cpu_limit"]
    assert profiles["ai-data"]["kubespawner_override"]["mem_limit"] == "4G"
    assert profiles["gamedev"]["kubespawner_override"]["environment"]["SDL_VIDEODRIVER"] == "dummy"
    assert c.KubeSpawner.allow_privilege_escalation is False
    assert c.KubeSpawner.pvc_name_template == "northlab-home-{username}"
    # the services stay hub-managed in the hub pod, reached through northlab-services
    exchange = services(c)["exchange"]
    assert exchange["url"] == "http://northlab-services:9030" and exchange["command"]
    assert c.ConfigurableHTTPProxy.api_url == "http://proxy-api:8001"
    assert c.JupyterHub.hub_connect_url == "http://hub:8081"


def test_grading_has_no_network_and_lab_limits() -> None:
    limits = Limits(memory_mb=512, processes=16, disk_mb=32)
    docker = grading.docker_run_options(limits, workers=2)
    assert docker["network_mode"] == "none"
    assert docker["mem_limit"] == f"{grading.ENGINE_MB + 2 * 512}m"
    assert docker["pids_limit"] == 64 + 2 * 16 and docker["cap_drop"] == ["ALL"]
    assert set(docker["cap_add"]) == {"CHOWN", "DAC_OVERRIDE", "FOWNER", "SETUID", "SETGID", "KILL"}
    assert docker["read_only"] is True
    policy = grading.network_policy()
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert policy["spec"]["ingress"] == [] and policy["spec"]["egress"] == []
    job = grading.kubernetes_job("b1", "/labs/x", limits, shards=3, image="northlab/grader:t")
    pod = job["spec"]["template"]
    assert pod["metadata"]["labels"] == policy["spec"]["podSelector"]["matchLabels"]
    container = pod["spec"]["containers"][0]
    assert container["resources"]["limits"]["memory"] == f"{grading.ENGINE_MB + 1024}Mi"
    assert pod["spec"]["automountServiceAccountToken"] is False
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["add"] == grading.GRADER_CAPABILITIES
    assert job["spec"]["completionMode"] == "Indexed" and job["spec"]["completions"] == 3


def test_split_batch_spreads_learners_over_shards(tmp_path) -> None:
    for name in ("ana", "ben", "cal", "dee", "eve"):
        (tmp_path / "in" / name / "lab1").mkdir(parents=True)
        (tmp_path / "in" / name / "lab1" / "lab1.ipynb").write_text(name)
    counts = grading.split_batch(tmp_path / "in", tmp_path / "batch", shards=2)
    assert counts == [3, 2]
    assert (tmp_path / "batch" / "1" / "ben" / "lab1" / "lab1.ipynb").read_text() == "ben"


@pytest.mark.parametrize("mode", ["docker", "kubernetes"])
def test_container_modes_bind_the_hub_on_every_interface(hub_config, mode: str) -> None:
    """The proxy and learners reach the hub by its service name; the hub must listen on all
    of its networks, not only the address that name resolves to (the proxy got 503s)."""
    app = JupyterHub(config=hub_config(mode))
    app.init_hub()
    assert urlparse(app.hub.bind_url).hostname is None, app.hub.bind_url
    assert app.hub.connect_url == "http://hub:8081/hub/"


def test_container_servers_fetch_labs_into_the_track_folder(
        hub_config, monkeypatch: pytest.MonkeyPatch) -> None:
    """A learner's container runs hub/singleuser/common/nbgrader_config.py (the images set
    JUPYTER_CONFIG_PATH) with the profile's environment: labs land in ~/<track>, the folder
    JupyterLab opens, as in local mode (they landed in ~ before)."""
    for mode in ("docker", "kubernetes"):
        c = hub_config(mode)
        environments = (
            {t: p["environment"] for t, p in c.TrackDockerSpawner.track_profiles.items()}
            if mode == "docker" else
            {p["slug"]: p["kubespawner_override"]["environment"]
             for p in c.KubeSpawner.profile_list})
        for track, environment in environments.items():
            folder = f"{HOME_IN_IMAGE}/{TRACKS[track].folder}"
            assert environment["NORTHLAB_ASSIGNMENT_DIR"] == folder, (mode, track)
    for name in [n for n in os.environ if n.startswith(("NORTHLAB_", "JUPYTERHUB_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("NORTHLAB_EXCHANGE_URL", "http://exchange:9030/services/exchange/")
    monkeypatch.setenv("NORTHLAB_ASSIGNMENT_DIR", "/home/jovyan/robotics")
    monkeypatch.setenv("NORTHLAB_TRACK", "robotics")
    loaded = PyFileConfigLoader("nbgrader_config.py", path=str(SINGLEUSER / "common")).load_config()
    assert loaded.Exchange.assignment_dir == "/home/jovyan/robotics"
    assert "ExchangeFactory" not in loaded, "the image's /etc/jupyter config routes the exchange"


def test_docker_hub_makes_the_outbox_its_services_share(hub_config, tmp_path) -> None:
    """The hub's services (uid 1000) queue results where the root outbox container
    delivers from: the hub makes the folder first, as its own (the root deliverer made it
    root's alone and the hub's feedback service crashed on it)."""
    hub_config("docker")
    outbox = tmp_path / "data" / "outbox"
    assert outbox.is_dir() and outbox.stat().st_uid == os.geteuid()
    assert (outbox / "pending").is_dir()


def served_by_hub(service: dict) -> bool:
    """The hub starts this service itself (in its own container or pod)."""
    return "command" in service


def test_docker_mode_the_proxy_and_learners_reach_every_service(hub_config) -> None:
    """Each service listens where the proxy (its /services/<name>/ routes) reaches it: the
    hub's own (kit, feedback) at a name that is every interface inside the hub container
    and the hub on the proxy's and learners' networks (they listened on the hub's
    127.0.0.1 before); learners' servers get the feedback service's address (they had none:
    instant feedback said "unreachable")."""
    c = hub_config("docker")
    compose = yaml.safe_load(COMPOSE.read_text())["services"]
    hub_networks = compose["hub"]["networks"]
    inside_hub = dict(entry.split(":", 1) for entry in compose["hub"].get("extra_hosts", []))
    shared = set(compose["proxy"]["networks"]) & set(hub_networks)
    found = {name: s for name, s in services(c).items() if "url" in s}
    assert {"kit", "feedback", "exchange", "credentials", "gradebook"} <= set(found)
    for name, service in found.items():
        host = urlparse(service["url"]).hostname
        if served_by_hub(service):
            assert inside_hub.get(host) == "0.0.0.0", (name, service["url"])
            for network in shared:
                assert host in (hub_networks[network] or {}).get("aliases", []), (name, network)
        else:
            assert set(compose[host]["networks"]) & set(compose["proxy"]["networks"]), name
    feedback = c.Spawner.environment["NORTHLAB_FEEDBACK_URL"]
    assert feedback == found["feedback"]["url"] + "/services/feedback/"
    assert urlparse(feedback).hostname in hub_networks["learners"]["aliases"]


def test_kubernetes_mode_the_proxy_and_learners_reach_every_service(hub_config) -> None:
    """The same in the hub pod: every service at northlab-services (0.0.0.0 in the pod, a
    Kubernetes Service elsewhere) on a port that Service and the hub's network policy
    open; learners' pods get the feedback service's address and may reach its port."""
    c = hub_config("kubernetes")
    values = yaml.safe_load((KUBERNETES / "values.yaml").read_text())
    aliases = {name: alias["ip"] for alias in values["hub"]["extraPodSpec"]["hostAliases"]
               for name in alias["hostnames"]}
    service_ports = {p["port"] for p in yaml.safe_load(
        (KUBERNETES / "northlab-services.yaml").read_text())["spec"]["ports"]}
    ingress = {p["port"] for rule in values["hub"]["networkPolicy"]["ingress"]
               for p in rule["ports"]}
    found = {name: s for name, s in services(c).items() if "url" in s}
    assert {"kit", "feedback", "exchange", "credentials", "gradebook"} <= set(found)
    for name, service in found.items():
        url = urlparse(service["url"])
        assert served_by_hub(service) and aliases.get(url.hostname) == "0.0.0.0", name
        assert url.port in service_ports and url.port in ingress, name
    feedback = c.Spawner.environment["NORTHLAB_FEEDBACK_URL"]
    assert feedback == found["feedback"]["url"] + "/services/feedback/"
    egress = {p["port"] for rule in values["singleuser"]["networkPolicy"]["egress"]
              for p in rule["ports"]}
    assert urlparse(feedback).port in egress
