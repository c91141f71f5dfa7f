"""An upload over the configured size is refused in the page, and the server's memory stays put."""

import pytest
from playwright.sync_api import expect

from tests.support.browser import rss_mb, sign_in, wait_idle

pytestmark = pytest.mark.browser
TASKS = "/nhiem-vu?ngay=2026-11-29"


def test_an_upload_over_five_megabytes_is_refused_without_growing_the_server(browser, app_server, tmp_path):
    base = app_server()
    pid = app_server.pid_of(base)
    page = browser.new_page()
    sign_in(page, base, "dp.lucngan", path=TASKS)
    page.get_by_text("Nhập cập nhật từ tệp Excel").click()
    uploader = page.locator("[data-testid='stFileUploaderDropzoneInput']")
    expect(uploader).to_be_attached(timeout=30_000)
    wait_idle(page)
    before = rss_mb(pid)
    big = tmp_path / "cap-nhat.xlsx"
    big.write_bytes(b"PK\x03\x04" + b"\0" * (12 * 1024 * 1024))  # 12 MB, over the 5 MB limit
    uploader.set_input_files(str(big))
    expect(page.get_by_text("5.0MB")).to_be_visible(timeout=30_000)  # Streamlit's own refusal
    # Nothing reached the server's import: neither its preview nor its own size refusal.
    expect(page.get_by_text("dòng trong tệp")).to_have_count(0)
    expect(page.get_by_text("Tệp lớn")).to_have_count(0)
    wait_idle(page)
    grown = rss_mb(pid) - before
    print(f"server memory: {before:.0f} MB before, {grown:+.1f} MB after a 12 MB upload attempt")
    assert grown < 20
    page.close()
