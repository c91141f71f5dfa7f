"""Talk to a running Streamlit server as a browser's page would, without a browser: open a session
over its WebSocket (Streamlit's own protobuf messages) and send files to its upload endpoint."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import urllib.parse
import urllib.request
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import Message
from typing import Any

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

INSECURE = ssl.create_default_context()
INSECURE.check_hostname = False
INSECURE.verify_mode = ssl.CERT_NONE  # the tests' own self-signed certificate


@dataclass(frozen=True)
class Answer:
    """An HTTP answer, read and closed."""

    status: int
    headers: Message
    body: bytes


@dataclass
class Session:
    base: str
    session_id: str
    xsrf: str
    cookies: dict[str, str]

    def upload(self, data: bytes, name: str = "tep.xlsx", path: str = "/_stcore/upload_file") -> int:
        """PUT one file as Streamlit's uploader does; return the HTTP status.

        The request asks to continue (Expect: 100-continue) before the body is sent, so a server
        that refuses at once answers with its status instead of resetting a half-sent upload.
        """
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        cookies = {**self.cookies, "_streamlit_xsrf": self.xsrf}
        url = urllib.parse.urlsplit(f"{self.base}{path}/{self.session_id}/{uuid.uuid4()}")
        head = (
            f"PUT {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
            f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n"
            f"X-Xsrftoken: {self.xsrf}\r\n"
            f"Cookie: {'; '.join(f'{k}={v}' for k, v in cookies.items())}\r\n\r\n"
        ).encode()
        raw = socket.create_connection((url.hostname, url.port or 80), timeout=60)
        secure = url.scheme == "https"
        with INSECURE.wrap_socket(raw, server_hostname=url.hostname) if secure else raw as sock:
            sock.sendall(head)
            with sock.makefile("rb") as reader:
                status = int(reader.readline().split()[1])
                if status != 100:
                    return status
                while reader.readline().strip():  # the rest of the interim response
                    pass
                sock.sendall(body)
                return int(reader.readline().split()[1])


def _xsrf_cookie(base: str) -> str:
    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=10, context=INSECURE) as response:
        for header in response.headers.get_all("set-cookie") or []:
            if header.startswith("_streamlit_xsrf="):
                return header.split(";")[0].split("=", 1)[1]
    raise AssertionError("the server set no XSRF cookie")


@contextlib.asynccontextmanager
async def session(base: str, cookies: dict[str, str] | None = None) -> AsyncIterator[Session]:
    """Open a Streamlit session (run the app once) and keep it open for the block."""
    xsrf = _xsrf_cookie(base)
    jar = {**(cookies or {}), "_streamlit_xsrf": xsrf}
    ws_url = base.replace("http", "ws", 1) + "/_stcore/stream"
    async with websockets.connect(
        ws_url,
        origin=base,  # type: ignore[arg-type]
        additional_headers={"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())},
        subprotocols=["streamlit", xsrf],  # type: ignore[list-item]
        ssl=INSECURE if base.startswith("https") else None,
        max_size=None,
    ) as ws:
        rerun = BackMsg()
        rerun.rerun_script.query_string = ""
        await ws.send(rerun.SerializeToString())
        while True:
            message = ForwardMsg()
            message.ParseFromString(await asyncio.wait_for(ws.recv(), 30))
            if message.WhichOneof("type") == "new_session":
                break
        yield Session(base, message.new_session.initialize.session_id, xsrf, dict(cookies or {}))


def run(coroutine: Any) -> Any:
    """Run a coroutine to its end on a thread of its own (Playwright's sync API holds this thread's loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
