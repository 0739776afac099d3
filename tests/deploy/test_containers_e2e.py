"""The Docker-host deployment for real, on podman's Docker API: images built offline,
``docker-compose up``, a learner's JupyterLab spawned by DockerSpawner and reached through
the proxy, a lab released, fetched and submitted through the exchange service, instant
feedback answering the learner's server, graded in the grader container with no network,
the result in the credential service and the gradebook; then ``down -v`` leaves nothing
behind.

Podman's state lives outside the checkout (``hub.docker.podman.default_root``: its own
store, settings and socket; the image layers there are reused by later runs). The
instructor works from the host with nbgrader, as from a laptop; everything else goes
through the proxy as a browser would.

Runs in ``make test`` (CI budget ~15 min from a fresh clone; measurements in
tests/deploy/README.md). It builds only what the deployment needs: the stand-ins, base,
one track, a grader for that track, the hub.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
import requests

from hub.docker.images import STANDIN_DEBIAN, build_images
from hub.docker.podman import PodmanError, PodmanHost, default_root, missing_tools
from northlab.groups import cohort_group, instructors_group
from tests.deploy.conftest import REPO
from tests.support.debian import debian_unreachable
from tests.support.ports import free_port_block

#: A cold build on a loaded 2-core machine took up to 20 min; the steps have their own limits.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]
COMPOSE = REPO / "hub" / "docker" / "compose.yaml"
PROJECT = "northlab-e2e"
COURSE, LAB, TRACK = "e2e", "password-hashing", "cybersecurity"
LAB_SOURCE = REPO / "labs" / TRACK / LAB
#: Seconds for compose up/down/run and for each wait below.
STEP_TIMEOUT = 600
NBGRADER_CONFIG = REPO / "hub" / "services" / "exchange" / "nbgrader_config.py"


@dataclass
class Deployment:
    host: PodmanHost
    url: str
    env_file: Path
    admin_token: str

    def compose(self, *args: str, timeout: float = STEP_TIMEOUT) -> str:
        command = ["docker-compose", "-p", PROJECT, "--env-file", str(self.env_file),
                   "-f", str(COMPOSE), *args]
        return run(command, env={**os.environ, **self.host.environment()}, timeout=timeout)

    def hub_api(self, method: str, path: str, **kwargs) -> requests.Response:
        response = requests.request(method, f"{self.url}/hub/api{path}", timeout=60,
                                    headers={"Authorization": f"token {self.admin_token}"},
                                    **kwargs)
        assert response.status_code < 400, (method, path, response.status_code, response.text)
        return response


def run(command: list[str], *, timeout: float, **kwargs) -> str:
    """stdout of ``command``; fails the test with its output on error or timeout."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              **kwargs)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{' '.join(command[:6])} ...: no answer after {timeout:.0f} s")
    assert done.returncode == 0, f"{command}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def wait_for(what: str, check, timeout: float = STEP_TIMEOUT, every: float = 2):
    """``check()``'s first truthy value; fail with ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            if value := check():
                return value
        time.sleep(every)
    pytest.fail(f"{what}: not within {timeout:.0f} s")


@contextlib.contextmanager
def healthchecks(host: PodmanHost) -> Iterator[None]:
    """Run the healthchecks of containers not yet healthy every few seconds (podman 4.3
    runs them from systemd timers, and there is no systemd here); compose waits on them."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(3):
            with contextlib.suppress(PodmanError, subprocess.TimeoutExpired):
                for line in host.run(["ps", "--format", "{{.Names}} {{.Status}}"],
                                     timeout=60).splitlines():
                    name, _, status = line.partition(" ")
                    if "(starting)" in status or "(unhealthy)" in status:
                        with contextlib.suppress(PodmanError):
                            host.run(["healthcheck", "run", name], timeout=60)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=120)


def routed(response: requests.Response, service: str) -> bool:
    """The proxy sent /services/<service>/ to the service itself, not (yet) to the hub.
    (The service may redirect too: to the hub's OAuth page, to log in.)"""
    location = urlparse(response.headers.get("Location", "")).path
    return response.status_code < 500 and location != f"/hub/services/{service}/"


def leftovers(host: PodmanHost) -> dict[str, list[str]]:
    """Containers, volumes and networks (besides podman's default) on ``host``."""
    found = {
        "containers": host.run(["ps", "-a", "--format", "{{.Names}}"], timeout=60).split(),
        "volumes": host.run(["volume", "ls", "--format", "{{.Name}}"], timeout=60).split(),
        "networks": host.run(["network", "ls", "--format", "{{.Name}}"], timeout=60).split(),
    }
    found["networks"] = [n for n in found["networks"] if n != "podman"]
    return found


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    if os.geteuid() != 0:
        pytest.skip("podman needs root on this machine (rootless podman has no cgroups here)")
    if missing := missing_tools():
        pytest.fail(f"missing Debian packages {' '.join(missing)}: run `make system-deps`")
    host = PodmanHost(default_root())
    host.write_config()
    if not host.has_image(STANDIN_DEBIAN) and (reason := debian_unreachable()):
        pytest.skip(f"cannot build the stand-in base images: {reason}")
    started = time.monotonic()
    try:
        build_images(host, [TRACK, "grader", "hub"], grader_tracks=[TRACK], report=lambda
                     step, seconds: print(f"build {step}: {seconds:.0f} s", flush=True))
    except PodmanError as error:
        pytest.fail(str(error))
    print(f"images built in {time.monotonic() - started:.0f} s", flush=True)
    port = free_port_block(1)
    env_file = tmp_path_factory.mktemp("compose") / ".env"
    env_file.write_text("".join(f"{name}={secrets.token_hex(24)}\n" for name in (
        "NORTHLAB_POSTGRES_PASSWORD", "NORTHLAB_PROXY_AUTH_TOKEN", "NORTHLAB_EXCHANGE_API_TOKEN",
        "NORTHLAB_CREDENTIALS_API_TOKEN", "NORTHLAB_GRADEBOOK_API_TOKEN",
    )) + f"NORTHLAB_PORT={port}\nNORTHLAB_DOCKER_SOCKET={host.socket}\nNORTHLAB_DOCKER_GID=0\n"
        f"NORTHLAB_PUBLIC_URL=http://127.0.0.1:{port}\nNORTHLAB_MEM_LIMIT=1G\n")
    with host.docker_api():
        deployment = Deployment(host, f"http://127.0.0.1:{port}", env_file, "")
        try:
            with healthchecks(host):  # `up` waits for them; nothing does afterwards
                deployment.compose("up", "-d")
            print(f"compose up after {time.monotonic() - started:.0f} s", flush=True)
            wait_for("the hub through the proxy", lambda: requests.get(
                f"{deployment.url}/hub/api/", timeout=10).status_code == 200)
            # the hub answers before it has given the proxy the services' routes: until
            # then it answers /services/<name>/ itself, redirecting to /hub/services/<name>/
            for service in ("exchange", "credentials", "gradebook", "kit", "feedback"):
                wait_for(f"the {service} service through the proxy", lambda s=service: (
                    routed(requests.get(f"{deployment.url}/services/{s}/", timeout=10,
                                        allow_redirects=False), s)))
            deployment.admin_token = host.run(
                ["exec", f"{PROJECT}_hub_1", "cat", "/srv/northlab/hub/cli-token"],
                timeout=60).strip()
            yield deployment
        finally:
            with contextlib.suppress(Exception):
                print(deployment.compose("logs", "--no-color", "--tail=80", timeout=120))
            try:
                # learners' servers (DockerSpawner) are the hub's, not compose's: they go
                # first, or the learner network cannot be removed; then their home volumes
                servers = host.run(["ps", "-a", "--format", "{{.Names}}", "--filter",
                                    "name=^jupyter-"], timeout=60).split()
                for server in servers:  # their logs (stderr) are not compose's
                    print(f"--- {server}", flush=True)
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        subprocess.run(["podman", "logs", "--tail=80", server], timeout=120,
                                       env={**os.environ, **host.environment()},
                                       stderr=subprocess.STDOUT)
                if servers:
                    host.run(["rm", "-f", *servers], timeout=STEP_TIMEOUT)
                deployment.compose("down", "-v", "--timeout", "20")
            finally:  # whatever compose left (it failed): gone too, then the test fails
                left = leftovers(host)
                if left["containers"] or left["networks"]:
                    remove_ours(host)
            homes = [v for v in left["volumes"] if v.startswith("northlab-home-")]
            if homes:  # learners' work outlives a `down`; this test's learner goes now
                host.run(["volume", "rm", *homes], timeout=STEP_TIMEOUT)
    assert left == {"containers": [], "volumes": homes, "networks": []}
    assert leftovers(host) == {"containers": [], "volumes": [], "networks": []}


def remove_ours(host: PodmanHost) -> None:
    """This test's containers, volumes and networks (compose's project, learners')."""
    left = leftovers(host)
    ours = {kind: [n for n in names if n.startswith((PROJECT, "jupyter-", "northlab-home-",
                                                     "northlab-learners"))]
            for kind, names in left.items()}
    for kind, command in (("containers", ["rm", "-f", "-t", "5"]),
                          ("volumes", ["volume", "rm", "-f"]), ("networks", ["network", "rm"])):
        if ours[kind]:
            with contextlib.suppress(PodmanError):
                host.run([*command, *ours[kind]], timeout=STEP_TIMEOUT)


def learner_work(released: dict, source: dict) -> dict:
    """The released notebook with every solution cell answered from the lab's source."""
    answers = {cell["metadata"]["nbgrader"]["grade_id"]: cell["source"] for cell in source["cells"]
               if cell.get("metadata", {}).get("nbgrader", {}).get("solution")}
    for cell in released["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id]
    return released


def nbgrader(course_root: Path, env: dict[str, str], *args: str) -> None:
    """Real nbgrader in the course root, whose config routes the exchange to the service."""
    shutil.copy(NBGRADER_CONFIG, course_root / "nbgrader_config.py")
    run([shutil.which("nbgrader") or "nbgrader", *args,
         f"--CourseDirectory.root={course_root}", f"--CourseDirectory.course_id={COURSE}"],
        cwd=course_root, env={**os.environ, **env}, timeout=STEP_TIMEOUT)


def test_learner_to_credential_on_the_docker_host(deployment: Deployment, tmp_path: Path):
    d = deployment
    learner, teacher = "e2e-learner", "e2e-teacher"
    for name in (learner, teacher):
        d.hub_api("POST", f"/users/{name}")
    d.hub_api("POST", f"/groups/{cohort_group(COURSE)}")
    d.hub_api("POST", f"/groups/{cohort_group(COURSE)}/users", json={"users": [learner]})
    d.hub_api("POST", f"/groups/{instructors_group(COURSE)}")
    d.hub_api("POST", f"/groups/{instructors_group(COURSE)}/users", json={"users": [teacher]})
    tokens = {name: d.hub_api("POST", f"/users/{name}/tokens", json={"note": "e2e"}).json()[
        "token"] for name in (learner, teacher)}

    # The instructor releases the lab from a laptop: real nbgrader, the exchange plugin,
    # the exchange service through the proxy.
    course = tmp_path / "course"
    shutil.copytree(LAB_SOURCE / "source", course / "source" / LAB)
    teacher_env = {"NORTHLAB_EXCHANGE_URL": f"{d.url}/services/exchange/",
                   "JUPYTERHUB_API_TOKEN": tokens[teacher]}
    nbgrader(course, teacher_env, "generate_assignment", LAB)
    nbgrader(course, teacher_env, "release_assignment", LAB)

    # The learner's server: DockerSpawner starts the track image on the internal network;
    # JupyterLab answers through the proxy.
    learner_headers = {"Authorization": f"token {tokens[learner]}"}
    d.hub_api("POST", f"/users/{learner}/server", json={"track": TRACK})
    wait_for("the learner's server", lambda: d.hub_api("GET", f"/users/{learner}").json()[
        "servers"].get("", {}).get("ready"))
    lab_page = requests.get(f"{d.url}/user/{learner}/lab", headers=learner_headers, timeout=60)
    assert lab_page.status_code == 200 and "JupyterLab" in lab_page.text
    server = f"{d.url}/user/{learner}"

    def learner_call(method: str, path: str, **kwargs) -> requests.Response:
        response = requests.request(method, f"{server}/{path}", headers=learner_headers,
                                    timeout=STEP_TIMEOUT, **kwargs)
        assert response.status_code < 400, (path, response.status_code, response.text[:800])
        return response

    answer = learner_call("GET", "assignments", params={"course_id": COURSE}).json()
    assert answer["success"], answer["value"]
    assert [a["assignment_id"] for a in answer["value"]] == [LAB]
    learner_call("POST", "assignments/fetch", data={"course_id": COURSE, "assignment_id": LAB})
    fetched = learner_call("GET", "assignments", params={"course_id": COURSE}).json()["value"]
    assert [a["status"] for a in fetched] == ["fetched"], fetched
    notebook_path = fetched[0]["notebooks"][0]["path"]
    model = learner_call("GET", f"api/contents/{notebook_path}").json()
    source = nbformat.read(course / "source" / LAB / f"{LAB}.ipynb", as_version=4)
    work = learner_work(model["content"], source)
    learner_call("PUT", f"api/contents/{notebook_path}",
                 json={"type": "notebook", "format": "json", "content": work})
    learner_call("POST", "assignments/submit", data={"course_id": COURSE, "assignment_id": LAB})

    # Instant feedback: the learner's server asks the feedback service, which the hub runs
    # in its own container (it said "unreachable" when that listened on the hub's 127.0.0.1);
    # the browser's route to it goes through the proxy.
    instant = learner_call("GET", "assignments/instant", params={"course_id": COURSE}).json()
    assert instant["success"] is True and isinstance(instant["value"], list), instant
    direct = requests.get(f"{d.url}/services/feedback/api/feedback", headers=learner_headers,
                          params={"course_id": COURSE}, timeout=60)
    assert direct.status_code == 200 and direct.json()["user"] == learner, direct.text[:800]

    # The instructor collects; the site grades in the grader container (no network).
    nbgrader(course, teacher_env, "collect", LAB)
    submitted = course / "submitted"
    assert (submitted / learner / LAB / f"{LAB}.ipynb").exists()
    inspect = json.loads(d.host.run(["image", "inspect", "northlab/grader:latest"], timeout=60))
    assert inspect[0]["Config"]["User"] == "1000"
    d.compose("run", "--rm", "-v", f"{submitted}:/srv/submitted:ro", "grader", "grade",
              f"/opt/northlab/src/labs/{TRACK}/{LAB}", "/srv/submitted", "--course", COURSE,
              "--quiet")

    # The outbox container delivers the result to the credential service; the learner sees
    # it in the gradebook.
    def graded() -> dict | None:
        response = requests.get(f"{d.url}/services/gradebook/api/me", headers=learner_headers,
                                timeout=60)
        labs = response.json()["labs"] if response.status_code == 200 else []
        return next((lab["attempts"][-1] for lab in labs if lab["lab"] == LAB), None)

    attempt = wait_for("the result in the gradebook", graded)
    assert attempt["score"] == attempt["max_score"] > 0 and not attempt["error_code"], attempt

    d.hub_api("DELETE", f"/users/{learner}/server")
    wait_for("the learner's server to stop", lambda: not d.hub_api(
        "GET", f"/users/{learner}").json()["servers"])
