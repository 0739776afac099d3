"""How people log in: local accounts approved by an admin (default) or LTI 1.3.

native: NativeAuthenticator. Anyone may sign up at /hub/signup; an admin approves the
account at /hub/authorize before it can log in. ``northlab learner add`` creates
approved accounts directly.

lti: LTI 1.3 launches from Moodle, Brightspace or Canvas (jupyterhub-ltiauthenticator).
Register northlab in the LMS as an LTI 1.3 tool with login URL
``<hub>/hub/lti13/oauth_login``, redirect/launch URL ``<hub>/hub/lti13/oauth_callback``
and public keys ``<hub>/hub/lti13/jwks``; then set ``authenticator = "lti"`` and the
``lti_*`` settings from the LMS's registration page. Add the custom parameter
``username=$User.username`` (Moodle, Brightspace) or ``username=$Canvas.user.loginId`` so
hub names stay valid Unix names.
"""

from __future__ import annotations

from typing import Any

from hub.config.settings import Settings
from hub.people.accounts import NAME_PATTERN
from hub.people.roles import landing_url


def configure_auth(c: Any, settings: Settings) -> None:
    """Set the authenticator chosen by ``settings.authenticator``."""
    c.Authenticator.admin_users = set(settings.admin_users)
    # Hub names are Unix names in local mode: lowercase letters, digits, hyphens.
    c.Authenticator.username_pattern = NAME_PATTERN.pattern
    c.JupyterHub.default_url = landing_url  # after login: each role where its work is
    if settings.authenticator == "native":
        c.JupyterHub.authenticator_class = "nativeauthenticator.NativeAuthenticator"
        c.NativeAuthenticator.open_signup = False
        c.NativeAuthenticator.minimum_password_length = 8
        c.NativeAuthenticator.check_common_password = True
        # NativeAuthenticator's own approval decides who may log in.
        c.Authenticator.allow_all = True
    else:
        c.JupyterHub.authenticator_class = "ltiauthenticator.lti13.auth.LTI13Authenticator"
        c.LTI13Authenticator.client_id = [settings.lti_client_id]
        c.LTI13Authenticator.issuer = settings.lti_issuer
        c.LTI13Authenticator.authorize_url = settings.lti_authorize_url
        c.LTI13Authenticator.jwks_endpoint = settings.lti_jwks_url
        c.LTI13Authenticator.username_key = "custom_username"
        c.Authenticator.allow_all = True
