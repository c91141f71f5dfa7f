"""Leadership's journey in Chromium: open the overview, filter to one locality, reload."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lib.core import rules
from lib.core.formatting import fmt_int
from lib.data.db import make_engine, transaction
from lib.data.models import Locality, Task
from tests.support.browser import sign_in, wait_idle
from tests.support.demo import AS_OF

pytestmark = pytest.mark.browser


def _total_tasks(db_file, locality):
    with transaction(make_engine(f"sqlite:///{db_file}")) as s:
        rows = s.execute(
            select(Task.state, Task.current_deadline, Task.completed_on)
            .join(Locality)
            .where(Locality.code == locality)
        ).all()
    return rules.summarize(rules.task_bucket(*r, AS_OF) for r in rows).total


def _metric(page, label):
    return page.locator("[data-testid='stMetric']", has_text=label).locator("[data-testid='stMetricValue']")


def test_filter_to_one_locality_survives_a_reload(browser, app_server, demo_sqlite_file):
    base = app_server()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    sign_in(page, base, "lanhdao", path=f"/?ngay={AS_OF.isoformat()}")
    expect(page.get_by_text("Số liệu tính đến ngày 29/11/2026")).to_be_visible(timeout=30_000)
    wait_idle(page)

    page.locator(".st-key-overview_f_loc").get_by_role("combobox").click()
    page.get_by_role("option", name="Huyện Lục Ngạn").click()
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(r"dia_ban=luc-ngan"), timeout=30_000)
    expected = fmt_int(_total_tasks(demo_sqlite_file, "luc-ngan"))
    expect(_metric(page, "Tổng số nhiệm vụ")).to_have_text(expected, timeout=30_000)

    page.reload()  # the re-login cookie signs the user back in
    expect(page.get_by_text("Số liệu tính đến ngày 29/11/2026")).to_be_visible(timeout=30_000)
    wait_idle(page)
    assert "dia_ban=luc-ngan" in page.url
    expect(page.locator(".st-key-overview_f_loc")).to_contain_text("Huyện Lục Ngạn")
    expect(_metric(page, "Tổng số nhiệm vụ")).to_have_text(expected)
    page.screenshot(path=str(demo_sqlite_file.parent / "overview-luc-ngan.png"), full_page=True)
    page.close()


def test_a_shared_link_with_a_bad_date_keeps_saying_so_after_the_url_settles_and_a_reload(
    browser, app_server
):
    base = app_server()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    sign_in(page, base, "lanhdao", path="/?ngay=31/02/2025")
    warning = page.get_by_text("Ngày “31/02/2025” không hợp lệ")
    expect(warning).to_be_visible(timeout=30_000)
    wait_idle(page)
    page.wait_for_timeout(1500)  # the reruns that rewrite the URL have happened
    expect(warning).to_be_visible()
    assert "ngay=31%2F02%2F2025" in page.url or "ngay=31/02/2025" in page.url
    page.reload()
    expect(warning).to_be_visible(timeout=30_000)
