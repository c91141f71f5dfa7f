"""The tasks page's data editor in Chromium: its columns, moving to a cell, reading a cell, the first
row, the save button.

Column indexes come from the catalogue, never typed: an editable grid puts the columns the user may
edit right after the task's title (`TASK.grid_for(role)`), a read-only one keeps `TASK.grid_columns`.
The grid (Glide) draws only the columns in view, in the page and in its accessible table: a cell
scrolled out of view is simply not in the DOM, so reading one is done with a short timeout and
"not there" is an answer, not a 30-second wait.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from lib.core.catalogue import TASK
from lib.core.roles import DIEU_PHOI, VAN_PHONG
from tests.support.browser import wait_idle

TASKS = "/nhiem-vu?ngay=2026-11-29"
EDITOR = ".st-key-tasks_editor"
ROLES = {"vanphong": VAN_PHONG, "admin": VAN_PHONG}  # demo users other than coordinators, by role
READ_ONLY_COLUMNS = TASK.grid_columns  # a reader's table (lanhdao, xem)
READ_TIMEOUT_MS = 3_000  # a cell in view is drawn at once; one out of view never is


def editor_columns(username: str) -> tuple[str, ...]:
    """The columns of the tasks editor as this demo user sees them, in order."""
    return TASK.grid_for(ROLES.get(username, DIEU_PHOI))


def column_index(username: str, name: str) -> int:
    """The index of a column in this demo user's tasks editor."""
    return editor_columns(username).index(name)


def go_to_cell(page: Any, row: int, column: int) -> Any:
    """Select a cell of the editor with the keyboard and check that the grid selected that very cell
    (and so scrolled it into view): click the row, go back to its first column, move right. After an
    edit the grid redraws, and a click or a key press during that can be lost: then try again.
    Return the editor."""
    editor = page.locator(EDITOR)
    expect(editor).to_be_visible(timeout=30_000)
    focused = editor.locator("td:focus")
    width = len(TASK.grid_columns)
    for attempt in range(3):
        wait_idle(page)
        box = editor.bounding_box()
        page.mouse.click(box["x"] + 15, box["y"] + 35 * (row + 1) + 17)
        expect(focused).to_have_count(1, timeout=10_000)
        for key in ["ArrowLeft"] * width + ["ArrowRight"] * column:
            page.keyboard.press(key)
        try:
            expect(focused).to_have_attribute("data-testid", f"glide-cell-{column}-{row}", timeout=5_000)
            return editor
        except AssertionError:
            if attempt == 2:
                raise
    return editor


def read_cell(page: Any, row: int, column: int, timeout_ms: int = READ_TIMEOUT_MS) -> str | None:
    """The text of an editor cell, or None when the grid has not drawn it (out of view)."""
    cell = page.locator(f"{EDITOR} [data-testid='glide-cell-{column}-{row}']")
    try:
        expect(cell).to_be_attached(timeout=timeout_ms)
        return str(cell.inner_text(timeout=timeout_ms))
    except (AssertionError, PlaywrightTimeout):  # not drawn, or scrolled away while being read
        return None


def cell_text(page: Any, row: int, column: int) -> str:
    """Read an editor cell, scrolling it into view by selecting it if the grid has not drawn it."""
    text = read_cell(page, row, column)
    for attempt in range(3):
        if text is not None:
            return text
        go_to_cell(page, row, column)
        page.keyboard.press("Escape")  # leave the cell selected, closed
        text = read_cell(page, row, column)
        if text is None and attempt < 2:
            page.wait_for_timeout(500)
    raise AssertionError(f"the grid never drew the cell of row {row}, column {column}")


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
    editor = page.locator(EDITOR)
    cell = editor.locator("[data-testid='glide-cell-0-0']")
    expect(cell).to_be_attached(timeout=30_000)
    return int(cell.inner_text())
