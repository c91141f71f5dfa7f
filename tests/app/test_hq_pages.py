"""The headquarters (/tru-so) and model-ward (/phuong-kieu-mau) pages through AppTest.

Figures are checked against sums of the stored rows; edits go through the page to the database
and back into the figures; bad money is refused with a Vietnamese message and writes nothing.
"""

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from lib.core import rules
from lib.core.formatting import fmt_billion, fmt_int, fmt_vnd
from lib.data.db import make_engine, transaction
from lib.data.models import AuditEvent, HqProject, Locality, ModelWard, Unit
from lib.ops.seed import DEMO_TODAY
from tests.support.apptest import open_page, sign_in
from tests.support.paths import APP

AS_OF_CAPTION = f"**Số liệu tính đến ngày {DEMO_TODAY:%d/%m/%Y}**"

pytestmark = pytest.mark.usefixtures("fresh_caches")


@pytest.fixture
def db(monkeypatch, demo_copy):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo_copy}")
    monkeypatch.setenv("DASHBOARD_ENV", "demo")
    monkeypatch.delenv("PAGE_SIZE", raising=False)
    return make_engine(f"sqlite:///{demo_copy}")


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def stored_funding(db, locality: str | None = None) -> tuple[int, int, int, int]:
    with transaction(db) as s:
        stmt = select(HqProject.planned_vnd, HqProject.allocated_vnd, HqProject.disbursed_vnd).join(
            Unit, Unit.id == HqProject.unit_id
        )
        if locality:
            stmt = stmt.join(Locality, Locality.id == Unit.locality_id).where(Locality.code == locality)
        rows = s.execute(stmt).all()
    return sum(r[0] for r in rows), sum(r[1] for r in rows), sum(r[2] for r in rows), len(rows)


def edit(at: AppTest, prefix: str, edited_rows: dict) -> AppTest:
    at.session_state[f"{prefix}_editor"] = {"edited_rows": edited_rows, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception, at.exception
    return at


def save(at: AppTest, prefix: str) -> AppTest:
    at.button(key=f"{prefix}_save").click().run()
    assert not at.exception, at.exception
    return at


def hq_row(db, row_id: int) -> HqProject:
    with transaction(db) as s:
        row = s.get(HqProject, row_id)
        assert row is not None
        return row


# --- /tru-so ----------------------------------------------------------------------------------------


def test_the_headquarters_page_shows_figures_equal_to_the_stored_rows(db):
    at = open_page("lanhdao", "pages/hq.py")
    planned, allocated, disbursed, count = stored_funding(db)
    shown = metrics(at)
    assert AS_OF_CAPTION in [m.value for m in at.markdown]
    assert shown["Số dự án"] == fmt_int(count) == "38"
    assert shown["Dự toán (tỷ đồng)"] == fmt_billion(planned)
    assert shown["Đã bố trí vốn (tỷ đồng)"] == fmt_billion(allocated)
    assert shown["Đã giải ngân (tỷ đồng)"] == fmt_billion(disbursed)
    assert shown["Đất dưới 500 m²"] == "4"  # the demo has four small plots
    # the per-locality table gives the đồng exactly, and marks those below the provincial average
    table = at.dataframe[0].value
    # by the district of each project's ward: Chũ (1/1/2025) groups the new units around it; the wards
    # of Yên Dũng passed to Bắc Giang on 1/1/2025 and Lục Ngạn's to Chũ's new phường, with every
    # project not finished before the day it passed
    assert list(table["locality"]) == ["Thị xã Chũ", "Thị xã Việt Yên", "Thành phố Bắc Giang"]
    codes = ("chu", "viet-yen", "bac-giang")
    for code, (_, r) in zip(codes, table.iterrows(), strict=True):
        p, a, d, n = stored_funding(db, code)
        assert (r["planned"], r["allocated"], r["disbursed"], r["projects"]) == (
            fmt_vnd(p),
            fmt_vnd(a),
            fmt_vnd(d),
            n,
        )
        assert (r["below"] == "Dưới bình quân") == (d / a < disbursed / allocated)
    assert chart_count(at) == 4
    # read-only role: a plain table, no editor
    assert "hq_editor" not in at.session_state


def chart_count(at: AppTest) -> int:
    return len(at.get("vega_lite_chart")) + len(at.get("arrow_vega_lite_chart"))


def test_filters_come_from_the_url_and_narrow_every_figure(db):
    at = open_page("lanhdao", "pages/hq.py", dia_ban="viet-yen", canh_bao="cham_tien_do")
    with transaction(db) as s:
        from lib.core.filters import HqFilters
        from lib.data import projects

        expected = projects.count_hq(s, HqFilters(("viet-yen",), (), ("cham_tien_do",)), DEMO_TODAY, 90)
    assert expected > 0
    assert metrics(at)["Số dự án"] == fmt_int(expected)
    assert metrics(at)["Chậm tiến độ"] == fmt_int(expected)
    assert at.query_params["dia_ban"] == "viet-yen" and at.query_params["canh_bao"] == "cham_tien_do"


def test_an_unknown_stage_in_the_url_is_dropped_with_a_warning(db):
    at = open_page("lanhdao", "pages/hq.py", giai_doan="xong-roi")
    assert any("xong-roi" in w.value for w in at.warning)
    assert metrics(at)["Số dự án"] == "38"


def test_a_coordinator_edits_money_and_the_totals_follow(db):
    at = open_page("dp.vietyen", "pages/hq.py")
    assert at.info[0].value.startswith("Bảng chỉ gồm dự án trụ sở của Thị xã Việt Yên")
    first = at.session_state["hq_shown"][0]
    before = hq_row(db, first.row_id)
    new_disbursed = before.allocated_vnd  # everything allocated is now paid out
    edit(at, "hq", {0: {"disbursed_vnd": new_disbursed}})
    save(at, "hq")
    after = hq_row(db, first.row_id)
    assert (after.disbursed_vnd, after.version, after.updated_by) == (
        new_disbursed,
        before.version + 1,
        "dp.vietyen",
    )
    disbursed = stored_funding(db)[2]
    assert metrics(at)["Đã giải ngân (tỷ đồng)"] == fmt_billion(disbursed)
    row = at.dataframe[0].value.set_index("locality").loc["Thị xã Việt Yên"]
    assert row["disbursed"] == fmt_vnd(stored_funding(db, "viet-yen")[2])
    with transaction(db) as s:
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.entity, event.row_id, event.field, event.new_value) == (
        "hq_project",
        first.row_id,
        "disbursed_vnd",
        str(new_disbursed),
    )


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ({"planned_vnd": -5}, "số tiền không được âm."),
        ({"planned_vnd": 4_500_000_000.5}, "phải là số đồng nguyên (không có phần lẻ)."),
        ({"planned_vnd": "bốn tỷ"}, "“bốn tỷ” không phải số tiền"),
        ({"planned_vnd": 10**12}, "vượt mức trần 100.000.000.000 đồng của một dự án"),
        ({"allocated_vnd": 10**11}, "vốn đã bố trí (100.000.000.000 đồng) lớn hơn dự toán"),
    ],
)
def test_bad_money_is_refused_with_a_message_and_writes_nothing(db, cell, message):
    at = open_page("dp.bacgiang", "pages/hq.py")
    first = at.session_state["hq_shown"][0]
    before = hq_row(db, first.row_id)
    edit(at, "hq", {0: cell})
    save(at, "hq")
    errors = [e.value for e in at.error]
    assert any(message in e and "Dòng 1" in e for e in errors), errors
    after = hq_row(db, first.row_id)
    assert (after.planned_vnd, after.allocated_vnd, after.disbursed_vnd, after.version) == (
        before.planned_vnd,
        before.allocated_vnd,
        before.disbursed_vnd,
        before.version,
    )


def test_the_overview_links_to_the_headquarters_and_wards_pages_with_the_same_places(db):
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params.update({"ngay": "2026-10-01", "dia_ban": "bac-giang,cap-tinh", "muc": "3"})
    sign_in(at, "lanhdao")
    links = {link.proto.page: link.proto for link in at.get("page_link")}
    hq = next(p for page, p in links.items() if page.endswith("tru-so") or "hq" in page)
    wards = next(p for page, p in links.items() if "kieu-mau" in page or "wards" in page)
    for link in (hq, wards):
        assert dict(link.query_string.split("&")[i].split("=") for i in range(2)) == {
            "dia_ban": "bac-giang",
            "ngay": "2026-10-01",
        }


# --- /phuong-kieu-mau -----------------------------------------------------------------------------


def test_the_wards_page_shows_the_2024_pilots_and_the_roadmap(db):
    at = open_page("lanhdao", "pages/wards.py")
    assert AS_OF_CAPTION in [m.value for m in at.markdown]
    successes = [s.value for s in at.success]
    assert any("Thị xã Việt Yên" in s and "Bích Động" in s for s in successes), successes
    assert any("Thành phố Bắc Giang" in s and "Hoàng Văn Thụ, Trần Phú" in s for s in successes), successes
    with transaction(db) as s:
        # the registrations still followed: those of wards merged in 2025 went to the new ward
        followed = ModelWard.lifecycle.not_in(rules.RETIRED_LIFECYCLES)
        registered = s.scalar(select(func.count(func.distinct(ModelWard.unit_id))).where(followed))
        recognised = s.scalar(select(func.count()).where(followed, ModelWard.recognised_on.is_not(None)))
    shown = metrics(at)
    # Hoàng Văn Thụ's and Trần Phú's 2024 registrations both passed to phường Bắc Giang on 1/7/2025:
    # one ward now (the 2024 pilot list above still names both, as they were that year).
    assert shown["Đã đăng ký kiểu mẫu"] == fmt_int(registered) == "3"
    assert shown["Được công nhận"] == fmt_int(recognised)
    assert "wards_editor" not in at.session_state


def test_a_locality_that_did_not_register_its_2024_pilot_is_called_out(db):
    with transaction(db, write=True) as s:
        for ward in s.scalars(select(ModelWard).where(ModelWard.year_registered == 2024)):
            unit = s.get(Unit, ward.unit_id)
            if unit.locality.code == "viet-yen":
                s.delete(ward)
    at = open_page("lanhdao", "pages/wards.py")
    assert any("Thị xã Việt Yên" in e.value and "chưa đăng ký" in e.value for e in at.error)


def test_a_coordinator_records_a_recognition(db):
    at = open_page("dp.vietyen", "pages/wards.py")
    shown_rows = at.session_state["wards_shown"]
    target = shown_rows[0]
    edit(
        at,
        "wards",
        {0: {"criteria_met": 22, "recognised_decision": "1234/QĐ-BCA", "recognised_on": "2026-11-20"}},
    )
    save(at, "wards")
    with transaction(db) as s:
        ward = s.get(ModelWard, target.row_id)
        assert (ward.criteria_met, ward.recognised_decision, ward.recognised_on.isoformat()) == (
            22,
            "1234/QĐ-BCA",
            "2026-11-20",
        )
        assert ward.updated_by == "dp.vietyen"


def test_a_ward_recognised_without_a_decision_number_is_refused(db):
    at = open_page("dp.bacgiang", "pages/wards.py")
    target = at.session_state["wards_shown"][0]
    with transaction(db) as s:
        before = s.get(ModelWard, target.row_id).version
    edit(at, "wards", {0: {"recognised_on": "2026-11-20", "recognised_decision": ""}})
    save(at, "wards")
    assert any("phải ghi số quyết định công nhận" in e.value for e in at.error)
    with transaction(db) as s:
        assert s.get(ModelWard, target.row_id).version == before


def test_criteria_met_is_a_progress_bar_of_22(db):
    at = open_page("lanhdao", "pages/wards.py")
    table = next(df for df in at.dataframe if "criteria_progress" in df.value.columns)
    assert list(table.value["criteria_progress"]) == list(table.value["criteria_met"])
    assert rules.WARD_CRITERIA == 22


def test_clearing_the_filters_clears_stage_and_flag_too(db):
    at = open_page("lanhdao", "pages/hq.py", dia_ban="viet-yen", giai_doan="dang_thi_cong")
    assert metrics(at)["Số dự án"] != "38"
    at.button(key="hq_clear").click().run()
    assert not at.exception
    assert metrics(at)["Số dự án"] == "38"
    assert "giai_doan" not in at.query_params and "dia_ban" not in at.query_params


def test_the_filtered_projects_and_wards_download_as_xlsx_with_money_as_numbers(db):
    import io

    from openpyxl import load_workbook

    from lib.core.filters import HqFilters
    from lib.files import export
    from lib.ui.loaders import export_hq, export_wards

    at = open_page("lanhdao", "pages/hq.py", dia_ban="bac-giang")
    # Yên Dũng's wards joined thành phố Bắc Giang on 1/1/2025, with their projects not finished by then
    assert any(b.proto.label.startswith("Tải Excel: 24 dự án") for b in at.download_button)
    ws = load_workbook(
        io.BytesIO(export_hq(str(db.url), HqFilters(("bac-giang",)), DEMO_TODAY, 90))
    ).worksheets[0]
    headers = [c.value for c in ws[export.HEADER_ROW]]
    planned = [
        ws.cell(r, headers.index("Dự toán (đồng)") + 1) for r in range(export.FIRST_DATA_ROW, ws.max_row + 1)
    ]
    assert sum(c.value for c in planned) == stored_funding(db, "bac-giang")[0]
    assert all(c.data_type == "n" and c.number_format == "#,##0" for c in planned)
    assert len(planned) == 24 and {
        ws.cell(r, 3).value for r in range(export.FIRST_DATA_ROW, ws.max_row + 1)
    } == {"Thành phố Bắc Giang"}
    wards = load_workbook(io.BytesIO(export_wards(str(db.url), (), DEMO_TODAY))).worksheets[0]
    with transaction(db) as s:  # not the four registrations merged into a new ward's on 1/7/2025
        followed = s.scalar(select(func.count()).where(ModelWard.lifecycle.not_in(rules.RETIRED_LIFECYCLES)))
    assert wards.max_row - export.HEADER_ROW == followed == 4
