"""Every page through AppTest: no exception, real figures, clear messages for bad input."""

import json
import re
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, or_, select
from streamlit.testing.v1 import AppTest

from lib.core import rules
from lib.core.formatting import fmt_billion, fmt_int, fmt_pct
from lib.data.choices import unit_label
from lib.data.db import make_engine, transaction
from lib.data.models import HqProject, Locality, Task, Unit
from tests.support.apptest import open_page
from tests.support.demo import AS_OF
from tests.support.paths import APP

pytestmark = pytest.mark.usefixtures("fresh_caches")


@pytest.fixture
def demo_app(monkeypatch, demo_sqlite_file):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo_sqlite_file}")
    monkeypatch.setenv("DASHBOARD_ENV", "demo")
    monkeypatch.delenv("PAGE_SIZE", raising=False)

    def run(user: str = "lanhdao", **params: str) -> AppTest:
        return open_page(user, **params)

    return run


def _expected(db_file, locality=None):
    with transaction(make_engine(f"sqlite:///{db_file}")) as s:
        stmt = select(Task.state, Task.current_deadline, Task.completed_on).outerjoin(Locality)
        if locality:
            stmt = stmt.where(Locality.code == locality)
        return rules.summarize(rules.task_bucket(*row, AS_OF) for row in s.execute(stmt))


def _units_today(db_file, locality=None) -> list[str]:
    """ "Xã Lục Ngạn", …: the xã/phường valid on the as-of date (grouped under a former district)."""
    with transaction(make_engine(f"sqlite:///{db_file}")) as s:
        stmt = (
            select(Unit.kind, Unit.name)
            .join(Locality, Locality.id == Unit.locality_id)
            .where(Unit.valid_from <= AS_OF, or_(Unit.valid_to.is_(None), Unit.valid_to >= AS_OF))
        )
        if locality:
            stmt = stmt.where(Locality.code == locality)
        return [unit_label(kind, name) for kind, name in s.execute(stmt)]


def _metrics(at):
    return {m.label: m.value for m in at.metric}


def test_overview_shows_the_as_of_date_and_figures_computed_from_the_rows(demo_app, demo_sqlite_file):
    at = demo_app()
    assert any(m.value == "**Số liệu tính đến ngày 29/11/2026**" for m in at.markdown)
    expected = _expected(demo_sqlite_file)
    metrics = _metrics(at)
    assert metrics["Tổng số nhiệm vụ"] == fmt_int(expected.total)
    assert metrics["Tỷ lệ hoàn thành đúng hạn"] == fmt_pct(expected.on_time_rate)
    assert metrics["Quá hạn (chưa hoàn thành)"] == fmt_int(expected.count(rules.OVERDUE))
    assert metrics["Hoàn thành đúng hạn"] == fmt_int(expected.count(rules.ON_TIME))
    with transaction(make_engine(f"sqlite:///{demo_sqlite_file}")) as s:
        planned = s.scalar(select(func.sum(HqProject.planned_vnd)))
    assert metrics["Dự toán (tỷ đồng)"] == fmt_billion(planned)
    assert re.fullmatch(r"\d+,\d\d", metrics["Dự toán (tỷ đồng)"])
    league = at.dataframe[0].value
    ended = " (cấp huyện, đến 30/06/2025)"  # district-level history; Yên Dũng's went to Bắc Giang on 1/1/2025
    assert sorted(league["locality"]) == sorted(
        [
            f"Huyện Lục Ngạn{ended}",
            f"Thị xã Việt Yên{ended}",
            f"Thành phố Bắc Giang{ended}",
            *_units_today(demo_sqlite_file),
        ]
    )
    assert len(league) == 3 + 23
    charts = at.get("vega_lite_chart")
    assert len(charts) == 3
    titles = [json.loads(c.proto.spec)["title"] for c in charts]
    assert titles[0] == "Nhiệm vụ theo tình trạng và địa bàn"
    colors = json.loads(charts[0].proto.spec)["encoding"]["color"]["scale"]
    assert colors["range"][:4] == ["#2e7d32", "#f9a825", "#1565c0", "#c62828"]


def test_a_locality_in_the_url_filters_every_figure(demo_app, demo_sqlite_file):
    at = demo_app(dia_ban="luc-ngan")
    expected = _expected(demo_sqlite_file, "luc-ngan")
    assert _metrics(at)["Tổng số nhiệm vụ"] == fmt_int(expected.total)
    league = list(at.dataframe[0].value["locality"])
    assert league[0] == "Huyện Lục Ngạn (cấp huyện, đến 30/06/2025)"
    assert sorted(league[1:]) == sorted(_units_today(demo_sqlite_file, "luc-ngan"))
    assert "Phường Việt Yên" not in league
    assert at.sidebar.multiselect[0].value == ["luc-ngan"]
    assert at.query_params["dia_ban"] == ["luc-ngan"] or at.query_params["dia_ban"] == "luc-ngan"


def test_choosing_a_filter_writes_it_to_the_url(demo_app, demo_sqlite_file):
    at = demo_app()
    at.sidebar.multiselect[0].set_value(["yen-dung"]).run()
    assert not at.exception
    assert at.query_params["dia_ban"] in ("yen-dung", ["yen-dung"])
    assert _metrics(at)["Tổng số nhiệm vụ"] == fmt_int(_expected(demo_sqlite_file, "yen-dung").total)


def test_unknown_locality_and_bad_date_in_the_url_keep_saying_so_until_the_reader_changes_them(demo_app):
    at = demo_app(dia_ban="ha-noi", ngay="30/02/2025")

    def warnings() -> list[str]:
        return [w.value for w in at.warning]

    def param(name: str) -> str | None:
        value = at.query_params.get(name)
        return value[0] if isinstance(value, list) else value

    assert "Không có địa bàn “ha-noi” — đã bỏ qua bộ lọc này." in warnings()
    assert any(w.startswith("Ngày “30/02/2025” không hợp lệ") for w in warnings())
    assert at.metric  # the page still shows figures
    at.run()  # any rerun (a click elsewhere): the link's values and their warnings stay
    assert len(warnings()) == 2 and (param("dia_ban"), param("ngay")) == ("ha-noi", "30/02/2025")

    at.sidebar.multiselect[0].set_value(["viet-yen"]).run()  # the reader picks a locality
    assert not any("ha-noi" in w for w in warnings()) and param("dia_ban") == "viet-yen"
    assert any(w.startswith("Ngày “30/02/2025” không hợp lệ") for w in warnings())

    at.sidebar.date_input[0].set_value(date(2025, 2, 28)).run()  # … and a date
    assert warnings() == [] and param("ngay") == "2025-02-28"


def test_a_date_outside_the_range_says_so_on_the_report_until_another_is_picked(demo_app):
    at = demo_app()
    at.query_params.update({"ngay": "2017-12-27"})
    at.switch_page("pages/report.py").run()
    assert not at.exception, at.exception
    expected = "Ngày “2017-12-27” nằm ngoài khoảng có số liệu (01/01/2020–31/12/2100)"
    assert any(w.value.startswith(expected) for w in at.warning)
    at.run()
    assert any(w.value.startswith(expected) for w in at.warning)
    assert at.query_params["ngay"] in ("2017-12-27", ["2017-12-27"])
    at.date_input[0].set_value(date(2025, 12, 31)).run()
    assert not at.warning and at.query_params["ngay"] in ("2025-12-31", ["2025-12-31"])


def test_an_unknown_place_in_a_report_link_stays_warned_until_another_is_picked(demo_app):
    at = demo_app()
    at.query_params.update({"dia_ban": "ha-noi"})
    at.switch_page("pages/report.py").run()
    expected = "Không có địa bàn “ha-noi” — đang xem báo cáo toàn tỉnh."
    assert [w.value for w in at.warning] == [expected]
    at.run()  # the rerun that rewrites the URL keeps both the warning and the link as written
    assert [w.value for w in at.warning] == [expected]
    assert at.query_params["dia_ban"] in ("ha-noi", ["ha-noi"])
    at.selectbox[0].set_value("viet-yen").run()
    assert not at.warning and at.query_params["dia_ban"] in ("viet-yen", ["viet-yen"])


def test_tasks_page_shows_one_page_of_the_filtered_rows(demo_app, monkeypatch):
    monkeypatch.setenv("PAGE_SIZE", "20")
    at = demo_app(tinh_trang="dung-han")
    at.switch_page("pages/tasks.py").run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert len(frame) == 20
    assert set(frame["bucket"]) == {"Hoàn thành đúng hạn"}
    assert any("trên" in c.value and "nhiệm vụ" in c.value for c in at.caption)


def test_tasks_page_number_comes_from_the_url(demo_app, monkeypatch, demo_sqlite_file):
    monkeypatch.setenv("PAGE_SIZE", "20")
    at = demo_app(trang="2")
    at.switch_page("pages/tasks.py")
    at.query_params["trang"] = "2"
    at.run()
    assert not at.exception
    total = _expected(demo_sqlite_file).total + 1  # the suspended task is listed too
    assert at.number_input(key="tasks_page").value == 2
    assert len(at.dataframe[0].value) == min(20, total - 20)
    assert any(c.value.startswith("Hiển thị 21–") for c in at.caption)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:9/none"},
            "Không kết nối được cơ sở dữ liệu",
        ),
        ({"DATABASE_URL": "chưa-phải-url"}, "không đúng định dạng"),
        ({"DASHBOARD_ENV": "staging"}, "DASHBOARD_ENV='staging' không hợp lệ"),
        ({"DUE_SOON_DAYS": "ba mươi"}, "phải là số nguyên dương"),
    ],
)
def test_bad_configuration_gets_a_message_not_a_traceback(monkeypatch, demo_sqlite_file, env, message):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo_sqlite_file}")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert not at.metric


def test_an_uninitialised_database_says_how_to_initialise_it(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert any("python -m lib.manage init-db" in e.value for e in at.error)


def test_suspended_tasks_are_counted_apart(demo_app, demo_sqlite_file):
    at = demo_app()
    with transaction(make_engine(f"sqlite:///{demo_sqlite_file}")) as s:
        rows = s.execute(select(Task.state, Task.current_deadline, Task.completed_on)).all()
    excluded = Counter(rules.task_bucket(*row, AS_OF) for row in rows)[rules.EXCLUDED]
    assert excluded == 1
    assert any("Tạm dừng hoặc hủy (không tính vào tổng): 1 nhiệm vụ." in c.value for c in at.caption)


def test_a_coordinator_sees_the_columns_they_edit_right_after_the_task(demo_app):
    at = demo_app("dp.lucngan")
    at.switch_page("pages/tasks.py").run()
    assert not at.exception
    grid = at.dataframe[0].proto
    settings = json.loads(grid.columns)
    headers = [settings[name]["label"] for name in grid.column_order]
    assert headers[:9] == [
        "Mã",
        "Nhiệm vụ",
        "Trạng thái",
        "Tiến độ (%)",
        "Ngày hoàn thành",
        "Kết quả",
        "Văn bản kết quả",
        "Khó khăn, vướng mắc",
        "Ghi chú",
    ]
    typed = [name for name in grid.column_order if not settings[name].get("disabled")]
    assert typed == list(grid.column_order[2:9])  # what they may type, all of it, and nothing after


def test_a_reader_sees_the_tasks_in_the_grids_own_order(demo_app):
    at = demo_app("lanhdao")
    at.switch_page("pages/tasks.py").run()
    assert not at.exception
    grid = at.dataframe[0].proto
    assert list(grid.column_order[:3]) == ["id", "bucket", "title"]  # where it stands, first


def test_the_task_grid_shows_who_cooperates_and_the_documents_and_filters_by_cooperator(demo_app):
    at = open_page("lanhdao", "pages/tasks.py", phoi_hop="stc")
    assert at.multiselect(key="tasks_f_coop").value == ["stc"]
    grid = at.dataframe[0]
    settings = json.loads(grid.proto.columns)
    labels = (settings["cooperators"]["label"], settings["document"]["label"], settings["basis"]["label"])
    assert labels == ("Cơ quan phối hợp", "Văn bản giao", "Căn cứ")
    frame = grid.value
    assert len(frame) == 6  # the four localities' funding tasks, the public-investment one, the 2025 review
    assert all("Sở Tài chính" in c.split("; ") for c in frame["cooperators"])
    funding = frame[frame["locality"] == "Huyện Lục Ngạn"].iloc[0]
    assert funding["title"] == "Bố trí kinh phí xây mới, cải tạo, sửa chữa trụ sở Công an phường"
    # Sở Kế hoạch và Đầu tư, its second cooperator, merged into Sở Tài chính on 1/3/2025 while it was open.
    assert funding["cooperators"] == "Sở Tài chính"
    assert (funding["document"], funding["basis"]) == ("Công văn /UBND-NC", "30/ĐA-BCA; 885/QĐ-UBND")
    # Picking another agency in the filter narrows the list to its tasks and goes into the link.
    at.multiselect(key="tasks_f_coop").set_value(["sxd"]).run()
    assert not at.exception
    assert at.query_params["phoi_hop"] in ("sxd", ["sxd"])
    frame = at.dataframe[0].value
    assert len(frame) == 3 and "Sở Xây dựng" in set.intersection(
        *(set(c.split("; ")) for c in frame["cooperators"])
    )


def test_in_a_coordinators_grid_the_cooperators_and_documents_are_read_only(demo_app):
    at = demo_app("dp.lucngan")
    at.switch_page("pages/tasks.py").run()
    settings = json.loads(at.dataframe[0].proto.columns)
    assert (
        settings["cooperators"]["disabled"]
        and settings["document"]["disabled"]
        and settings["basis"]["disabled"]
    )
