"""The deployment files, checked the way this machine can: compose with docker-compose,
Dockerfiles with hadolint, Helm values against the chart's schema, manifests with
kubernetes-validate."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml
from traitlets.config import Config

from graders.lab import discover_labs
from hub.config.settings import load_settings
from hub.docker.images import (
    NPM_VERSION,
    base_images,
    compose_images,
    python_requirements,
    qualified,
)
from hub.docker.images import STANDINS as STANDIN_IMAGES
from hub.modes import grading
from hub.modes.kubernetes import profile_list
from hub.tracks import TRACKS
from tests.deploy.conftest import REPO

COMPOSE = REPO / "hub" / "docker" / "compose.yaml"
VALUES = REPO / "hub" / "kubernetes" / "values.yaml"
Z2JH_SCHEMA = REPO / "hub" / "kubernetes" / "schema" / "z2jh-values.schema.yaml"
K8S_VERSION = "1.33.0"
IMAGES = sorted(p.parent.name for p in (REPO / "images").glob("*/Dockerfile"))
STANDINS = sorted(f"standins/{p.parent.name}"
                  for p in (REPO / "images" / "standins").glob("*/Dockerfile"))


def tool(name: str) -> str:
    """A checker installed by `make test` (venv or Debian); fail clearly when missing."""
    path = shutil.which(name, path=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    if path is None:
        pytest.fail(f"{name} is not installed; run `make test` (it installs it).")
    return path


def compose_config(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NORTHLAB_")}
    return subprocess.run(
        [tool("docker-compose"), "-f", str(COMPOSE), "config"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def example_env() -> dict[str, str]:
    lines = (REPO / "hub" / "docker" / "env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_compose_file_is_valid_and_isolates_learners_and_grading() -> None:
    result = compose_config(example_env())
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    services = config["services"]
    assert {"hub", "proxy", "postgres", "credentials", "gradebook", "exchange"} <= set(services)
    assert services["grader"]["network_mode"] == "none"
    grader = services["grader"]
    assert grader["read_only"] is True and grader["cap_drop"] == ["ALL"]
    assert sorted(grader["cap_add"]) == sorted(grading.GRADER_CAPABILITIES)
    learners = config["networks"]["learners"]
    assert learners["name"] == "northlab-learners" and learners["internal"] is True
    assert "ports" not in services["hub"], "only the proxy is published"
    published = [s for s, spec in services.items() if spec.get("ports")]
    assert published == ["proxy"]
    db_url = services["hub"]["environment"]["NORTHLAB_DATABASE_URL"]
    assert db_url.startswith("postgresql://") and "@postgres/" in db_url


def test_compose_refuses_to_start_without_secrets() -> None:
    result = compose_config({})
    assert result.returncode != 0
    assert "set NORTHLAB_" in result.stderr and "hub/docker/.env" in result.stderr


@pytest.mark.parametrize("image", IMAGES)
def test_dockerfile_lints_clean_runs_non_root_and_holds_no_secret(image: str) -> None:
    dockerfile = REPO / "images" / image / "Dockerfile"
    result = subprocess.run([tool("hadolint"), str(dockerfile)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
    text = dockerfile.read_text()
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert not users or users[-1] not in ("root", "0"), "the image must end as a non-root user"
    assert not re.search(r"(TOKEN|PASSWORD|SECRET)\w*\s*=", text, re.IGNORECASE)
    for base in re.findall(r"^FROM\s+(\S+)", text, re.MULTILINE):
        if not base.startswith("${"):
            assert re.search(r":[\w.-]+$", base) and not base.endswith(":latest"), base


def dockerfile_stages(text: str) -> list[tuple[str, str | None, str]]:
    """``(base image, stage name or None, instructions)`` per stage, continuation lines
    joined."""
    text = re.sub(r"\\\n\s*", " ", text)
    stages = []
    for block in re.split(r"^(?=FROM\s)", text, flags=re.MULTILINE)[1:]:
        head = re.match(r"FROM\s+(\S+)(?:\s+AS\s+(\S+))?", block, re.IGNORECASE)
        assert head is not None
        stages.append((head.group(1), head.group(2), block))
    return stages


def dockerignore_pattern(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as a regex over context paths (Go filepath.Match plus
    ``**``); like Docker, it also matches everything under a matched folder."""
    parts = re.split(r"(\*\*/?|\*|\?)", pattern.strip("/"))
    wildcards = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(wildcards.get(p, re.escape(p)) for p in parts) + "(?:/.*)?")


def sent_to_the_builder(path: str, dockerignore: str) -> bool:
    """Whether ``path`` of the context survives ``dockerignore`` (the last match decides)."""
    sent = True
    for line in dockerignore.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            exception = line.startswith("!")
            if dockerignore_pattern(line.lstrip("!")).fullmatch(path):
                sent = exception
    return sent


@pytest.mark.parametrize("image", IMAGES + STANDINS)
def test_every_file_a_dockerfile_copies_passes_its_dockerignore(image: str) -> None:
    folder = REPO / "images" / image
    dockerignore = (folder / "Dockerfile.dockerignore").read_text()
    text = re.sub(r"\\\n\s*", " ", (folder / "Dockerfile").read_text())
    mounted = re.findall(r"--mount=type=bind,source=([^,\s]+)", text)
    for source in mounted:  # made by `python -m hub.docker.images --prepare`, not committed
        assert sent_to_the_builder(source, dockerignore), (
            f"{image}: RUN --mount source {source} is filtered out by Dockerfile.dockerignore")
    for instruction in re.findall(r"^(?:COPY|ADD)\s+(.+)$", text, re.MULTILINE):
        words = instruction.split()
        if any(word.startswith("--from=") for word in words):
            continue
        sources = [word for word in words if not word.startswith("--")][:-1]
        for source in sources:
            assert (REPO / source).exists(), f"{image}: COPY {source}: not in the repository"
            assert sent_to_the_builder(source, dockerignore), (
                f"{image}: COPY {source} is filtered out by Dockerfile.dockerignore"
            )


def test_hub_image_ships_the_jsonld_contexts_exported_at_build_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hub.services.credentials.contexts import OB_V3, VC_V2, load_contexts

    *builds, (_, _, final) = dockerfile_stages((REPO / "images/hub/Dockerfile").read_text())
    node = [(base, name, text) for base, name, text in builds if base.startswith("node:")]
    assert len(node) == 1, "one Node build stage exports the contexts"
    _, stage, text = node[0]
    workdir = re.search(r"^WORKDIR\s+(\S+)", text, re.MULTILINE).group(1)
    assert re.search(r"^COPY\s+package\.json\s+package-lock\.json\s+\./\s*$", text, re.M)
    assert re.search(r"^RUN\s+(--mount=\S+\s+)*npm ci\b", text, re.MULTILINE)
    export = re.search(r"\bnode\s+(\S*export_contexts\.cjs)\s+(\S+)\s+(\S+)", text)
    assert export is not None, "the stage runs export_contexts.cjs"
    script, root, built = export.groups()
    assert root == workdir, "contexts are read from the node_modules `npm ci` installed"
    assert re.search(rf"^COPY\s+hub/services/credentials/export_contexts\.cjs\s+(\./|{workdir})",
                     text, re.MULTILINE) and "/" not in script
    copied = re.search(rf"^COPY\s+--from={stage}\s+{re.escape(built)}\s+(\S+)", final, re.M)
    assert copied is not None, "the final image copies the exported file"
    env = re.search(r"^ENV\s.*\bNORTHLAB_JSONLD_CONTEXTS=(\S+)", final, re.MULTILINE)
    assert env is not None and env.group(1) == copied.group(1)
    # the same command on this checkout's node_modules gives a file the service loads
    # through that variable alone (no node_modules where it looks by default)
    out = tmp_path / "contexts.json"
    result = subprocess.run(
        [tool("node"), str(REPO / "hub/services/credentials/export_contexts.cjs"), str(REPO),
         str(out)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    monkeypatch.setenv("NORTHLAB_JSONLD_CONTEXTS", str(out))
    contexts = load_contexts.__wrapped__(tmp_path / "no-node-root")
    assert VC_V2 in contexts and OB_V3 in contexts


def test_every_upstream_image_has_a_local_stand_in() -> None:
    """`make images` and the container test build offline: each base a Dockerfile starts
    FROM, and each upstream image compose runs, is northlab's or has a stand-in."""
    upstream = {base for name in IMAGES for base in base_images(REPO / "images" / name /
                                                                "Dockerfile")}
    upstream |= set(compose_images(COMPOSE))
    ours = {qualified(f"northlab/{name}:latest") for name in IMAGES}
    assert upstream - ours <= set(STANDIN_IMAGES), upstream - ours - set(STANDIN_IMAGES)
    assert sorted(f"standins/{folder}" for folder in STANDIN_IMAGES.values()) == STANDINS


def test_every_track_has_an_image_installing_its_extra() -> None:
    for track in TRACKS:
        text = (REPO / "images" / track / "Dockerfile").read_text()
        assert f"/opt/northlab/src[{track}]" in text
        assert (REPO / "images" / track / "requirements.txt").exists()
    # `docker build` of the grader without --build-arg grades every track (foundations was
    # missing: its labs' openpyxl was not in the image)
    grader = (REPO / "images" / "grader" / "Dockerfile").read_text()
    assert re.search(r"^ARG TRACKS=(\S+)$", grader, re.MULTILINE).group(1).split(",") == list(
        TRACKS)


def test_the_wheelhouse_for_some_tracks_holds_their_extras_only() -> None:
    """The container test builds one track: its wheelhouse skips the others' packages (a
    fresh clone downloads them), and `make images` still gets every track's."""
    everything = python_requirements()
    cybersecurity = python_requirements(["cybersecurity"])
    assert "scikit-learn>=1.4" in everything and "pygame>=2.6,<2.7" in everything
    assert set(cybersecurity) < set(everything)
    assert not {"scikit-learn>=1.4", "pygame>=2.6,<2.7"} & set(cybersecurity)
    assert {"nbgrader==0.9.6", "wheel"} <= set(cybersecurity)


def test_the_node_stand_in_installs_the_npm_the_build_packs() -> None:
    """`docker build` of the node stand-in alone takes the version `make images` packs."""
    text = (REPO / "images" / "standins" / "node" / "Dockerfile").read_text()
    assert re.search(r"^ARG NPM_VERSION=(\S+)$", text, re.MULTILINE).group(1) == NPM_VERSION


def test_helm_values_match_the_chart_schema_and_the_generated_profiles() -> None:
    schema = yaml.safe_load(Z2JH_SCHEMA.read_text())
    values = yaml.safe_load(VALUES.read_text())
    errors = [
        f"{list(e.path)}: {e.message}"
        for e in jsonschema.Draft7Validator(schema).iter_errors(values)
    ]
    assert not errors
    settings = load_settings({"NORTHLAB_MODE": "kubernetes", "NORTHLAB_CONFIG": os.devnull})
    assert values["singleuser"]["profileList"] == profile_list(settings)
    assert values["singleuser"]["networkPolicy"]["egressAllowRules"]["nonPrivateIPs"] is False
    assert values["hub"]["db"]["type"] == "postgres"


def test_helm_extra_config_runs_northlab_config_and_keeps_chart_services(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NORTHLAB_CONFIG", str(tmp_path / "none.toml"))
    (tmp_path / "none.toml").write_text("")
    values = yaml.safe_load(VALUES.read_text())
    for key, value in values["hub"]["extraEnv"].items():
        if isinstance(value, str):
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("NORTHLAB_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("NORTHLAB_DATABASE_URL", f"sqlite:///{tmp_path}/hub.sqlite")
    c = Config()
    c.JupyterHub.services = [{"name": "chart-extra", "url": "http://extra:1"}]
    for snippet in values["hub"]["extraConfig"].values():
        exec(snippet, {"c": c})  # as the chart's jupyterhub_config.py does
    names = [s["name"] for s in c.JupyterHub.services]
    assert "chart-extra" in names and "exchange" in names and "idle-culler" in names
    assert [p["slug"] for p in c.KubeSpawner.profile_list] == list(TRACKS)


def test_kubernetes_manifests_validate() -> None:
    for path in sorted((REPO / "hub" / "kubernetes").glob("*.yaml")):
        if path == VALUES:
            continue
        for document in yaml.safe_load_all(path.read_text()):
            kubernetes_validate.validate(document, K8S_VERSION, strict=True)


def test_grading_job_file_is_the_generators_output() -> None:
    path = REPO / "hub" / "kubernetes" / "grading-job.yaml"
    argv = path.read_text().splitlines()[0].removeprefix("# Generated by: python -m ")
    args = argv.split()[1:]
    result = subprocess.run(
        [sys.executable, "-m", "hub.modes.grading", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    assert list(yaml.safe_load_all(path.read_text())) == list(yaml.safe_load_all(result.stdout))


def test_a_grading_job_for_every_lab_validates() -> None:
    labs = discover_labs(REPO / "labs")
    assert labs, "no labs found"
    for lab in labs:
        job = grading.kubernetes_job(
            lab.id[:40],
            f"/opt/northlab/src/labs/{lab.track}/{lab.id}",
            lab.limits,
            4,
            "northlab/grader:latest",
        )
        kubernetes_validate.validate(job, K8S_VERSION, strict=True)


def test_compose_outbox_carries_formgrader_grades_in() -> None:
    """As the local grader service: manual grades saved in formgrader (the courses under the
    shared data volume) reach the credential service."""
    services = yaml.safe_load(compose_config(example_env()).stdout)["services"]
    command = services["outbox"]["command"]
    data = Path(services["hub"]["environment"]["NORTHLAB_DATA"])
    courses = load_settings({"NORTHLAB_DATA": str(data)}).courses_root
    assert f"--sync-manual={courses}" in command
    assert any(v.split(":")[1] == str(data) for v in services["outbox"]["volumes"])


def test_compose_starts_each_service_after_what_it_needs_answers() -> None:
    """Start order by health, not by luck: the services and the outbox wait for a hub
    that answers (the services register with it; the hub writes the outbox's token)."""
    services = yaml.safe_load(compose_config(example_env()).stdout)["services"]
    for name in ("hub", "postgres", "exchange", "credentials", "gradebook"):
        test = services[name].get("healthcheck", {}).get("test")
        # podman's Docker API splits the command on spaces: one word per argument
        assert test and test[0] == "CMD" and not any(" " in word for word in test), name
    for name in ("exchange", "credentials", "gradebook", "outbox"):
        assert services[name]["depends_on"]["hub"] == {"condition": "service_healthy"}, name
    # the gradebook reads the results tables the credential service makes (it crashed first)
    for name in ("outbox", "gradebook"):
        assert services[name]["depends_on"]["credentials"] == {
            "condition": "service_healthy"}, name
    assert services["hub"]["depends_on"]["postgres"] == {"condition": "service_healthy"}


def test_track_images_load_the_single_user_config_and_lab_extension() -> None:
    """As in local mode: hub/singleuser/ (learner + common) and northlab's JupyterLab
    extension, in every learner image (the tracks build on base)."""
    base = (REPO / "images" / "base" / "Dockerfile").read_text()
    src = "/opt/northlab/src/hub/singleuser"
    assert re.search(rf"^ENV JUPYTER_CONFIG_PATH={src}/learner:{src}/common$", base, re.M)
    assert re.search(r"source=var/build/labextension,target=(\S+) \\\n\s+cp -R \1/\. "
                     r"/opt/conda/share/jupyter/labextensions/$", base, re.M)
    ignore = (REPO / "images" / "base" / "Dockerfile.dockerignore").read_text().split()
    assert "!var/build/labextension/" in ignore


def test_an_unreachable_debian_mirror_is_one_sentence_not_a_hang() -> None:
    """The container test skips with this reason instead of waiting on debootstrap."""
    from tests.support.debian import debian_unreachable

    reason = debian_unreachable("http://127.0.0.1:9/debian", timeout=10)
    assert reason and reason.startswith("Debian's mirror does not answer") and "\n" not in reason


def test_the_healthcheck_tells_an_answering_service_from_a_silent_one() -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    from hub.docker.health import answers

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response({"/ok": 200, "/login": 404}.get(self.path, 503))
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Handler) as server:
        Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        assert answers(str(port))
        assert answers(f"http://127.0.0.1:{port}/ok")
        assert answers(f"http://127.0.0.1:{port}/login")  # up, just not that page
        assert not answers(f"http://127.0.0.1:{port}/starting")
        server.shutdown()
    assert not answers(str(port)) and not answers(f"http://127.0.0.1:{port}/ok")
