"""Run the exchange service: ``python -m hub.services.exchange --help``.

Started by JupyterHub as a managed service (local and kubernetes modes) or in its own
container (docker mode). It reads JupyterHub's service variables: JUPYTERHUB_API_TOKEN,
JUPYTERHUB_API_URL, JUPYTERHUB_SERVICE_URL (where to listen) and
JUPYTERHUB_SERVICE_PREFIX.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from urllib.parse import urlparse

from jupyterhub.services.auth import HubAuth
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop

from hub.services.exchange.app import HUB_CACHE_SECONDS, make_app
from hub.services.exchange.archive import MAX_BYTES
from hub.services.exchange.store import Store

SERVICE_NAME = "exchange"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hub.services.exchange",
        description="nbgrader exchange service for JupyterHub (releases, submissions, feedback).",
    )
    parser.add_argument(
        "--store",
        type=Path,
        default=Path(os.environ.get("NORTHLAB_EXCHANGE_STORE", "exchange-service")),
        help="folder holding the exchange's files (default: $NORTHLAB_EXCHANGE_STORE)",
    )
    parser.add_argument(
        "--max-bytes", type=int, default=MAX_BYTES, help="largest archive accepted (bytes)"
    )
    args = parser.parse_args(argv)
    missing = [v for v in ("JUPYTERHUB_API_TOKEN", "JUPYTERHUB_SERVICE_URL") if v not in os.environ]
    if missing:
        print(
            f"exchange: error: {', '.join(missing)} not set; run it as a JupyterHub service.",
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(level=logging.INFO, format="[exchange %(levelname)s] %(message)s")
    url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", f"/services/{SERVICE_NAME}/")
    hub_auth = HubAuth(
        access_scopes={f"access:services!service={SERVICE_NAME}"},
        cache_max_age=HUB_CACHE_SECONDS,
    )
    app = make_app(Store(args.store, args.max_bytes), hub_auth, prefix)
    server = HTTPServer(app, max_body_size=args.max_bytes + 1024 * 1024, xheaders=True)
    server.listen(url.port or 80, url.hostname)
    logging.info("listening on %s%s, store %s", url.geturl().rstrip("/"), prefix, args.store)
    IOLoop.current().start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
