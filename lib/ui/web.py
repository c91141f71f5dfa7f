"""The web server around the Streamlit app (`python -m lib.serve` runs it): what it answers and to whom.

Streamlit's own server serves the page, its WebSocket, uploads and components. Around it:
- every response carries the security headers (no framing by other sites, a content policy,
  no MIME sniffing, no referrer to other sites; HSTS behind TLS);
- files are accepted only from browser sessions the app admitted (signed-in editors, lib/ui/uploads.py);
- Streamlit's metrics answer only on the machine itself;
- /auth/cookie and /auth/forget set and remove the re-login cookie from the server, HttpOnly and
  SameSite=Strict (Secure behind TLS), so no script of the page can read it.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import ipaddress
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from lib.core import config, security
from lib.data import accounts
from lib.data.db import DatabaseError, transaction
from lib.ui import uploads

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_log = logging.getLogger("dashboard.web")


def _inline_script_hashes() -> str:
    """The inline scripts of Streamlit's page and of the library component the sign-in draws, as CSP
    hashes: computed from the installed packages, so an upgrade that changes them stays allowed."""
    # Found, not imported: importing a component package declares its components, which must wait
    # for Streamlit's runtime.
    library = importlib.util.find_spec("extra_streamlit_components")
    assert library is not None and library.origin is not None
    cookie_manager = Path(library.origin).parent / "CookieManager" / "frontend" / "build"
    pages = (Path(st.__file__).parent / "static" / "index.html", cookie_manager / "index.html")
    hashes = []
    for page in pages:
        for script in re.findall(
            r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", page.read_text("utf-8"), re.S
        ):
            digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
            hashes.append(f"'sha256-{digest}'")
    return " ".join(hashes)


# What the page may load and where from: everything from this server, nothing else; scripts only
# from files, but for the inline scripts named by their hashes. Streamlit styles elements inline;
# its components and the re-login image are served by this server.
CONTENT_POLICY = (
    "default-src 'self'; "
    f"script-src 'self' {_inline_script_hashes()}; "
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; "
    "font-src 'self' data:; "
    "connect-src 'self'; "
    "frame-src 'self'; "
    "worker-src 'self' blob:; "
    "object-src 'none'; "
    "base-uri 'self'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
HSTS = "max-age=31536000"
# Streamlit's components are pages of this site framed by the app itself.
_FRAMED_BY_THE_APP = re.compile(r"^/(component|_stcore/bidi-components)/")
_UPLOAD = re.compile(r"^/_stcore/upload_file/(?P<session>[^/]+)/[^/]+$")
_INTERNAL = frozenset({"/_stcore/metrics"})
# A transparent GIF of one pixel: what the invisible image of the cookie routes shows.
_PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _is_loopback(scope: Scope) -> bool:
    client = scope.get("client")
    try:
        address = ipaddress.ip_address(client[0]) if client is not None else None
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # a dual-stack socket reports 127.0.0.1 as ::ffff:127.0.0.1
    return address is not None and address.is_loopback


def security_headers(path: str, https: bool) -> dict[str, str]:
    """The headers every response carries (components may be framed by the app itself)."""
    headers = dict(SECURITY_HEADERS)
    if _FRAMED_BY_THE_APP.match(path):
        headers["Content-Security-Policy"] = CONTENT_POLICY.replace(
            "frame-ancestors 'none'", "frame-ancestors 'self'"
        )
        headers["X-Frame-Options"] = "SAMEORIGIN"
    if https:
        headers["Strict-Transport-Security"] = HSTS
    return headers


class Boundary:
    """ASGI middleware: refuse what is not for this client, and add the security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        refusal: tuple[int, str] | None = None
        if path in _INTERNAL and not _is_loopback(scope):
            refusal = (404, "Not Found")
        elif scope["method"] in ("PUT", "POST") and (upload := _UPLOAD.match(path)):
            refusal = uploads.GATE.refusal(upload["session"])  # before a byte of the file is read
        headers = security_headers(path, scope.get("scheme") == "https")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                for name, value in headers.items():
                    out[name] = value
            await send(message)

        if refusal is not None:
            status, reason = refusal
            if path not in _INTERNAL:
                _log.warning("upload refused (%s): %s", status, scope.get("client"))
            await PlainTextResponse(reason, status_code=status)(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)


def _cookie_attributes(request: Request, max_age: int) -> dict[str, Any]:
    return {
        "max_age": max_age,
        "path": "/",
        "httponly": True,
        "samesite": "strict",
        "secure": request.url.scheme == "https",
    }


def _pixel() -> Response:
    return Response(_PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store"})


def _from_this_site(request: Request) -> bool:
    """Tell whether a request comes from a page of this site (an image it shows), not another site.

    Browsers say so in Sec-Fetch-Site; a link or image on another site (a navigation to
    /auth/cookie?code=<the attacker's own code> would sign the victim in as the attacker) says
    "cross-site" and is refused.
    """
    site = request.headers.get("sec-fetch-site")
    return site is None or site == "same-origin"


async def set_cookie(request: Request) -> Response:
    """Exchange the page's one-time code for the re-login cookie (and a device cookie)."""
    code = request.query_params.get("code", "")
    device = request.cookies.get(security.DEVICE_COOKIE_NAME)
    if not _from_this_site(request):
        return PlainTextResponse("Chỉ trang của chính hệ thống mới dùng được địa chỉ này.", status_code=403)
    if not code or len(code) > 100:
        return PlainTextResponse("Mã không hợp lệ.", status_code=400)
    settings = config.load_settings()

    def deliver() -> accounts.Cookies | None:
        # Imported here: the app's modules load once Streamlit's runtime exists (caches, components).
        from lib.ui.loaders import get_engine

        engine = get_engine(settings.database_url)
        with transaction(engine) as s:  # a read first: a made-up code never takes the write lock
            if not accounts.has_cookie_code(s, code, config.now()):
                return None
        with transaction(engine, write=True) as s:
            return accounts.deliver_cookies(s, code, device, config.now(), settings.cookie_key)

    try:
        cookies = await run_in_threadpool(deliver)
    except DatabaseError:
        return PlainTextResponse("Cơ sở dữ liệu tạm thời không dùng được.", status_code=503)
    if cookies is None:
        return PlainTextResponse("Mã đã dùng hoặc đã hết hạn.", status_code=404)
    now = config.now()
    response = _pixel()
    lifetime = int((cookies.session_expires_at - now).total_seconds())
    response.set_cookie(security.COOKIE_NAME, cookies.session_token, **_cookie_attributes(request, lifetime))
    if cookies.device_token is not None:
        lasting = int((cookies.device_expires_at - now).total_seconds())
        response.set_cookie(
            security.DEVICE_COOKIE_NAME, cookies.device_token, **_cookie_attributes(request, lasting)
        )
    return response


async def forget_cookie(request: Request) -> Response:
    """Remove the re-login cookie (a dead, forged or signed-out one) for a page of this site."""
    if not _from_this_site(request):
        return PlainTextResponse("Chỉ trang của chính hệ thống mới dùng được địa chỉ này.", status_code=403)
    response = _pixel()
    response.delete_cookie(security.COOKIE_NAME, path="/", httponly=True, samesite="strict")
    return response


app = st.App(
    config.PROJECT_ROOT / "app.py",
    routes=[
        Route(security.COOKIE_ROUTE, set_cookie, methods=["GET"]),
        Route(security.FORGET_ROUTE, forget_cookie, methods=["GET"]),
    ],
    middleware=[Middleware(Boundary)],
)
