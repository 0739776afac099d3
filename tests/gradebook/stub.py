"""Test and benchmark wiring: the real gradebook app with a stand-in for the hub's OAuth.

Only the identity lookup is replaced (a request names its user in ``X-Stub-User``; the
user's scopes come from a fixed table); every handler, query and template is the real one.
The browser tests use a real JupyterHub instead.
"""

from __future__ import annotations

from jupyterhub.services.auth import HubOAuth

from hub.services.gradebook.access import GRADEBOOK_SCOPE

ACCESS = "access:services!service=gradebook"


def scopes_for(*, admin: bool = False, cohorts: tuple[str, ...] = ()) -> list[str]:
    """Token scopes as the hub would issue them to the gradebook."""
    scopes = [ACCESS]
    if admin:
        scopes.append(GRADEBOOK_SCOPE)
    scopes += [f"{GRADEBOOK_SCOPE}!group=cohort-{c}" for c in cohorts]
    return scopes


class StubAuth(HubOAuth):
    """HubOAuth whose user lookup reads ``X-Stub-User`` against ``users``."""

    def __init__(self, users: dict[str, list[str]], **kwargs) -> None:
        super().__init__(api_token="stub", access_scopes={ACCESS},
                         oauth_client_id="service-gradebook", **kwargs)
        self.users = users

    async def _get_user(self, handler):  # noqa: D401 - HubAuth's own hook
        name = handler.request.headers.get("X-Stub-User")
        if name is None or name not in self.users:
            return None
        return {"kind": "user", "name": name, "scopes": list(self.users[name])}
