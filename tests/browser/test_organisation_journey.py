"""The office records and applies a reorganisation on /to-chuc in Chromium, then leadership reads the
overview before and after its effective date: the merged ward is a row before, gone after."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from lib.data.db import make_engine, transaction
from lib.data.models import Arrangement, Task, Transfer, Unit
from lib.files.arrangement import UNITS_01
from tests.support.browser import sign_in, wait_idle

pytestmark = pytest.mark.browser

# A reorganisation of our own, after the demo's today: phường Nếnh (formed 1/7/2025) joins phường Việt Yên.
CSV = (
    ",".join(UNITS_01)
    + "\nNếnh,phuong,Thị xã Việt Yên,Việt Yên,phuong,Thị xã Việt Yên,merged,"
    + "NQ 9999/NQ-UBTVQH15 (01/11/2026),2026-12-01,https://example.invalid/nq-9999\n"
)


def _league_text(page) -> str:
    league = page.get_by_test_id("stDataFrame").filter(has_text="Phường Việt Yên")  # the league
    expect(league).to_be_visible(timeout=30_000)
    expect(league.locator("[data-testid^='glide-cell-']").first).to_be_attached(timeout=30_000)
    return " | ".join(league.locator("[data-testid^='glide-cell-']").all_inner_texts())


def _open_league(page, base: str, day: str) -> str:
    page.goto(f"{base}/?ngay={day}&dia_ban=viet-yen")
    shown = "/".join(reversed(day.split("-")))
    expect(page.get_by_text(f"Số liệu tính đến ngày {shown}")).to_be_visible(timeout=30_000)
    wait_idle(page)
    return _league_text(page)


def test_an_applied_reorganisation_changes_the_overview_from_its_date(browser, app_server, tmp_path):
    base = app_server()
    db = next(tmp_path.glob("app*.db"))
    engine = make_engine(f"sqlite:///{db}")
    with transaction(engine) as s:
        nenh = s.scalar(select(Unit.id).where(Unit.name == "Nếnh", Unit.valid_from.is_not(None)))
        open_tasks = s.scalar(
            select(func.count()).select_from(Task).where(Task.unit_id == nenh, Task.state != "hoan_thanh")
        )
    page = browser.new_page(viewport={"width": 1500, "height": 1100})
    sign_in(page, base, "vanphong", path="/to-chuc")
    expect(page.get_by_role("heading", name="Sắp xếp tổ chức, đơn vị hành chính")).to_be_visible(
        timeout=30_000
    )
    # A line naming a ward that does not exist: refused, the line named, nothing recorded.
    bad_file = tmp_path / "sai.csv"
    bad_file.write_text(CSV.replace("Nếnh,phuong", "Nếnh Cũ,phuong"), encoding="utf-8")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(bad_file))
    refusal = page.get_by_text(re.compile(r"Không ghi nhận được, chưa ghi gì"))
    expect(refusal).to_be_visible(timeout=30_000)
    expect(page.get_by_text(re.compile(r"Dòng 2: .*Nếnh Cũ"))).to_be_visible()
    expect(page.get_by_role("button", name="Ghi nhận", exact=True)).to_have_count(0)
    with transaction(engine) as s:
        recorded = select(func.count()).select_from(Arrangement)
        assert s.scalar(recorded.where(Arrangement.resolution == "NQ 9999/NQ-UBTVQH15")) == 0
    csv_file = tmp_path / "nq-9999.csv"
    csv_file.write_text(CSV, encoding="utf-8")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(csv_file))
    expect(page.get_by_text("hiệu lực từ")).to_be_visible(timeout=30_000)
    wait_idle(page)
    page.get_by_role("button", name="Ghi nhận", exact=True).click()
    draft = page.get_by_test_id("stExpander").get_by_text("NQ 9999/NQ-UBTVQH15, hiệu lực 01/12/2026")
    expect(draft).to_be_visible(timeout=30_000)
    wait_idle(page)
    page.get_by_text("Tôi đã kiểm tra").click()
    wait_idle(page)
    page.get_by_role("button", name="Áp dụng", exact=True).click()
    expect(page.get_by_text("Đã áp dụng:")).to_be_visible(timeout=30_000)

    with transaction(engine) as s:
        assert (
            s.scalar(select(Arrangement.state).where(Arrangement.resolution == "NQ 9999/NQ-UBTVQH15"))
            == "applied"
        )
        assert s.scalar(select(Unit.valid_to).where(Unit.id == nenh)).isoformat() == "2026-11-30"
        moved = s.scalar(select(func.count()).select_from(Transfer).where(Transfer.field == "unit_id"))
    assert moved >= open_tasks

    before = _open_league(page, base, "2026-11-30")
    assert "Phường Nếnh" in before and "Phường Việt Yên" in before
    after = _open_league(page, base, "2026-12-02")
    assert "Phường Nếnh" not in after and "Phường Việt Yên" in after
