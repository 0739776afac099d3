"""A small HTTP client for the exchange service (standard library only).

Runs inside learners' and instructors' servers: the URL comes from
``NORTHLAB_EXCHANGE_URL`` and the token from the server's ``JUPYTERHUB_API_TOKEN``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import quote, urlencode


class ServiceError(Exception):
    """The service refused or could not be reached; ``status`` is 0 when unreachable."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ExchangeClient:
    """Calls the exchange service's API as the token's owner."""

    def __init__(self, url: str, token: str, timeout: float = 60.0) -> None:
        if not url:
            raise ServiceError(0, "NORTHLAB_EXCHANGE_URL is not set: the exchange is unknown.")
        if not token:
            raise ServiceError(0, "No hub API token (JUPYTERHUB_API_TOKEN) to use the exchange.")
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
            raise ServiceError(0, f"The exchange service cannot be reached: {exc}.") from None

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
        return str(json.loads(body)["message"])
    except (ValueError, KeyError, TypeError):
        return f"The exchange service answered HTTP {status}."
