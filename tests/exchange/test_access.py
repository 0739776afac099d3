"""Per-course access to the exchange service over real HTTP (hub, proxy, service).

ines teaches course north (hub group instructors-north), olga teaches south, uma is only in
the umbrella group ``instructors``, ada is a hub admin; ana learns in north, cal in south.
Every refusal is a 403 with an English and a French sentence.
"""

from __future__ import annotations

import pytest
import requests

from hub.services.exchange import archive
from hub.services.exchange.hubconfig import ACCESS_SCOPE
from tests.exchange.conftest import Hub

pytestmark = pytest.mark.slow


class Caller:
    """One hub user calling the exchange API with their own token."""

    def __init__(self, hub: Hub, name: str) -> None:
        self.api = f"{hub.exchange_url}api/"
        self.headers = {"Authorization": f"token {hub.token(name, [ACCESS_SCOPE])}"}

    def __call__(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(
            method, self.api + path, headers=self.headers, timeout=60, **kwargs
        )


def refused(response: requests.Response) -> bool:
    """A 403 carrying its reason in English and French."""
    body = response.json()
    return response.status_code == 403 and set(body["messages"]) >= {"en", "fr"}


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("release")
    (folder / "lab1.ipynb").write_text('{"cells": [], "metadata": {}}')
    return archive.pack(folder)


@pytest.fixture(scope="module")
def people(hub: Hub) -> dict[str, Caller]:
    return {name: Caller(hub, name) for name in ("ines", "olga", "uma", "ada", "ana", "cal")}


def test_instructors_act_in_their_own_course_only(people: dict[str, Caller], release: bytes):
    ines, olga, uma = people["ines"], people["olga"], people["uma"]
    assert ines("PUT", "assignments/north/lab1", data=release).status_code == 201
    assert olga("PUT", "assignments/south/lab1", data=release).status_code == 201
    for response in (
        ines("PUT", "assignments/south/lab2", data=release),
        olga("PUT", "assignments/north/lab2", data=release),
        olga("DELETE", "assignments/north/lab1"),
        uma("PUT", "assignments/north/lab2", data=release),
        ines("GET", "submissions/south"),
        ines("GET", "feedback/south"),
        ines("GET", "assignments/south/lab1/archive"),
        ines("GET", "assignments", params={"course_id": "south"}),
    ):
        assert refused(response), (response.request.method, response.url, response.text)
    assert "instructors-south" in ines("PUT", "assignments/south/lab2", data=release).text
    french = ines("PUT", "assignments/south/lab2", data=release).json()["messages"]["fr"]
    assert "formateurs du cours south" in french

    assert ines("GET", "courses").json()["courses"] == [
        {"course_id": "north", "role": "instructor"}
    ]
    assert uma("GET", "courses").json()["courses"] == []
    assert [a["course_id"] for a in ines("GET", "assignments").json()] == ["north"]


def test_collecting_and_feedback_stay_in_the_course(people: dict[str, Caller], release: bytes):
    ines, olga, ana, ada = people["ines"], people["olga"], people["ana"], people["ada"]
    forced = ines("PUT", "assignments/north/lab1", params={"force": 1}, data=release)
    assert forced.status_code == 201
    submitted = ana("POST", "submissions/north/lab1", data=release)
    assert submitted.status_code == 201
    sub = submitted.json()["submission_id"]
    archive_path = f"submissions/north/lab1/ana/{sub}/archive"
    feedback_path = f"feedback/north/lab1/ana/{sub}/lab1"

    # north's instructor collects and returns feedback; south's instructor may not
    assert "ana" in {s["student_id"] for s in ines("GET", "submissions/north").json()}
    assert ines("GET", archive_path).status_code == 200
    assert refused(olga("GET", "submissions/north"))
    assert refused(olga("GET", archive_path))
    assert refused(olga("PUT", feedback_path, data=b"<p>forged</p>"))
    assert ines("PUT", feedback_path, data=b"<p>well done</p>").status_code == 201

    # the learner: own submissions and feedback only, no instructor action
    assert ana("GET", feedback_path).content == b"<p>well done</p>"
    assert {s["student_id"] for s in ana("GET", "submissions/north").json()} == {"ana"}
    assert refused(ana("PUT", feedback_path, data=b"<p>self-graded</p>"))
    assert refused(ana("PUT", "assignments/north/lab1", params={"force": 1}, data=release))
    assert refused(ana("GET", "submissions/north", params={"student_id": "ben"}))

    # a hub admin acts in every course
    assert ada("GET", archive_path).status_code == 200
    assert ada("PUT", "assignments/south/lab3", data=release).status_code == 201
    courses = {c["course_id"]: c["role"] for c in ada("GET", "courses").json()["courses"]}
    assert courses == {"north": "instructor", "south": "instructor"}


def test_learners_keep_their_course(people: dict[str, Caller], release: bytes):
    cal = people["cal"]
    people["olga"]("PUT", "assignments/south/lab4", data=release).raise_for_status()
    assert cal("GET", "assignments/south/lab4/archive").status_code == 200
    assert cal("POST", "submissions/south/lab4", data=release).status_code == 201
    assert refused(cal("GET", "assignments/north/lab1/archive"))
    assert refused(cal("POST", "submissions/north/lab1", data=release))
    assert cal("GET", "courses").json()["courses"] == [{"course_id": "south", "role": "learner"}]
