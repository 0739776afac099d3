"""Learners, instructors, cohort leads and cohorts in a running hub.

Hub users and groups go through the JupyterHub REST API with the ``northlab-cli``
service token; passwords go into NativeAuthenticator's table of the hub database
(accounts created this way are already approved). Every call is idempotent.

Staff access is group membership, live: a lead of cohort ``<id>`` joins ``cohort-leads`` and
``leads-<id>``, an instructor of course ``<id>`` joins ``instructors`` and
``instructors-<id>`` (see :mod:`hub.people.roles`). Only a cohort newer than the running hub lacks
its roles until the hub restarts.
"""

from __future__ import annotations

import bcrypt
import requests
from nativeauthenticator.orm import UserInfo
from sqlalchemy import create_engine, inspect
from sqlalchemy.orm import Session

from hub.config.address import hub_address
from hub.config.core import cohorts_file
from hub.config.settings import Settings
from hub.courses.folders import enroll, ensure_course
from hub.people.accounts import check_name
from hub.people.roles import load_cohorts, save_cohorts
from hub.tracks import LOCALE
from northlab.groups import COHORT_LEADS, INSTRUCTORS, cohort_group, instructors_group, leads_group
from northlab.tokens import cli_token


class HubUnavailable(Exception):
    """The hub does not answer; the message is one sentence."""


class HubClient:
    """Small JupyterHub REST client for the northlab command and the tests.

    It talks to the running hub of ``settings``' data root at the address that hub wrote
    (:func:`hub.commands.runner.hub_address`), so a hub started on another port is still found.
    """

    def __init__(self, settings: Settings, token: str | None = None) -> None:
        self.settings = settings
        self.token = token
        self.url = f"{hub_address(settings)}/hub/api"
        self.session = requests.Session()

    def _send(self, method: str, path: str, **kwargs) -> requests.Response:
        try:
            if "Authorization" not in self.session.headers:
                # the hub's API root answers without a token: nothing (not even the CLI
                # token file) is written for a hub that is down
                self.session.get(self.url + "/", timeout=30)
                token = self.token or cli_token(self.settings)
                self.session.headers["Authorization"] = f"token {token}"
            return self.session.request(method, self.url + path, timeout=30, **kwargs)
        except (requests.ConnectionError, requests.Timeout):
            texts = LOCALE.all_languages("cli.hub_down", url=self.url).values()
            message = " / ".join(dict.fromkeys(texts))  # once each (untranslated: English)
            raise HubUnavailable(message) from None

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        response = self._send(method, path, **kwargs)
        if response.status_code >= 400 and response.status_code != 409:
            response.raise_for_status()
        return response

    def check_up(self) -> None:
        """Raise :class:`HubUnavailable` unless the hub answers (before changing anything)."""
        self._send("GET", "/")

    def user(self, name: str) -> dict | None:
        response = self._send("GET", f"/users/{name}")
        return response.json() if response.status_code == 200 else None

    def ensure_user(self, name: str, admin: bool = False) -> dict:
        existing = self.user(name)
        if existing is None:
            self.request("POST", f"/users/{name}", json={"admin": admin})
        elif admin and not existing.get("admin"):
            self.request("PATCH", f"/users/{name}", json={"admin": True})
        return self.user(name) or {}

    def ensure_group(self, group: str) -> None:
        if self._send("GET", f"/groups/{group}").status_code == 404:
            self.request("POST", f"/groups/{group}")

    def add_to_group(self, group: str, *users: str) -> None:
        self.ensure_group(group)
        self.request("POST", f"/groups/{group}/users", json={"users": list(users)})

    def group_roles(self, group: str) -> list[str]:
        """Roles bound to ``group`` (none if the group does not exist)."""
        response = self._send("GET", f"/groups/{group}")
        return response.json().get("roles", []) if response.status_code == 200 else []


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


#: Staff roles: (umbrella group, per-cohort group of a cohort id).
STAFF_GROUPS = {"instructor": (INSTRUCTORS, instructors_group), "lead": (COHORT_LEADS, leads_group)}


def add_person(
    settings: Settings, client: HubClient, name: str, *, role: str, cohort: str | None,
    password: str | None,
) -> bool:
    """Create ``name`` as a learner, instructor or lead (of ``cohort``) and set a password.

    Returns False when ``cohort``'s staff role does not exist yet in the running hub (the
    cohort is newer than the hub: its leads and instructors get access at the next start).
    """
    check_name(name)
    client.ensure_user(name)
    staff_group = None
    if role in STAFF_GROUPS:
        umbrella, per_cohort = STAFF_GROUPS[role]
        client.add_to_group(umbrella, name)
        staff_group = per_cohort(cohort) if cohort else None
    elif role == "learner" and cohort:
        client.add_to_group(cohort_group(cohort), name)
        enroll(settings.courses_root, cohort, name)
    if staff_group:
        client.add_to_group(staff_group, name)
    if password:
        set_password(settings, name, password)
    return staff_group is None or bool(client.group_roles(staff_group))


def cohort_has_roles(client: HubClient, cohort: str) -> bool:
    """True if the running hub made ``cohort``'s staff roles (it knew the cohort at start)."""
    return bool(client.group_roles(leads_group(cohort)))


def add_cohort(settings: Settings, cohort: str) -> None:
    """Create cohort ``cohort``: course root, exchange, Unix group and registry entry (the
    hub makes its roles when it starts)."""
    check_name(cohort)
    ensure_course(settings, cohort)
    path = cohorts_file(settings)
    registry = load_cohorts(path)
    if cohort not in registry:
        registry[cohort] = {}
        save_cohorts(path, registry)
