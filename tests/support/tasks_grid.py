"""The tasks page's data editor in Chromium: its columns, its first row, the save button."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from lib.core.catalogue import TASK
from tests.support.browser import wait_idle

TASKS = "/nhiem-vu?ngay=2026-11-29"
# The editor's columns as pages/tasks.py draws them, up to the notes: those the 1600-px window shows
# (a grid draws only the cells in view).
COLUMNS = TASK.grid_columns[: TASK.grid_columns.index("notes") + 1]
NOTES = COLUMNS.index("notes")


def click_save(page: Any) -> None:
    """Click "Lưu" and wait for its outcome; click again if the click was dropped.

    Let the grid finish reporting the edit first (it sends its value once more after losing
    focus): a click on Lưu during that rerun can be dropped by the browser side of Streamlit,
    more often on a loaded machine. A dropped click leaves the page as it was, so it is safe to
    click again; a click that went through shows the saved state, a conflict or an error.
    """
    outcome = (
        page.get_by_text("Không có thay đổi chưa lưu.")
        .or_(page.get_by_text("đã được người khác thay đổi"))
        .or_(page.locator("[data-testid='stAlertContentError']"))
    )
    for attempt in range(3):
        page.wait_for_timeout(1000)
        wait_idle(page)
        page.get_by_role("button", name="Lưu", exact=True).click()
        try:
            expect(outcome.first).to_be_visible(timeout=15_000)
            return
        except AssertionError:
            if attempt == 2:
                raise


def first_row_id(page: Any) -> int:
    """Read the id of the first row from the grid's accessible cells (no click: a second click on a
    selected read-only cell opens its overlay and keeps the keyboard from moving)."""
    editor = page.locator(".st-key-tasks_editor")
    cell = editor.locator("[data-testid='glide-cell-0-0']")
    expect(cell).to_be_attached(timeout=30_000)
    return int(cell.inner_text())
