"""Roles through the real hub: a cohort lead sees only their cohort, an instructor only their
course (hub API, learners' servers, the gradebook); staff join live; the admin panel works."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from hub.commands.runner import hub_env
from hub.pages.hub_pages import ADMIN_CONTROLS
from hub.people.manage import add_person, set_password
from northlab.groups import COHORT_LEADS, INSTRUCTORS, cohort_group, instructors_group, leads_group
from tests.support.hub import log_in

pytestmark = pytest.mark.slow


def test_cohort_lead_sees_only_their_cohort(hub):
    lead, inside, outside = hub.name("lead"), hub.name("in"), hub.name("out")
    add_person(hub.settings, hub.client, lead, role="lead", cohort=hub.cohort,
               password="lead-pass-2026")
    add_person(hub.settings, hub.client, inside, role="learner", cohort=hub.cohort,
               password=None)
    hub.client.ensure_user(outside)
    assert leads_group(hub.cohort) in hub.client.user(lead)["groups"]
    assert hub.client.group_roles(leads_group(hub.cohort)) == [f"cohort-lead-{hub.cohort}"]
    token = hub.user_token(lead)
    listed = requests.get(f"{hub.url}/hub/api/users", timeout=30,
                          headers={"Authorization": f"token {token}"}).json()
    names = {u["name"] for u in listed}
    assert inside in names and outside not in names
    group = requests.get(f"{hub.url}/hub/api/groups/{cohort_group(hub.cohort)}", timeout=30,
                         headers={"Authorization": f"token {token}"})
    assert group.status_code == 200 and inside in group.json()["users"]
    session = log_in(hub.url, lead, "lead-pass-2026")
    landing = session.get(f"{hub.url}/hub/", timeout=60)  # where a lead's work is
    assert landing.url.startswith(f"{hub.url}/services/gradebook/"), landing.url
    # no admin panel: its stop/access/shutdown controls need scopes a lead does not have
    assert session.get(f"{hub.url}/hub/admin", timeout=30).status_code == 403


def test_admin_panel_and_learner_is_not_admin(hub):
    admin, learner = "admin", hub.name("plain")
    add_person(hub.settings, hub.client, learner, role="learner", cohort=hub.cohort,
               password="plain-pass-2026")
    session = log_in(hub.url, learner, "plain-pass-2026")
    landing = session.get(f"{hub.url}/hub/", timeout=60)  # a learner's work: a track
    assert "/hub/spawn" in landing.url and 'name="track"' in landing.text, landing.url
    assert session.get(f"{hub.url}/hub/admin", timeout=30).status_code == 403
    hub.client.ensure_user(admin, admin=True)
    add_person(hub.settings, hub.client, admin, role="admin", cohort=None,
               password="admin-pass-2026")
    session = log_in(hub.url, admin, "admin-pass-2026")
    page = session.get(f"{hub.url}/hub/admin", timeout=30)
    assert page.status_code == 200 and "admin" in page.text.lower()
    assert "{ display: none; }" not in page.text  # every control of the panel is theirs
    # admins read every cohort in the gradebook; staff groups are not cohorts there
    program = gradebook(session, hub, "program")
    assert program.status_code == 200
    assert hub.cohort in program.text and hub.other_cohort in program.text
    assert "cohort/leads" not in program.text
    assert gradebook(session, hub, f"cohort/{hub.other_cohort}").status_code == 200


def test_admin_made_in_the_admin_panel_reads_every_cohort(hub):
    promoted = hub.name("promoted")
    add_person(hub.settings, hub.client, promoted, role="learner", cohort=hub.cohort,
               password="promoted-pass-2026")
    assert promoted not in hub.settings.admin_users
    session = log_in(hub.url, promoted, "promoted-pass-2026")
    assert gradebook(session, hub, f"cohort/{hub.other_cohort}").status_code == 403
    hub.client.ensure_user("admin", admin=True)  # in the hub's admin_users
    promoted_now = api(hub, hub.user_token("admin"), "PATCH", f"/users/{promoted}",
                       json={"admin": True})  # as in the admin panel
    assert promoted_now.status_code == 200 and promoted_now.json()["admin"] is True
    session = log_in(hub.url, promoted, "promoted-pass-2026")  # a new login: a new token
    assert gradebook(session, hub, f"cohort/{hub.other_cohort}").status_code == 200
    program = gradebook(session, hub, "program")
    assert hub.cohort in program.text and hub.other_cohort in program.text


def api(hub, token: str, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(method, f"{hub.url}/hub/api{path}", timeout=30,
                            headers={"Authorization": f"token {token}"}, **kwargs)


def northlab(hub, *args: str) -> str:
    """Run the real ``northlab`` command against the test hub; its standard output."""
    result = subprocess.run([str(Path(sys.executable).parent / "northlab"), *args],
                            env=hub_env(hub.settings), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def gradebook(session: requests.Session, hub, path: str) -> requests.Response:
    """A gradebook page through the proxy, after the hub's OAuth redirects."""
    return session.get(f"{hub.url}/services/gradebook/{path}", timeout=60)


def wait_ready(hub, name: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not hub.client.user(name)["servers"].get("", {}).get("ready"):
        assert time.monotonic() < deadline, f"{name}'s server did not start; see {hub.log}"
        time.sleep(1)


def test_instructor_sees_and_runs_only_their_course(hub):
    teacher, mine, theirs = hub.name("teach"), hub.name("mine"), hub.name("theirs")
    assert add_person(hub.settings, hub.client, teacher, role="instructor", cohort=hub.cohort,
                      password="teach-pass-2026")
    add_person(hub.settings, hub.client, mine, role="learner", cohort=hub.cohort, password=None)
    add_person(hub.settings, hub.client, theirs, role="learner", cohort=hub.other_cohort,
               password=None)
    token = hub.user_token(teacher)
    names = {u["name"] for u in api(hub, token, "GET", "/users").json()}
    assert mine in names and theirs not in names
    assert mine in api(hub, token, "GET", f"/groups/{cohort_group(hub.cohort)}").json()["users"]
    # the hub API hides what lies outside a filtered scope: 404, as for a missing user
    assert api(hub, token, "GET", f"/groups/{cohort_group(hub.other_cohort)}").status_code \
        == 404
    assert api(hub, token, "GET", f"/users/{theirs}").status_code == 404
    assert api(hub, token, "POST", f"/users/{theirs}/server",
               json={"track": "cybersecurity"}).status_code == 404

    # The instructor starts their learner's server and opens it; the other course's is shut.
    assert api(hub, token, "POST", f"/users/{mine}/server",
               json={"track": "cybersecurity"}).status_code in (201, 202)
    wait_ready(hub, mine)
    hub.start_server(theirs, "cybersecurity")
    session = log_in(hub.url, teacher, "teach-pass-2026")
    # the admin panel hides what their scopes forbid (the hub API refuses it anyway): Add
    # Users, Edit User, Manage Groups, Shutdown Hub (tests/browser: what these hide)
    admin_panel = session.get(f"{hub.url}/hub/admin", timeout=30).text
    for _, selector in ADMIN_CONTROLS:
        assert f"{selector} {{ display: none; }}" in admin_panel, selector
    assert session.get(f"{hub.url}/user/{mine}/lab", timeout=60).status_code == 200
    assert session.get(f"{hub.url}/user/{theirs}/lab", timeout=60).status_code == 403
    assert api(hub, token, "DELETE", f"/users/{theirs}/server").status_code == 404
    hub.stop_server(theirs)
    hub.stop_server(mine)

    # The gradebook: their course's pages, none of the other's; every denial a 403.
    assert gradebook(session, hub, f"cohort/{hub.cohort}").status_code == 200
    program = gradebook(session, hub, "program")
    assert program.status_code == 200
    assert hub.cohort in program.text and hub.other_cohort not in program.text
    for path in (f"cohort/{hub.other_cohort}", f"cohort/{hub.other_cohort}/grades.csv",
                 f"api/cohorts/{hub.other_cohort}/grades", f"learner/{theirs}"):
        assert gradebook(session, hub, path).status_code == 403, path
    assert gradebook(session, hub, f"api/cohorts/{hub.cohort}/grades").status_code == 200


def add_learners(hub, *, inside: str, outside: str) -> None:
    """A learner of the hub's cohort and one of the other cohort."""
    add_person(hub.settings, hub.client, inside, role="learner", cohort=hub.cohort,
               password=None)
    add_person(hub.settings, hub.client, outside, role="learner", cohort=hub.other_cohort,
               password=None)


def test_lead_added_while_the_hub_runs_gets_access_at_once(hub):
    lead, inside, outside = hub.name("newlead"), hub.name("in2"), hub.name("out2")
    add_learners(hub, inside=inside, outside=outside)
    out = northlab(hub, "cohort", "add", hub.cohort, "--lead", lead)
    assert "restart" not in out.lower()
    groups = hub.client.user(lead)["groups"]
    assert {COHORT_LEADS, leads_group(hub.cohort)} <= set(groups)
    set_password(hub.settings, lead, "newlead-pass-2026")
    session = log_in(hub.url, lead, "newlead-pass-2026")
    assert gradebook(session, hub, f"cohort/{hub.cohort}").status_code == 200
    assert gradebook(session, hub, f"cohort/{hub.other_cohort}").status_code == 403
    names = {u["name"] for u in api(hub, hub.user_token(lead), "GET", "/users").json()}
    assert inside in names and outside not in names

    # A cohort newer than the hub has no roles yet: the command says to restart.
    fresh = f"{hub.prefix}-fresh"
    out = northlab(hub, "cohort", "add", fresh, "--lead", lead)
    assert f"Cohort {fresh} is newer than the running hub" in out


def test_instructor_add_is_idempotent_and_takes_several_courses(hub):
    teacher = hub.name("teach2")
    args = ("instructor", "add", teacher, "--cohort", hub.cohort, "--cohort", hub.other_cohort)
    first = northlab(hub, *args)
    assert "created; password:" in first and "restart" not in first.lower()
    second = northlab(hub, *args)
    assert "already existed" in second and "password" not in second
    groups = set(hub.client.user(teacher)["groups"])
    assert {INSTRUCTORS, instructors_group(hub.cohort),
            instructors_group(hub.other_cohort)} <= groups


def test_leads_recorded_in_an_older_cohorts_json_keep_their_access(hub):
    old, inside, outside = hub.name("oldlead"), hub.name("in3"), hub.name("out3")
    add_learners(hub, inside=inside, outside=outside)
    assert leads_group(hub.cohort) in hub.client.user(old)["groups"]
    names = {u["name"] for u in api(hub, hub.user_token(old), "GET", "/users").json()}
    assert inside in names and outside not in names


def test_instructor_without_a_course_still_starts(hub):
    teacher = hub.name("teach0")
    out = northlab(hub, "instructor", "add", teacher, "--password", "teach0-pass-2026")
    assert "created" in out
    # an instructor lands in their own JupyterLab (Nbgrader menu), no track chooser
    landing = log_in(hub.url, teacher, "teach0-pass-2026").get(f"{hub.url}/hub/", timeout=60)
    assert 'name="track"' not in landing.text, landing.url
    wait_ready(hub, teacher)  # started from the landing, on the default track
    token = hub.user_token(teacher)
    courses = requests.get(f"{hub.url}/user/{teacher}/api/contents/courses", timeout=30,
                           headers={"Authorization": f"token {token}"})
    assert courses.status_code == 200 and courses.json()["content"] == []
    formgrader = requests.get(f"{hub.url}/user/{teacher}/formgrader", timeout=60,
                              headers={"Authorization": f"token {token}"})
    assert formgrader.status_code == 200
    hub.stop_server(teacher)
