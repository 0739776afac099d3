"""Roles through the real hub: a cohort lead sees only their cohort; the admin panel works."""

from __future__ import annotations

import pytest
import requests

from hub.people import add_person
from hub.roles import cohort_group

pytestmark = pytest.mark.slow


def login(hub, name: str, password: str) -> requests.Session:
    session = requests.Session()
    session.get(f"{hub.url}/hub/login", timeout=30)
    response = session.post(f"{hub.url}/hub/login", timeout=30, allow_redirects=False,
                            data={"username": name, "password": password,
                                  "_xsrf": session.cookies.get("_xsrf")})
    assert response.status_code == 302, response.text[:300]
    return session


def test_cohort_lead_sees_only_their_cohort(hub):
    lead, inside, outside = hub.name("lead"), hub.name("in"), hub.name("out")
    add_person(hub.settings, hub.client, lead, role="lead", cohort=hub.cohort,
               password="lead-pass-2026")
    add_person(hub.settings, hub.client, inside, role="learner", cohort=hub.cohort,
               password=None)
    hub.client.ensure_user(outside)
    roles = hub.client.user(lead)["roles"]
    assert f"cohort-lead-{hub.cohort}" in roles
    token = hub.user_token(lead)
    listed = requests.get(f"{hub.url}/hub/api/users", timeout=30,
                          headers={"Authorization": f"token {token}"}).json()
    names = {u["name"] for u in listed}
    assert inside in names and outside not in names
    group = requests.get(f"{hub.url}/hub/api/groups/{cohort_group(hub.cohort)}", timeout=30,
                         headers={"Authorization": f"token {token}"})
    assert group.status_code == 200 and inside in group.json()["users"]
    session = login(hub, lead, "lead-pass-2026")
    assert session.get(f"{hub.url}/hub/admin", timeout=30).status_code == 200


def test_admin_panel_and_learner_is_not_admin(hub):
    admin, learner = "admin", hub.name("plain")
    add_person(hub.settings, hub.client, learner, role="learner", cohort=hub.cohort,
               password="plain-pass-2026")
    session = login(hub, learner, "plain-pass-2026")
    assert session.get(f"{hub.url}/hub/admin", timeout=30).status_code == 403
    hub.client.ensure_user(admin, admin=True)
    add_person(hub.settings, hub.client, admin, role="admin", cohort=None,
               password="admin-pass-2026")
    session = login(hub, admin, "admin-pass-2026")
    page = session.get(f"{hub.url}/hub/admin", timeout=30)
    assert page.status_code == 200 and "admin" in page.text.lower()
