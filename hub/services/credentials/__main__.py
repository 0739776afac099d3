"""Start the credential service: ``python -m hub.services.credentials``.

Reads JUPYTERHUB_SERVICE_URL / JUPYTERHUB_SERVICE_PREFIX / JUPYTERHUB_API_URL (given by the
hub, see hub/services/credentials/__init__.py) and the northlab settings (settings.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from urllib.parse import urlparse

from hub.services import lifeline
from hub.services.credentials.app import MAX_BODY, make_app
from hub.services.credentials.contexts import ContextsMissing
from hub.services.credentials.service import Credentials
from hub.services.credentials.settings import load_settings


async def serve() -> None:
    logging.basicConfig(level=logging.INFO, format="[credentials %(levelname)s] %(message)s")
    url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10101"))
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/credentials/")
    library = Credentials(load_settings())
    with library.sessions() as session:  # the signing key exists from first start
        library.keys.active(session)
        session.commit()
    app = make_app(library, prefix=prefix, hub=bool(os.environ.get("JUPYTERHUB_API_URL")))
    # The body limits belong to the HTTPServer (tornado ignores them in app settings); no
    # xheaders: a client address taken from X-Real-Ip would be the client's own word.
    server = lifeline.listen(
        app,
        url.hostname or "127.0.0.1",
        url.port or 80,
        max_body_size=MAX_BODY,
        max_buffer_size=MAX_BODY + 64 * 1024,
    )
    logging.info("credential service on %s%s", url.geturl().rstrip("/"), prefix)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.stop()
    app.settings["verifier"].shutdown()


def main() -> int:
    try:
        asyncio.run(serve())
    except (ContextsMissing, ValueError, OSError) as exc:
        print(f"credentials: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
