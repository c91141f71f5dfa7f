"""A reminder letter in Chromium: the office opens /qua-han, picks an addressee in "Công văn đôn đốc",
downloads the letter and opens it with python-docx, issues it, and the task's detail shows the reminder."""

import io

import pytest
from docx import Document
from playwright.sync_api import expect
from sqlalchemy import select

from lib.core.filters import Filters
from lib.data import followup
from lib.data.db import make_engine, transaction
from lib.data.models import Reminder, ReminderTask
from tests.support.browser import download_bytes, pick, sign_in, wait_idle
from tests.support.demo import AS_OF

pytestmark = pytest.mark.browser
KEY = "followup_letters"


def widget(page, key: str):
    """The widget whose key starts with `key` (the form draws its fields under new keys after an issue)."""
    return page.locator(f"[class*='st-key-{key}']").first


def test_the_office_downloads_and_issues_a_letter_and_the_task_shows_it(browser, app_server, tmp_path):
    base = app_server()
    engine = make_engine(f"sqlite:///{next(tmp_path.glob('app*.db'))}")
    with transaction(engine) as s:
        target = followup.addressees(s, Filters(), AS_OF, 30)[0]
    page = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1800}).new_page()
    sign_in(page, base, "vanphong", path=f"/qua-han?ngay={AS_OF.isoformat()}")
    wait_idle(page)
    page.get_by_role("tab", name="Công văn đôn đốc").click()
    pick(page, widget(page, f"{KEY}_to"), page.get_by_role("option").filter(has_text=target.name).first)
    page.keyboard.press("Escape")
    wait_idle(page)
    for key, value in ((f"{KEY}_number", "125/CAT-PV01"), (f"{KEY}_signer", "Nguyễn Văn An")):
        box = widget(page, key).locator("input")
        box.fill(value)
        box.press("Enter")
        wait_idle(page)
    expect(page.get_by_role("button", name="Tải công văn (.docx)")).to_be_visible(timeout=30_000)

    letter = Document(io.BytesIO(download_bytes(page, "Tải công văn (.docx)")))
    paragraphs = [p.text for p in letter.paragraphs]
    assert f"Kính gửi: {target.name}" in paragraphs
    cells = [p.text for t in letter.tables for row in t.rows for c in row.cells for p in c.paragraphs]
    assert "Số: 125/CAT-PV01" in cells and "Nguyễn Văn An" in cells
    assert [row.cells[1].text for row in letter.tables[1].rows[1:]] == [t.title for t in target.tasks]

    wait_idle(page)
    page.get_by_role("button", name="Phát hành công văn").click()
    expect(page.get_by_text("Đã phát hành 1 công văn đôn đốc: 125/CAT-PV01", exact=False)).to_be_visible(
        timeout=30_000
    )
    # The form starts again for the next letter: no addressee, no number (each number is used once).
    wait_idle(page)
    expect(widget(page, f"{KEY}_number").locator("input")).to_have_value("", timeout=10_000)
    expect(widget(page, f"{KEY}_to").locator("[data-baseweb='tag']")).to_have_count(0)
    expect(widget(page, f"{KEY}_signer").locator("input")).to_have_value("Nguyễn Văn An")
    with transaction(engine) as s:
        stored = s.scalars(select(Reminder)).one()
        named = set(s.scalars(select(ReminderTask.task_id)))
    assert (stored.number, stored.signer, stored.agency_id) == (
        "125/CAT-PV01",
        "Nguyễn Văn An",
        target.agency_id,
    )
    assert named == {t.task_id for t in target.tasks}

    task = target.tasks[0].task_id
    page.goto(f"{base}/nhiem-vu?ngay={AS_OF.isoformat()}&ma={task}")
    expect(page.get_by_text("Đã đôn đốc 1 lần, ngày 29/11/2026.")).to_be_visible(timeout=30_000)
    engine.dispose()
