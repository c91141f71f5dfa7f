"""A focal point on a phone (Chromium's mobile emulation, 390×844, touch): sign in, open the tasks
page, switch to "Cập nhật từng dòng", update one of their rows, and the database has it — saved by
the grid's engine (new version, audited), with nothing wider than the screen."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lib.data.db import make_engine, transaction
from lib.data.models import AuditEvent, Task
from tests.support.browser import AUTH_COOKIE, wait_idle, wait_settled
from tests.support.demo import AS_OF, DEMO_PASSWORD

pytestmark = pytest.mark.browser
PHONE = {  # what playwright.devices["iPhone 13"] sets, on Chromium
    "viewport": {"width": 390, "height": 844},
    "screen": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 15_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/15.0 Mobile/15E148 Safari/604.1",
}
USER = "dm.sotaichinh"


def _task(db_file, row_id):
    engine = make_engine(f"sqlite:///{db_file}")
    try:
        with transaction(engine) as s:
            row = s.get(Task, row_id)
            events = s.scalars(
                select(AuditEvent.field).where(
                    AuditEvent.entity == "task", AuditEvent.row_id == row_id, AuditEvent.actor == USER
                )
            ).all()
            return (row.progress_pct, row.obstacles, row.version, row.updated_by), sorted(events)
    finally:
        engine.dispose()


def _sign_in_on_a_phone(page, base):
    """The sign-in form, then the tasks page (the sidebar is folded away on a phone)."""
    page.goto(f"{base}/nhiem-vu?ngay={AS_OF.isoformat()}")
    expect(page.get_by_label("Tên đăng nhập")).to_be_visible(timeout=30_000)
    wait_settled(page)
    page.get_by_label("Tên đăng nhập").fill(USER)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").tap()
    expect(page.get_by_label("Tên đăng nhập")).to_be_hidden(timeout=30_000)
    for _ in range(300):  # the re-login cookie, as tests.support.browser.sign_in waits for it
        if any(c["name"] == AUTH_COOKIE for c in page.context.cookies()):
            break
        page.wait_for_timeout(100)
    wait_idle(page)


def test_a_focal_point_updates_a_row_from_a_phone(browser, app_server, tmp_path):
    base = app_server()
    db_file = next(tmp_path.glob("app*.db"))
    context = browser.new_context(**PHONE)
    page = context.new_page()
    _sign_in_on_a_phone(page, base)
    expect(page.get_by_role("heading", name="Danh sách nhiệm vụ")).to_be_visible(timeout=30_000)

    page.get_by_text("Cập nhật từng dòng").tap()
    wait_idle(page)
    picker = page.locator(".st-key-tasks_row_pick")
    expect(picker).to_be_visible(timeout=30_000)
    found = None
    for _ in range(150):  # the picker's chosen row, once the script has drawn it
        found = re.search(r"(\d+) —", picker.inner_text() + picker.inner_html())
        if found:
            break
        page.wait_for_timeout(200)
    assert found, picker.inner_html()
    row_id = int(found.group(1))
    before, _ = _task(db_file, row_id)

    progress = page.get_by_label("Tiến độ (%)")
    progress.fill("85")
    progress.press("Tab")
    page.get_by_label("Khó khăn, vướng mắc").fill("Chờ phân bổ vốn đợt 2 (cập nhật từ điện thoại)")
    save = page.get_by_role("button", name="Lưu dòng này")
    box = save.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390  # reachable on the screen
    save.tap()
    wait_idle(page)

    # The form opens the row again at its new version, saved by this user.
    expect(page.get_by_text(f"Mã {row_id} · phiên bản {before[2] + 1} · cập nhật bởi {USER}")).to_be_visible(
        timeout=30_000
    )
    saved, fields = _task(db_file, row_id)
    assert saved == (85, "Chờ phân bổ vốn đợt 2 (cập nhật từ điện thoại)", before[2] + 1, USER)
    assert fields == ["obstacles", "progress_pct"]
    # Nothing wider than the phone: no sideways scrolling of the page.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.close()
    context.close()
