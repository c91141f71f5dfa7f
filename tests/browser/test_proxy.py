"""The deployment of the README for real: HAProxy (Debian's package) with deploy/haproxy.cfg in front
of `python -m lib.serve`. TLS, headers, internal endpoints, uploads, and a coordinator's journey."""

import asyncio
import io
import os
import time
import urllib.error
import urllib.request
from pathlib import Path

import jwt
import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from lib.core.security import generate_cookie_key
from tests.support.browser import rss_mb, sign_in, wait_idle
from tests.support.proxy import haproxy_installed, running_proxy
from tests.support.streamlit_client import INSECURE, Answer, run, session

pytestmark = pytest.mark.browser
KEY = generate_cookie_key()
FILE = os.urandom(int(4.9 * 1024 * 1024))


@pytest.fixture
def proxied(app_server, tmp_path: Path):
    """One app replica behind HAProxy; returns (https base, http base, app base)."""
    if not haproxy_installed():
        if os.environ.get("CI"):
            pytest.fail("HAProxy not found: .ci/run installs Debian's haproxy package")
        pytest.skip("HAProxy not installed (apt-get install haproxy)")
    app = app_server(AUTH_COOKIE_KEY=KEY)
    with running_proxy([app.removeprefix("http://")], KEY, tmp_path) as proxy:
        yield proxy.https, proxy.http, app


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def _get(url: str) -> Answer:
    opener = urllib.request.build_opener(_NoRedirect, urllib.request.HTTPSHandler(context=INSECURE))
    try:
        with opener.open(url, timeout=10) as response:
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return Answer(exc.code, exc.headers, exc.read())


def test_the_proxy_serves_tls_with_the_headers_and_keeps_internal_endpoints_internal(proxied):
    https, http, _app = proxied
    for response in (_get(f"{https}/nhiem-vu"), _get(f"{https}/_stcore/metrics")):  # app's and proxy's own
        headers = response.headers
        assert headers["Strict-Transport-Security"] == "max-age=31536000"
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert _get(f"{https}/_stcore/metrics").status == 404
    assert _get(f"{https}/_stcore/%6detrics").status == 404  # decoded as the app decodes it
    config = _get(f"{https}/_stcore/host-config")
    assert config.status == 200 and b'"allowedOrigins":[]' in config.body
    redirect = _get(f"{http}/nhiem-vu")
    assert redirect.status == 301 and redirect.headers["Location"].startswith("https://")


def test_the_proxy_refuses_uploads_without_a_cookie_the_app_issued_and_limits_the_rest(proxied, app_server):
    https, _http, app = proxied
    pid = app_server.pid_of(app)
    expired = jwt.encode({"sid": "x", "exp": int(time.time()) - 60}, KEY, algorithm="HS256")
    forged = jwt.encode({"sid": "x", "exp": int(time.time()) + 3600}, "another key" * 4, algorithm="HS256")

    async def attempts():
        results = {}
        for name, cookies in (
            ("none", {}),
            ("forged", {"bg_dashboard_auth": forged}),
            ("expired", {"bg_dashboard_auth": expired}),
        ):
            async with session(https, cookies) as visitor:
                results[name] = visitor.upload(b"PK")
        async with session(https) as visitor:
            results["encoded"] = visitor.upload(b"PK", path="/_stcore/upload%5Ffile")
        async with session(https) as visitor:
            await asyncio.sleep(2)  # the app's first run (libraries, caches) has settled
            before = rss_mb(pid)
            results["flood"] = [visitor.upload(FILE) for _ in range(20)]
            results["rss"] = rss_mb(pid) - before
        return results

    results = run(attempts())
    assert (results["none"], results["forged"], results["expired"]) == (403, 403, 403)
    assert results["encoded"] == 403  # /_stcore/upload%5Ffile/… is the same path to the app
    assert set(results["flood"]) <= {403, 429} and 429 in results["flood"]  # more than 20 a minute
    print(f"20 uploads of 4.9 MB through the proxy without signing in: app RSS +{results['rss']:.1f} MB")
    assert results["rss"] < 15


def test_a_coordinator_signs_in_and_imports_a_file_through_the_proxy(proxied, browser):
    https, _http, _app = proxied
    context = browser.new_context(ignore_https_errors=True, accept_downloads=True)
    page = context.new_page()
    try:
        sign_in(page, https, "dp.vietyen", path="/nhiem-vu")
        cookies = {c["name"]: c for c in context.cookies()}
        for name in ("bg_dashboard_auth", "bg_dashboard_device", "BGREPLICA"):
            assert cookies[name]["secure"] and cookies[name]["httpOnly"], name
        assert cookies["_streamlit_xsrf"]["secure"]  # Streamlit's own, made Secure by the proxy
        with page.expect_download(timeout=30_000) as download:
            page.get_by_role("button", name="Tải Excel").first.click()
        data = Path(download.value.path()).read_bytes()
        assert load_workbook(io.BytesIO(data)).worksheets[0].cell(5, 1).value  # the tasks
        wait_idle(page)
        page.get_by_text("Nhập cập nhật từ tệp Excel").click()
        page.locator("input[type=file]").set_input_files(
            files=[{"name": "nhiem-vu.xlsx", "mimeType": "application/octet-stream", "buffer": data}]
        )
        expect(page.get_by_text("Tệp không có thay đổi nào so với dữ liệu hiện tại")).to_be_visible(
            timeout=30_000
        )
    finally:
        context.close()
