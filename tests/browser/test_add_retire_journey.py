"""A living register in Chromium: a coordinator adds a headquarters project on /tru-so, sees it in the
grid, then retires it with a reason and a document; it leaves the grid and comes back behind the
toggle, marked “Dừng”."""

import re
import time

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from sqlalchemy import select

from lib.core.catalogue import HQ_PROJECT
from lib.core.roles import DIEU_PHOI
from lib.data.db import make_engine, transaction
from lib.data.models import AuditEvent, HqProject, Locality, Unit
from tests.support.browser import pick, sign_in, wait_idle
from tests.support.demo import AS_OF

pytestmark = pytest.mark.browser
HQ_PATH = f"/tru-so?ngay={AS_OF.isoformat()}"
COORDINATOR, OWN = "dp.lucngan", "luc-ngan"


def _db(tmp_path):
    return make_engine(f"sqlite:///{next(tmp_path.glob('app*.db'))}")


def free_unit(engine) -> tuple[int, str]:
    """A commune of today grouped under the coordinator's locality, without a project (so no look-alike
    warning); the forms offer only the units valid today."""
    with transaction(engine) as s:
        return s.execute(
            select(Unit.id, Unit.name)
            .join(Locality)
            .where(Locality.code == OWN, Unit.id.not_in(select(HqProject.unit_id)), Unit.retired_on.is_(None))
            .where(Unit.valid_to.is_(None))
            .order_by(Unit.name)
            .limit(1)
        ).one()


def grid_ids(page) -> list[int]:
    """The ids in the grid; a rerun can replace the grid while it is read, then read it again."""
    for attempt in range(3):
        try:
            grid = page.locator(".st-key-hq_editor")
            grid.scroll_into_view_if_needed()
            cells = grid.locator("[data-testid^='glide-cell-0-']")
            expect(cells.first).to_be_attached(timeout=30_000)
            # an empty grid still draws one blank cell
            return sorted(int(c) for c in cells.all_inner_texts() if c.strip())
        except PlaywrightError:
            if attempt == 2:
                raise
            wait_idle(page)
    raise AssertionError("unreachable")


def choose(page, key: str, text: str) -> None:
    """Pick an option of a select box by typing part of its label; check that the choice took."""
    box = page.locator(f".st-key-{key}")
    pick(page, box, page.get_by_role("option", name=re.compile(re.escape(text))).first, typed=text)
    wait_idle(page)
    expect(box.locator("input")).to_have_value(re.compile(re.escape(text.strip())), timeout=10_000)


def open_expander(page, label: str) -> None:
    page.get_by_text(label, exact=True).click()
    wait_idle(page)


def eventually(read, expected, tries: int = 60):
    """Read until the value is the expected one (the grid redraws after the rerun), or give up."""
    for _ in range(tries):
        value = read()
        if value == expected:
            return value
        time.sleep(0.5)
    return read()


def test_coordinator_adds_a_project_sees_it_and_retires_it(browser, app_server, tmp_path):
    base = app_server()
    engine = _db(tmp_path)
    unit_id, unit_name = free_unit(engine)
    page = browser.new_page(viewport={"width": 1600, "height": 1200})
    sign_in(page, base, COORDINATOR, path=HQ_PATH)
    before = grid_ids(page)

    # Add: the form offers the coordinator's own communes; the project lands once and shows in the grid.
    open_expander(page, "Thêm dự án trụ sở")
    choose(page, "hq_add_0_unit_id", unit_name)
    page.locator(".st-key-hq_add_0_planned_vnd input").fill("4.500.000.000")
    page.get_by_role("button", name="Thêm dự án").click()
    expect(page.get_by_text(re.compile(r"Đã thêm dự án trụ sở mã \d+"))).to_be_visible(timeout=30_000)
    wait_idle(page)
    with transaction(engine) as s:
        made = s.scalars(select(HqProject).where(HqProject.unit_id == unit_id)).one()
    assert (made.planned_vnd, made.lifecycle, made.updated_by) == (4_500_000_000, "active", COORDINATOR)
    assert eventually(lambda: grid_ids(page), sorted([*before, made.id])) == sorted([*before, made.id])

    # Retire: the project, a document and a reason; it leaves the grid, and the trail has why.
    open_expander(page, "Dừng, hủy bỏ hoặc gộp dự án")
    choose(page, "hq_retire_row_0", f"Mã {made.id} ")
    page.locator(".st-key-hq_retire_0_doc input").fill("52/QĐ-UBND")
    page.locator(".st-key-hq_retire_0_reason textarea").fill("Xã sáp nhập, dừng đầu tư trụ sở")
    page.get_by_role("button", name="Xác nhận").click()
    expect(page.get_by_text(f"Đã chuyển dự án mã {made.id} sang “Dừng”", exact=False)).to_be_visible(
        timeout=30_000
    )
    wait_idle(page)
    with transaction(engine) as s:
        row = s.get(HqProject, made.id)
        assert (row.lifecycle, row.lifecycle_doc, row.version) == ("stopped", "52/QĐ-UBND", 2)
        event = s.scalars(
            select(AuditEvent).where(AuditEvent.row_id == made.id, AuditEvent.action == "retire")
        ).first()
        assert (event.actor, event.reason) == (COORDINATOR, "Xã sáp nhập, dừng đầu tư trụ sở")
    assert eventually(lambda: grid_ids(page), before) == before

    # Behind the toggle it is there, marked “Dừng”.
    page.locator(".st-key-hq_with_retired").get_by_text("Hiện cả dự án đã dừng/hủy/gộp").click()
    wait_idle(page)
    assert eventually(lambda: grid_ids(page), sorted([*before, made.id])) == sorted([*before, made.id])
    assert cell_of(page, made.id, HQ_PROJECT.grid_for(DIEU_PHOI).index("lifecycle")) == "Dừng"
    page.close()


def cell_of(page, row_id: int, column: int) -> str:
    """The text of one cell of a row, scrolled into view with the keyboard (the grid draws only the
    cells in view)."""
    grid = page.locator(".st-key-hq_editor")
    first = grid.locator("[data-testid^='glide-cell-0-']", has_text=re.compile(rf"^{row_id}$"))
    expect(first).to_have_count(1, timeout=30_000)
    row = int(first.get_attribute("data-testid").rsplit("-", 1)[1])
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 15, box["y"] + 35 * (row + 1) + 17)
    expect(grid.locator("td:focus")).to_have_count(1, timeout=10_000)
    for _ in range(column):
        page.keyboard.press("ArrowRight")
    cell = grid.locator(f"[data-testid='glide-cell-{column}-{row}']")
    expect(cell).to_be_attached(timeout=10_000)
    return cell.inner_text()
