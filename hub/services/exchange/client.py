"""A small HTTP client for the exchange service (standard library only).

Runs inside learners' and instructors' servers: the URL comes from
``NORTHLAB_EXCHANGE_URL`` and the token from the server's ``JUPYTERHUB_API_TOKEN``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import quote, urlencode

from hub.services.exchange.messages import one_line, translate


class ServiceError(Exception):
    """The service refused or could not be reached; ``status`` is 0 when unreachable.
    The message holds every language (``English / Français``)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _local(status: int, message_id: str, **values: object) -> ServiceError:
    return ServiceError(status, one_line(translate(message_id, **values)))


class ExchangeClient:
    """Calls the exchange service's API as the token's owner."""

    def __init__(self, url: str, token: str, timeout: float = 60.0) -> None:
        if not url:
            raise _local(0, "client.no_url")
        if not token:
            raise _local(0, "client.no_token")
        self.base = url.rstrip("/") + "/api/"
        self.token = token
        self.timeout = timeout

    def request(
        self,
        method: str,
        path: tuple[str, ...],
        params: dict[str, str] | None = None,
        body: bytes | None = None,
        content_type: str = "application/octet-stream",
    ) -> bytes:
        """Send one request; returns the body or raises :class:`ServiceError`."""
        url = self.base + "/".join(quote(part, safe="") for part in path)
        query = {k: v for k, v in (params or {}).items() if v}
        if query:
            url += "?" + urlencode(query)
        request = urllib.request.Request(url, data=body, method=method)
        request.add_header("Authorization", f"token {self.token}")
        if body is not None:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            raise ServiceError(exc.code, _message(exc.read(), exc.code)) from None
        except (urllib.error.URLError, OSError) as exc:
            raise _local(0, "client.unreachable", reason=exc) from None

    def json(
        self,
        method: str,
        *path: str,
        params: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> object:
        return json.loads(self.request(method, path, params, body) or b"null")


def _message(body: bytes, status: int) -> str:
    try:
        answer = json.loads(body)
        return one_line(answer["messages"]) or str(answer["message"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return one_line(translate("client.http_status", status=status))
