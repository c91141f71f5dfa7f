"""A real Chromium (Debian's package; no browser download) on the app: signing in, waiting for the
script, the server's memory."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from tests.support.demo import DEMO_PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AUTH_COOKIE = "bg_dashboard_auth"  # the re-login cookie


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def wait_idle(page: Any) -> None:
    """Wait until the script has finished its run."""
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=30_000)


def pick(page: Any, box: Any, option: Any, typed: str = "") -> None:
    """Open a select box or multiselect (`box`, the widget's locator), type `typed` to narrow its list,
    and click `option` (a locator). A rerun that lands between opening the list and the click closes
    it (seen in CI: the option visible, then detached until the click timed out): open it again."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect

    for attempt in range(3):
        wait_idle(page)
        box.scroll_into_view_if_needed()
        box.locator("input").click()
        if typed:
            page.keyboard.press("ControlOrMeta+A")
            page.keyboard.press("Backspace")
            page.keyboard.type(typed)
        try:
            expect(option).to_be_visible(timeout=10_000)
            option.click(timeout=5_000)
            return
        except (AssertionError, PlaywrightError):
            if attempt == 2:
                raise
            page.keyboard.press("Escape")


def download(page: Any, button: Any, timeout: float = 20_000) -> Any:
    """Click a download button (its accessible name, or a locator) and return Playwright's Download;
    click again if the click was dropped (a click while the script reruns can be lost by Streamlit's
    frontend)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(3):
        wait_idle(page)
        target = page.get_by_role("button", name=button) if isinstance(button, str) else button
        try:
            with page.expect_download(timeout=timeout) as info:
                target.click()
            return info.value
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def download_bytes(page: Any, button: Any, timeout: float = 20_000) -> bytes:
    """The file a download button gives (see `download`)."""
    return Path(download(page, button, timeout).path()).read_bytes()


def wait_settled(page: Any) -> None:
    """Wait until the sign-in page has settled: its cookie component (an iframe) loads after the first
    run and reruns the script once; a click that lands in that rerun is lost (measured: about one
    sign-in in seven, on this app before and after the layout change)."""
    wait_idle(page)
    page.wait_for_selector("iframe", state="attached", timeout=30_000)
    page.wait_for_timeout(800)
    wait_idle(page)


def sign_in(page: Any, base: str, username: str, password: str = DEMO_PASSWORD, path: str = "/") -> None:
    """Open the app and sign in through the form."""
    from playwright.sync_api import expect

    page.goto(base + path)
    expect(page.get_by_label("Tên đăng nhập")).to_be_visible(timeout=30_000)
    signed_in = page.get_by_text(f"({username})")
    for _attempt in range(3):
        wait_settled(page)  # the first run of a new server process can redraw the form once
        page.get_by_label("Tên đăng nhập").fill(username)
        page.get_by_label("Mật khẩu").fill(password)
        page.get_by_role("button", name="Đăng nhập").click()
        try:
            expect(signed_in).to_be_visible(timeout=20_000)
            break
        except AssertionError:
            # A click during a rerun can be dropped by Streamlit's frontend (seen under load): the
            # form is still there, untouched; submit it again.
            if not page.get_by_label("Tên đăng nhập").is_visible():
                break  # the sign-in went through, only slowly
    expect(signed_in).to_be_visible(timeout=30_000)
    # The re-login cookie is set by the server when the page's one-pixel image is fetched;
    # wait for it, so that later steps (a reload, a second tab) find a browser that stays signed in.
    deadline = time.monotonic() + 30  # 15 s was once not enough on a loaded 2-core machine
    while not any(c["name"] == AUTH_COOKIE for c in page.context.cookies()):
        if time.monotonic() > deadline:
            raise AssertionError("the re-login cookie was never stored")
        page.wait_for_timeout(100)
    page.wait_for_timeout(300)
    wait_idle(page)
