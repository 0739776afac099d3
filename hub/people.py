"""Learners, instructors, cohort leads and cohorts in a running hub.

Hub users and groups go through the JupyterHub REST API with the ``northlab-cli``
service token; passwords go into NativeAuthenticator's table of the hub database
(accounts created this way are already approved). Every call is idempotent.
"""

from __future__ import annotations

import bcrypt
import requests
from nativeauthenticator.orm import UserInfo
from sqlalchemy import create_engine, inspect
from sqlalchemy.orm import Session

from hub import managed
from hub.accounts import check_name
from hub.courses import ensure_course
from hub.hubconfig import cohorts_file
from hub.roles import COHORT_LEADS, INSTRUCTORS, cohort_group, load_cohorts, save_cohorts
from hub.settings import Settings


class HubUnavailable(Exception):
    """The hub does not answer; the message is one sentence."""


class HubClient:
    """Small JupyterHub REST client for the northlab command and the tests."""

    def __init__(self, settings: Settings, token: str | None = None) -> None:
        self.url = f"http://127.0.0.1:{settings.port}/hub/api"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {token or managed.cli_token(settings)}"

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        try:
            response = self.session.request(method, self.url + path, timeout=30, **kwargs)
        except requests.ConnectionError:
            raise HubUnavailable(
                f"The hub does not answer at {self.url}: start it with `northlab hub`."
            ) from None
        if response.status_code >= 400 and response.status_code != 409:
            response.raise_for_status()
        return response

    def user(self, name: str) -> dict | None:
        response = self.session.get(f"{self.url}/users/{name}", timeout=30)
        return response.json() if response.status_code == 200 else None

    def ensure_user(self, name: str, admin: bool = False) -> dict:
        existing = self.user(name)
        if existing is None:
            self.request("POST", f"/users/{name}", json={"admin": admin})
        elif admin and not existing.get("admin"):
            self.request("PATCH", f"/users/{name}", json={"admin": True})
        return self.user(name) or {}

    def ensure_group(self, group: str) -> None:
        if self.session.get(f"{self.url}/groups/{group}", timeout=30).status_code == 404:
            self.request("POST", f"/groups/{group}")

    def add_to_group(self, group: str, *users: str) -> None:
        self.ensure_group(group)
        self.request("POST", f"/groups/{group}/users", json={"users": list(users)})


def set_password(settings: Settings, name: str, password: str, *, replace: bool = False) -> bool:
    """Give ``name`` an approved NativeAuthenticator account; keeps an existing password
    unless ``replace``. Returns True if a password was written."""
    engine = create_engine(settings.hub_database_url)
    try:
        if not inspect(engine).has_table(UserInfo.__tablename__):
            UserInfo.__table__.create(engine)
        with Session(engine) as session:
            info = session.query(UserInfo).filter_by(username=name).first()
            if info is not None and not replace:
                if not info.is_authorized:
                    info.is_authorized = True
                    session.commit()
                return False
            hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt())
            if info is None:
                session.add(UserInfo(username=name, password=hashed, is_authorized=True))
            else:
                info.password, info.is_authorized = hashed, True
            session.commit()
            return True
    finally:
        engine.dispose()


def add_person(
    settings: Settings, client: HubClient, name: str, *, role: str, cohort: str | None,
    password: str | None,
) -> None:
    """Create ``name`` as a learner, instructor or lead (of ``cohort``) and set a password."""
    check_name(name)
    client.ensure_user(name)
    if role == "instructor":
        client.add_to_group(INSTRUCTORS, name)
    elif role == "lead":
        client.add_to_group(COHORT_LEADS, name)
    if cohort and role == "learner":
        client.add_to_group(cohort_group(cohort), name)
    if password:
        set_password(settings, name, password)


def add_cohort(settings: Settings, cohort: str, leads: tuple[str, ...] = ()) -> bool:
    """Create cohort ``cohort`` (course root, exchange, Unix group, registry entry) and
    record its leads. Returns True if the registry changed (roles apply at hub start)."""
    check_name(cohort)
    ensure_course(settings, cohort)
    path = cohorts_file(settings)
    registry = load_cohorts(path)
    entry = registry.setdefault(cohort, {"leads": []})
    before = list(entry["leads"])
    entry["leads"] = sorted(set(before) | set(leads))
    save_cohorts(path, registry)
    return entry["leads"] != before
