"""Learners' servers get the gradebook's address in every mode (the Foundations pages show
scores from it), and in the container modes the network lets them reach it."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
import yaml

from hub.config.settings import REPO
from hub.modes.docker import LEARNER_NETWORK

COMPOSE = REPO / "hub" / "docker" / "compose.yaml"
VALUES = REPO / "hub" / "kubernetes" / "values.yaml"


@pytest.mark.parametrize("mode", ["local", "docker", "kubernetes"])
def test_learners_servers_get_the_gradebooks_address(hub_config, mode: str) -> None:
    c = hub_config(mode)
    url = c.Spawner.environment["NORTHLAB_GRADEBOOK_URL"]
    assert urlparse(url).path == "/services/gradebook/"
    if mode != "local":  # the gradebook service's own address, with its prefix
        (service,) = [s for s in c.JupyterHub.services if s["name"] == "gradebook"]
        assert urlparse(url).netloc == urlparse(service["url"]).netloc


def test_docker_learners_network_reaches_the_gradebook() -> None:
    compose = yaml.safe_load(COMPOSE.read_text())
    learners = next(key for key, network in compose["networks"].items()
                    if (network or {}).get("name") == LEARNER_NETWORK)
    assert learners in compose["services"]["gradebook"]["networks"]


def test_kubernetes_learners_may_reach_the_gradebook_port(hub_config) -> None:
    port = urlparse(hub_config("kubernetes").Spawner.environment[
        "NORTHLAB_GRADEBOOK_URL"]).port
    egress = yaml.safe_load(VALUES.read_text())["singleuser"]["networkPolicy"]["egress"]
    allowed = {p["port"] for rule in egress for p in rule.get("ports", [])
               if {"component": "hub"} in [t.get("podSelector", {}).get("matchLabels")
                                           for t in rule["to"]]}
    assert port in allowed
