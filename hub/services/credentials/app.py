"""The credential service's web app (tornado): results API, learner pages, public documents.

Routes, under the service prefix (``JUPYTERHUB_SERVICE_PREFIX``, ``/services/credentials/``):

``POST api/results``                 grader token with custom:northlab:report-results;
                                     201 stored, 200 already stored or updated (a person's
                                     grades replace a record awaiting them), 400 invalid,
                                     409 a different record of a stored submission that
                                     is not a person's further grading of it (one
                                     sentence; rule: service.update_refusal), 401/403 token
``GET  api/credentials``             the signed-in learner's credentials (JSON);
                                     ``?learner=<name>`` for staff (below)
``POST api/credentials/<id>/revoke`` staff (below), token auth, JSON body {"reason": "..."}
``GET  ``                            "My credentials" (hub OAuth), ``?lang=fr`` or Accept-Language
``GET  credentials/<id>.json``       download (owner or staff; others get 403)
``GET  credentials/<id>/certificate.png``  printable certificate with a QR code to ``verify``
``GET|POST verify``                  public verify page (``?id=<uuid>`` checks a stored one);
                                     says who issued; ``recipient=`` (e-mail or user name)
                                     answers yes/no for ours, 10 times per credential/h
``GET  status/<n>``                  public BitstringStatusListCredential
``GET  achievements/<id>[/fr|/iu]``  public Achievement JSON, per language; ``.../image.svg``
``GET  did.json``, ``.well-known/did.json``  the DID document of a did:web issuer (keys.py)

Staff, for a learner's credentials, are hub admins and the instructors of a course the
learner is in (hub groups ``instructors-<id>`` and ``cohort-<id>``; see
:mod:`hub.services.credentials.staff`). Learners see and download their own, and revoke
none. Everything else here is public.
"""

from __future__ import annotations

import hmac
import json
import os
from pathlib import Path
from typing import Any

from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler, HubOAuthenticated
from tornado import httputil, web

from hub.services.credentials.badge import achievement_document
from hub.services.credentials.certificate import render_certificate
from hub.services.credentials.image import badge_svg
from hub.services.credentials.pool import VerifierPool
from hub.services.credentials.recipients import Budget
from hub.services.credentials.service import ConflictingUpdate, Credentials, CredentialsError
from hub.services.credentials.staff import HubUnreachable, cohorts_of, is_staff, may_act_for
from hub.services.credentials.verify import Verification, parse_untrusted_json
from hub.services.records import Credential
from northlab.i18n import Catalog
from northlab.language import Marked, choose_language
from northlab.results import InvalidResult

REPORT_SCOPE = "custom:northlab:report-results"
HERE = Path(__file__).parent
CATALOG = Catalog(HERE / "locale")
#: Largest request body the server reads (set on the HTTPServer: see ``__main__``).
MAX_BODY = 2 * 1024 * 1024
#: Largest credential the public verify page accepts (ours are ~6 KB; caps the CPU a
#: stranger can make the canonicaliser spend), the largest form it keeps (a credential
#: URL-encoded), and the largest body it reads and throws away to answer 413.
MAX_VERIFY = 64 * 1024
MAX_VERIFY_FORM = 4 * MAX_VERIFY
MAX_DISCARDED = 16 * 1024 * 1024
#: "Was it issued to ...?" answers per credential per hour.
RECIPIENT_CHECKS_PER_HOUR = 10


class Base(web.RequestHandler):
    """Shared helpers: the library, language choice, translated rendering."""

    @property
    def lib(self) -> Credentials:
        return self.settings["library"]

    @property
    def language(self) -> str:
        """``?lang=`` (then remembered in the shared cookie), the cookie, else Accept-Language."""
        return choose_language(self, CATALOG.languages)

    def t(self, message_id: str, **values: Any) -> str:
        return CATALOG.text(message_id, self.language, **values)

    def page(self, template: str, **values: Any) -> None:
        self.render(template, t=self.t, m=Marked(CATALOG, self.language), lang=self.language,
                    **values)

    def write_json(self, document: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(document, ensure_ascii=False, indent=2))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        reason = self._reason
        exc = kwargs.get("exc_info", (None, None))[1]
        if isinstance(exc, web.HTTPError) and exc.log_message:
            reason = exc.log_message
        self.write_json({"status": status_code, "error": reason}, status_code)

    async def staff_for(self, actor: dict[str, Any], learner: str) -> bool:
        """True if ``actor`` (a hub model) is a hub admin or an instructor of a course
        ``learner`` is in."""
        hub_auth = self.settings.get("hub_auth")
        if hub_auth is None or not is_staff(actor):
            return False
        try:
            cohorts = await cohorts_of(hub_auth.api_url, hub_auth.api_token, learner)
        except HubUnreachable:
            raise web.HTTPError(503, self.t("hub_unavailable")) from None
        return may_act_for(actor, cohorts)

    async def may_see(self, actor: dict[str, Any], learner: str) -> bool:
        """``learner``'s credentials are ``actor``'s own, or ``actor`` is staff for them."""
        return actor["name"] == learner or await self.staff_for(actor, learner)


class Learner(HubOAuthenticated, Base):
    """Pages for a signed-in hub user."""

    def prepare(self) -> None:
        if not self.settings.get("hub"):
            raise web.HTTPError(503, "learner pages need the hub (no JUPYTERHUB_API_URL)")

    @property
    def hub_auth(self) -> HubOAuth:
        return self.settings["hub_auth"]

    async def owned(self, credential_id: str) -> Credential:
        """The credential if the current user may see it; 404 / 403 otherwise."""
        try:
            credential = self.lib.get(credential_id)
        except CredentialsError:
            raise web.HTTPError(404, "no such credential") from None
        if not await self.may_see(self.current_user, credential.learner):
            raise web.HTTPError(403, self.t("forbidden"))
        return credential


class MyCredentials(Learner):
    @web.authenticated
    def get(self) -> None:
        name = self.current_user["name"]
        credentials = self.lib.credentials_of(name)
        with self.lib.sessions() as session:
            best = {lab: v[0] for lab, v in self.lib.best_percent(session, name).items()}
            awaiting = self.lib.awaiting_labs(session, name)
        progress = [
            (
                a,
                sum(1 for lab in a.labs if best.get(lab, -1) >= a.min_percent),
                sum(1 for lab in a.labs if lab in awaiting),
            )
            for a in self.lib.achievements.values()
        ]
        self.page(
            "mine.html",
            name=name,
            credentials=credentials,
            achievements=self.lib.achievements,
            progress=progress,
            prefix=self.settings["prefix"],
        )


class MyCredentialsAPI(Learner):
    @web.authenticated
    async def get(self) -> None:
        learner = self.get_argument("learner", self.current_user["name"])
        if not await self.may_see(self.current_user, learner):
            raise web.HTTPError(403, self.t("forbidden"))
        self.write_json(
            [
                {
                    "id": f"urn:uuid:{c.id}",
                    "achievement": c.achievement,
                    "revoked": c.revoked_at is not None,
                    "document": c.document,
                }
                for c in self.lib.credentials_of(learner)
            ]
        )


class CredentialJSON(Learner):
    @web.authenticated
    async def get(self, credential_id: str) -> None:
        credential = await self.owned(credential_id)
        self.set_header("Content-Disposition", f'attachment; filename="{credential.id}.json"')
        self.write_json(credential.document)


class CertificatePNG(Learner):
    @web.authenticated
    async def get(self, credential_id: str) -> None:
        credential = await self.owned(credential_id)
        png = render_certificate(
            learner=credential.learner,
            achievement=self.lib.achievement(credential.achievement),
            issued_on=credential.issued_at.date().isoformat(),
            issuer=self.lib.settings.issuer_name,
            credential_id=credential.id,
            verify_url=f"{self.lib.settings.public_url}/verify?id={credential.id}",
            catalog=CATALOG,
            language=self.language,
        )
        self.set_header("Content-Type", "image/png")
        self.finish(png)


def _bearer(handler: web.RequestHandler) -> str | None:
    header = handler.request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() in ("token", "bearer") and token.strip() else None


async def token_owner(handler: Base) -> dict[str, Any] | None:
    """The hub model of the request's API token (or the standalone report token), else None."""
    token = _bearer(handler)
    if token is None:
        return None
    static = handler.lib.settings.report_token
    if static and hmac.compare_digest(token.encode(), static.encode()):
        return {"name": "report-token", "kind": "static", "scopes": [REPORT_SCOPE]}
    hub_auth = handler.settings.get("hub_auth")
    if hub_auth is None:
        return None
    return await hub_auth.user_for_token(token, sync=False)


class ResultsAPI(Base):
    def check_xsrf_cookie(self) -> None:  # token-authenticated API
        pass

    async def post(self) -> None:
        owner = await token_owner(self)
        if owner is None:
            if _bearer(self) is None:
                raise web.HTTPError(401, "a grader token is required")
            raise web.HTTPError(403, "the token is not valid")
        if REPORT_SCOPE not in owner.get("scopes", []):
            raise web.HTTPError(403, f"the token lacks the {REPORT_SCOPE} scope")
        try:
            record = json.loads(self.request.body)
            intake = self.lib.record_result(record, reported_by=owner.get("name"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise web.HTTPError(400, "the body is not JSON") from None
        except (InvalidResult, TypeError, AttributeError) as exc:
            raise web.HTTPError(400, str(exc)) from None
        except ConflictingUpdate as exc:
            raise web.HTTPError(409, str(exc)) from None
        self.write_json(
            {
                "stored": intake.created,
                "updated": intake.updated,
                "result": intake.result_id,
                "issued": intake.issued,
            },
            201 if intake.created else 200,
        )


class RevokeAPI(Base):
    def check_xsrf_cookie(self) -> None:  # token-authenticated API
        pass

    async def post(self, credential_id: str) -> None:
        owner = await token_owner(self)
        if owner is None:
            raise web.HTTPError(
                401 if _bearer(self) is None else 403, "a valid hub token is required"
            )
        if not is_staff(owner):
            raise web.HTTPError(403, self.t("revoke_forbidden"))
        try:
            learner = self.lib.get(credential_id).learner
        except CredentialsError:
            raise web.HTTPError(404, "no such credential") from None
        if not await self.staff_for(owner, learner):
            raise web.HTTPError(403, self.t("revoke_forbidden"))
        try:
            reason = str(json.loads(self.request.body or b"{}").get("reason", ""))
            credential = self.lib.revoke(credential_id, revoked_by=owner["name"], reason=reason)
        except (json.JSONDecodeError, AttributeError):
            raise web.HTTPError(400, 'the body must be JSON: {"reason": "..."}') from None
        except CredentialsError as exc:
            raise web.HTTPError(404 if "no credential" in str(exc) else 400, str(exc)) from None
        self.write_json({"id": f"urn:uuid:{credential.id}", "revoked": True})


class StatusListHandler(Base):
    def get(self, list_id: str) -> None:
        try:
            if len(list_id) > 9:  # more lists than any server has, and too big for SQLite
                raise CredentialsError("no such status list")
            self.write_json(self.lib.status_list_credential(int(list_id)))
        except CredentialsError:
            raise web.HTTPError(404, "no such status list") from None


class AchievementHandler(Base):
    def get(self, achievement_id: str, language: str | None) -> None:
        try:
            achievement = self.lib.achievement(achievement_id)
        except CredentialsError:
            raise web.HTTPError(404, "no such achievement") from None
        if language is not None and language not in achievement.languages:
            raise web.HTTPError(404, "the achievement has no text in this language")
        self.write_json(
            achievement_document(achievement, self.lib.settings.public_url, language or "en")
        )


class AchievementImage(Base):
    def get(self, achievement_id: str) -> None:
        try:
            achievement = self.lib.achievement(achievement_id)
        except CredentialsError:
            raise web.HTTPError(404, "no such achievement") from None
        self.set_header("Content-Type", "image/svg+xml")
        self.set_header("Cache-Control", "public, max-age=86400")
        self.finish(badge_svg(achievement))


class DidDocument(Base):
    def get(self) -> None:
        if self.lib.settings.did_method != "web":
            raise web.HTTPError(404, "this issuer uses did:key")
        self.write_json(self.lib.did_document())


@web.stream_request_body
class VerifyPage(Base):
    """Public: anyone (an employer) can check a credential here.

    The body is streamed and kept only up to :data:`MAX_VERIFY_FORM` (a larger one gets a
    413 page), and verification runs in :class:`pool.VerifierPool`'s worker processes.
    """

    def check_xsrf_cookie(self) -> None:  # public, stateless form
        pass

    def prepare(self) -> None:
        self._body = bytearray()
        self._too_large = False
        if self.request.method == "POST":
            self.request.connection.set_max_body_size(MAX_DISCARDED)
            declared = self.request.headers.get("Content-Length", "0")
            self._too_large = not declared.isdigit() or int(declared) > MAX_VERIFY_FORM

    def data_received(self, chunk: bytes) -> None:
        if len(self._body) + len(chunk) > MAX_VERIFY_FORM:
            self._too_large = True
        if not self._too_large:
            self._body += chunk

    async def verify(self, document: Any) -> Verification:
        return await self.settings["verifier"].verify(document)

    def issued_by(self, result: Verification) -> str:
        if not result.valid or result.issued_by is None:
            return ""
        if result.issued_by == "ours":
            return self.t("issuer_ours", url=self.lib.settings.public_url)
        return self.t(f"issuer_{result.issued_by}", issuer=result.issuer or "")

    def recipient_answer(self, result: Verification, document: Any, candidate: str) -> str:
        """Whether ``document`` was issued to ``candidate``, within the credential's hourly
        budget (per credential only: a client address is not known for sure behind the
        hub's proxy, and headers that claim one are the client's own words)."""
        if not candidate.strip():
            return ""
        if not result.valid or result.issued_by != "ours":
            return self.t("recipient_not_ours")
        budget: Budget = self.settings["recipient_budget"]
        if not budget.take(f"credential:{result.credential_id}"):
            return self.t("recipient_budget")
        issued = self.lib.recipients.issued_to(document, candidate)
        return self.t("recipient_yes" if issued else "recipient_no")

    def our_achievement(self, result: Verification | None) -> str | None:
        """The id of this northlab's achievement a valid credential of ours is for."""
        if result is None or result.issued_by != "ours" or not result.achievement_id:
            return None
        achievement_id = result.achievement_id
        tail = achievement_id.removeprefix(f"{self.lib.settings.public_url}/achievements/")
        found = tail.split("/")[0]
        return found if tail != achievement_id and found in self.lib.achievements else None

    def show(self, result: Verification | None, text: str = "", recipient: str = "") -> None:
        detail = ""
        if result is not None and not result.valid:
            detail = result.message.split(": ", 1)[-1]
        reason = self.t(f"reason_{result.code}", detail=detail) if result else ""
        achievement_id = self.our_achievement(result)
        achievement = self.lib.achievements[achievement_id] if achievement_id else None
        self.page(
            "verify.html",
            result=result,
            reason=reason,
            issued_by=self.issued_by(result) if result else "",
            recipient=recipient,
            text=text,
            achievement=achievement,
            prefix=self.settings["prefix"],
        )

    async def get(self) -> None:
        credential_id = self.get_argument("id", None)
        if not credential_id:
            return self.show(None)
        try:
            document = self.lib.get(credential_id).document
        except CredentialsError:
            return self.show(Verification(False, "not-found", "not found"))
        text = json.dumps(document, indent=2, ensure_ascii=False)
        self.show(await self.verify(document), text)

    def _form(self) -> tuple[bytes, str]:
        """The pasted or uploaded credential and the recipient field of the form."""
        arguments: dict[str, list[bytes]] = {}
        files: dict[str, list[httputil.HTTPFile]] = {}
        httputil.parse_body_arguments(
            self.request.headers.get("Content-Type", ""),
            bytes(self._body),
            arguments,
            files,
            self.request.headers,
        )
        data = files["file"][0]["body"] if files.get("file") else arguments.get("json", [b""])[0]
        recipient = arguments.get("recipient", [b""])[0].decode("utf-8", "replace")
        return data, recipient[:320]

    async def post(self) -> None:
        if self._too_large:
            self.set_status(413)
            return self.show(Verification(False, "too-large", f"too large: {MAX_VERIFY // 1024}"))
        data, candidate = self._form()
        text = data[: MAX_VERIFY + 1].decode("utf-8", "replace")
        try:
            document = parse_untrusted_json(data, MAX_VERIFY)
        except ValueError as exc:
            problem = Verification(False, "malformed", f"malformed: {exc}")
            return self.show(problem, text[:MAX_VERIFY])
        result = await self.verify(document)
        answer = self.recipient_answer(result, document, candidate)
        self.show(result, text, answer)


def make_app(library: Credentials, *, prefix: str, hub: bool) -> web.Application:
    """The tornado application; ``hub`` = running under JupyterHub (HubOAuth available)."""
    settings: dict[str, Any] = {
        "library": library,
        "prefix": prefix,
        "hub": hub,
        "template_path": str(HERE / "templates"),
        "cookie_secret": os.urandom(32),
        "recipient_budget": Budget(RECIPIENT_CHECKS_PER_HOUR),
        "verifier": VerifierPool(library.settings),
    }
    if hub:
        settings["hub_auth"] = HubOAuth.instance(cache_max_age=60)
        settings["login_url"] = settings["hub_auth"].login_url
    routes = [
        (r"", MyCredentials),
        (r"oauth_callback", HubOAuthCallbackHandler),
        (r"api/results", ResultsAPI),
        (r"api/credentials", MyCredentialsAPI),
        (r"api/credentials/([0-9a-f-]{36})/revoke", RevokeAPI),
        (r"credentials/(?:urn:uuid:)?([0-9a-f-]{36})\.json", CredentialJSON),
        (r"credentials/([0-9a-f-]{36})/certificate\.png", CertificatePNG),
        (r"verify", VerifyPage),
        (r"status/([0-9]+)", StatusListHandler),
        (r"achievements/([a-z0-9-]+)(?:/([a-z]{2,3}))?", AchievementHandler),
        (r"achievements/([a-z0-9-]+)/image\.svg", AchievementImage),
        (r"(?:\.well-known/)?did\.json", DidDocument),
    ]
    handlers = [(prefix + pattern, handler) for pattern, handler in routes]
    handlers.append((prefix.rstrip("/"), web.RedirectHandler, {"url": prefix}))
    return web.Application(handlers, **settings)
