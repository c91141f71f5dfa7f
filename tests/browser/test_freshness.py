"""Freshness across processes: two app servers share one PostgreSQL database.

The office marks a Lục Ngạn task completed (with a note) through the data editor on server A (a focal
point only proposes it: lib/core/requests.py). Server B,
whose caches were warmed with the old values just before, shows the new note and one more
"Đã hoàn thành" on its next rerun (a page load, as a user would do it), with no cache clearing and
no time-to-live wait: its loaders have no TTL, so only the cache keys (the versions the save raised,
`lib.data.db.Versions`) can make B fresh. Waits below are for the page to render, never for time to pass.
"""

import os
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from lib.data.db import make_engine, transaction
from lib.data.models import Task
from lib.ops.seed import seed_demo
from tests.support.browser import sign_in, wait_idle
from tests.support.demo import AS_OF
from tests.support.tasks_grid import (
    READ_ONLY_COLUMNS,
    TASKS,
    click_save,
    column_index,
    first_row_id,
    go_to_cell,
)

pytestmark = pytest.mark.browser
VIEWPORT = {"width": 4200, "height": 1000}  # every edited column visible: the grid never scrolls sideways
LUC_NGAN_TASKS = f"{TASKS}&dia_ban=luc-ngan"
OVERVIEW = f"/?ngay={AS_OF.isoformat()}"
NOTE = "Đã xong, lưu qua máy chủ A"
OFFICE = "vanphong"
STATE = column_index(OFFICE, "state")
COMPLETION = {  # column of the office's editor → what is typed (or picked) to mark a task completed
    STATE: "Hoàn thành",
    column_index(OFFICE, "progress_pct"): "100",
    column_index(OFFICE, "completed_on"): "2026-11-20",
    column_index(OFFICE, "result_doc"): "999/BC-UBND",
    column_index(OFFICE, "notes"): NOTE,
}
READ = ("bucket", "state", "notes")  # what the leader's read-only table is read for


@pytest.fixture
def shared_database(make_database):
    """A fresh PostgreSQL database holding the demo content (dropped at the end of the session)."""
    if not os.environ.get("TEST_DATABASE_URL"):
        if os.environ.get("CI"):
            pytest.fail("TEST_DATABASE_URL is not set: CI must run the freshness test on PostgreSQL")
        pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL=postgresql+psycopg://…")
    url = make_database("postgresql")
    engine = make_engine(url)
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    engine.dispose()
    return url


def edit_first_row(page, column: int, text: str) -> None:
    """Type into (or, for a select cell, pick `text` in) a cell of the first row; leave it staged."""
    go_to_cell(page, 0, column)
    page.keyboard.press("Enter")  # open the cell's editor
    portal = page.get_by_test_id("portal")
    if column == STATE:
        portal.get_by_role("option", name=text, exact=True).click()
    else:
        field = portal.locator("textarea, input").first
        field.fill(text)
        page.keyboard.press("Enter")
        expect(field).to_be_hidden(timeout=10_000)
    page.get_by_role("heading", name="Danh sách nhiệm vụ").click()  # leave the grid
    expect(page.get_by_text(re.compile(r"^\d+ thay đổi chưa lưu$"))).to_be_visible(timeout=30_000)
    wait_idle(page)
    cell = page.locator(f".st-key-tasks_editor [data-testid='glide-cell-{column}-0']")
    expect(cell).to_have_text(text, timeout=10_000)


def task_row(page, row_id: int) -> dict[str, str]:
    """Read a task's cells (READ) from the read-only table by its id (rows move when their bucket does)."""
    table = page.get_by_test_id("stDataFrame")  # the page's only table for a reader
    expect(table.locator("[data-testid='glide-cell-0-0']")).to_be_attached(timeout=30_000)
    ids = table.locator("[data-testid^='glide-cell-0-']").all_inner_texts()
    r = ids.index(str(row_id))
    cells = {
        name: table.locator(f"[data-testid='glide-cell-{READ_ONLY_COLUMNS.index(name)}-{r}']")
        for name in READ
    }
    return {name: cell.inner_text(timeout=10_000) for name, cell in cells.items()}


def complete_first_row(page) -> None:
    """Mark the first row of the office's table completed, and save, through the data editor."""
    for column, text in COMPLETION.items():  # one row: state, progress, date, evidence, note
        edit_first_row(page, column, text)
    expect(page.get_by_text(f"{len(COMPLETION)} thay đổi chưa lưu", exact=True)).to_be_visible()
    click_save(page)
    expect(page.get_by_text("Không có thay đổi chưa lưu.")).to_be_visible(timeout=30_000)


def completed_count(page) -> int:
    label = page.get_by_test_id("stMetricLabel").get_by_text("Đã hoàn thành", exact=True)
    value = page.get_by_test_id("stMetric").filter(has=label).get_by_test_id("stMetricValue")
    expect(value).to_be_visible(timeout=30_000)
    wait_idle(page)
    return int(value.inner_text().replace(".", ""))


def test_a_save_on_one_server_shows_on_the_other_at_its_next_rerun(browser, app_server, shared_database):
    server_a = app_server(DATABASE_URL=shared_database)
    server_b = app_server(DATABASE_URL=shared_database)
    office, leader = (browser.new_context(viewport=VIEWPORT) for _ in range(2))
    a, b = office.new_page(), leader.new_page()

    # B first: warm its caches with the old values of the task list and the overview.
    sign_in(a, server_a, OFFICE, path=LUC_NGAN_TASKS)  # the office's table filtered to Lục Ngạn
    row_id = first_row_id(a)
    sign_in(b, server_b, "lanhdao", path=LUC_NGAN_TASKS)
    before = task_row(b, row_id)
    assert (before["bucket"], before["notes"]) == ("Quá hạn (chưa hoàn thành)", "")
    b.goto(server_b + OVERVIEW)
    completed = completed_count(b)

    # A: a real save through the data editor.
    complete_first_row(a)

    # B: the next rerun (a reload) shows the new figure, then the new row values.
    b.reload()
    assert completed_count(b) == completed + 1
    b.goto(server_b + LUC_NGAN_TASKS)
    after = task_row(b, row_id)
    assert (after["state"], after["bucket"], after["notes"]) == ("Hoàn thành", "Hoàn thành quá hạn", NOTE)

    engine = make_engine(shared_database)
    with transaction(engine) as s:
        assert s.scalar(select(func.count()).select_from(Task).where(Task.notes == NOTE)) == 1
        assert s.scalar(select(Task.state).where(Task.id == row_id)) == "hoan_thanh"
    engine.dispose()
    office.close()
    leader.close()


def test_an_edit_in_one_district_reaches_the_other_servers_overview_and_no_other_district(
    browser, app_server, shared_database
):
    """Server B holds the province's overview and two districts' overviews in its caches; a save in TP
    Bắc Giang on server A raises only Bắc Giang's task version (lib/data/db.py), so B reads Bắc
    Giang's tasks again and keeps every other district's piece: the province and Bắc Giang count one
    more completed task, Lục Ngạn the same."""
    server_a = app_server(DATABASE_URL=shared_database)
    server_b = app_server(DATABASE_URL=shared_database)
    office, leader = (browser.new_context(viewport=VIEWPORT) for _ in range(2))
    a, b = office.new_page(), leader.new_page()
    views = {
        "tỉnh": OVERVIEW,
        "bac-giang": f"{OVERVIEW}&dia_ban=bac-giang",
        "luc-ngan": f"{OVERVIEW}&dia_ban=luc-ngan",
    }

    sign_in(a, server_a, OFFICE, path=f"{TASKS}&dia_ban=bac-giang")
    sign_in(b, server_b, "lanhdao", path=OVERVIEW)
    before = {}
    for name, path in views.items():  # B's caches warm with every view's old figures
        b.goto(server_b + path)
        before[name] = completed_count(b)

    complete_first_row(a)

    after = {}
    for name, path in views.items():
        b.goto(server_b + path)
        after[name] = completed_count(b)
    assert after == {
        "tỉnh": before["tỉnh"] + 1,
        "bac-giang": before["bac-giang"] + 1,
        "luc-ngan": before["luc-ngan"],
    }
    office.close()
    leader.close()
