"""Run code in a real kernel of a real single-user server, through the hub's proxy."""

from __future__ import annotations

import asyncio
import json
import uuid

import requests
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect


def start_kernel(server_url: str, token: str, name: str | None = None) -> str:
    """Start a kernel on ``server_url`` (``.../user/<name>/``); returns its id."""
    body = {"name": name} if name else {}
    response = requests.post(
        f"{server_url}api/kernels", json=body, headers={"Authorization": f"token {token}"},
        timeout=60,
    )
    response.raise_for_status()
    return response.json()["id"]


def execute(server_url: str, token: str, kernel_id: str, code: str, timeout: float = 60) -> str:
    """Execute ``code``; return its stdout, raise AssertionError with the traceback on error."""
    return asyncio.run(_execute(server_url, token, kernel_id, code, timeout))


async def _execute(server_url: str, token: str, kernel_id: str, code: str, timeout: float) -> str:
    ws_url = server_url.replace("http", "ws", 1) + f"api/kernels/{kernel_id}/channels"
    request = HTTPRequest(ws_url, headers={"Authorization": f"token {token}"})
    connection = await websocket_connect(request)
    msg_id = uuid.uuid4().hex
    connection.write_message(json.dumps({
        "channel": "shell",
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test",
                   "session": uuid.uuid4().hex, "version": "5.3"},
        "parent_header": {}, "metadata": {}, "buffers": [],
        "content": {"code": code, "silent": False, "store_history": False,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
    }))
    out: list[str] = []
    try:
        while True:
            raw = await asyncio.wait_for(connection.read_message(), timeout)
            if raw is None:
                raise AssertionError("kernel websocket closed")
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["header"]["msg_type"]
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                raise AssertionError("\n".join(msg["content"]["traceback"]))
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                return "".join(out)
    finally:
        connection.close()
