"""The tab "Công văn đôn đốc" of /qua-han through AppTest: the office picks an addressee, gets the
letter, issues it (mailed through a real SMTP server on localhost), and the task's detail and the lists
show the reminder; bad input and other roles are told why, with nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lib.core.filters import Filters
from lib.data import followup
from lib.data.db import make_engine, transaction
from lib.data.models import Agency, Reminder, ReminderTask
from lib.ops.seed import DEMO_TODAY
from tests.support.apptest import keyed, open_page
from tests.support.smtp import free_port, smtp_server

pytestmark = pytest.mark.usefixtures("fresh_caches")
KEY = "followup_letters"


@pytest.fixture
def db(monkeypatch, demo_copy):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo_copy}")
    monkeypatch.setenv("DASHBOARD_ENV", "demo")
    monkeypatch.delenv("SMTP_URL", raising=False)
    return make_engine(f"sqlite:///{demo_copy}")


def first_addressee(db):
    with transaction(db) as s:
        return followup.addressees(s, Filters(), DEMO_TODAY, 30)[0]


def fill(at, agency_id, number="125/CAT-PV01", signer="Nguyễn Văn An", letter=0):
    """Fill in the form for the session's `letter`-th letter (its addressee and number fields are drawn
    under new keys after each issue)."""
    suffix = f"_{letter}" if letter else ""
    at.multiselect(key=f"{KEY}_to{suffix}").select(agency_id)
    at.text_input(key=f"{KEY}_number{suffix}").input(number)
    at.text_input(key=f"{KEY}_signer").input(signer)
    at.run()
    assert not at.exception, at.exception
    return at


def table(at, column):
    """The first table drawn with this column (AppTest does not expose a dataframe's key)."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def downloads(at):
    return [b.proto.id.rpartition("-")[2] for b in at.get("download_button")]


def reminders_stored(db):
    with transaction(db) as s:
        return s.scalar(select(func.count()).select_from(Reminder))


def test_the_office_issues_a_letter_and_the_task_shows_it(db, monkeypatch):
    target = first_addressee(db)
    with transaction(db, write=True) as s:
        s.get(Agency, target.agency_id).email = "vp@bacgiang.gov.vn"
    with smtp_server() as (url, box):
        monkeypatch.setenv("SMTP_URL", url)
        at = fill(open_page("vanphong", "pages/followup.py"), target.agency_id)
        preview = table(at, "Quá hạn / còn lại")
        assert list(preview["Mã"]) == [t.task_id for t in target.tasks]
        assert f"{KEY}_docx" in downloads(at)
        at.button(key=f"{KEY}_issue").click().run()
        assert not at.exception, at.exception
    assert [s.value for s in at.success] == [
        f"Đã phát hành 1 công văn đôn đốc: 125/CAT-PV01 gửi {target.name}. Đã gửi thư điện tử 1 công văn."
    ]
    assert [to for to, _ in box.messages] == [["vp@bacgiang.gov.vn"]]
    assert f"{KEY}_issued" in downloads(at)  # the letter as issued, once more
    sent = table(at, "Thư điện tử")
    assert list(sent.iloc[0][["Số", "Ngày", "Nơi nhận", "Người ký"]]) == [
        "125/CAT-PV01",
        "29/11/2026",
        target.name,
        "Nguyễn Văn An",
    ]
    assert sent.iloc[0]["Thư điện tử"] == "Đã gửi thư điện tử tới vp@bacgiang.gov.vn"
    with transaction(db) as s:
        named = set(s.scalars(select(ReminderTask.task_id)))
    assert named == {t.task_id for t in target.tasks}

    task = target.tasks[0].task_id
    detail = open_page("vanphong", "pages/tasks.py", ma=str(task))
    shown = table(detail, "Tình trạng khi đôn đốc")
    assert list(shown.iloc[0][["Số", "Ngày", "Người ký"]]) == ["125/CAT-PV01", "29/11/2026", "Nguyễn Văn An"]
    assert "Đã đôn đốc 1 lần, ngày 29/11/2026." in [c.value for c in detail.caption]

    again = open_page("lanhdao", "pages/followup.py")
    overdue = table(again, "days_overdue")
    assert overdue.set_index("id").loc[task, "reminders"] == "đã đôn đốc 1 lần, ngày 29/11/2026"

    # Days later, in a new session: the issued letter downloads again from the list.
    later = open_page("dp.lucngan", "pages/followup.py")
    pick = later.selectbox(key=f"{KEY}_again_pick")
    assert pick.options == [f"125/CAT-PV01 ngày 29/11/2026 — {target.name}"]
    assert f"{KEY}_again" not in downloads(later)
    pick.select_index(0).run()
    assert f"{KEY}_again" in downloads(later)


def test_the_next_letter_of_a_session_starts_with_no_addressee_and_no_number(db):
    with transaction(db) as s:
        first, second = followup.addressees(s, Filters(), DEMO_TODAY, 30)[:2]
    at = fill(open_page("vanphong", "pages/followup.py"), first.agency_id)
    at.button(key=f"{KEY}_issue").click().run()
    assert not at.exception, at.exception
    assert keyed(at.multiselect, f"{KEY}_to").value == []
    assert keyed(at.text_input, f"{KEY}_number").value == ""
    assert at.text_input(key=f"{KEY}_signer").value == "Nguyễn Văn An"  # the signer stays

    at = fill(at, second.agency_id, number="126/CAT-PV01", letter=1)
    at.button(key=f"{KEY}_issue").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == [
        f"Đã phát hành 1 công văn đôn đốc: 126/CAT-PV01 gửi {second.name}."
    ]
    with transaction(db) as s:
        stored = s.execute(select(Reminder.number, Reminder.agency_id).order_by(Reminder.id)).all()
    assert [tuple(r) for r in stored] == [
        ("125/CAT-PV01", first.agency_id),
        ("126/CAT-PV01", second.agency_id),
    ]


def test_an_empty_number_is_refused_and_nothing_is_written(db):
    target = first_addressee(db)
    at = fill(open_page("vanphong", "pages/followup.py"), target.agency_id, number="")
    assert any("Số và ký hiệu" in c.value for c in at.caption)  # told before the click
    assert f"{KEY}_docx" not in downloads(at)
    at.button(key=f"{KEY}_issue").click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "Chưa lưu gì: Cột “Số và ký hiệu”: không được để trống (ví dụ 125/CAT-PV01)."
    ]
    assert reminders_stored(db) == 0


def test_a_focal_point_sees_the_letters_but_cannot_issue(db):
    at = open_page("dp.lucngan", "pages/followup.py")
    assert "Chỉ Văn phòng và quản trị hệ thống phát hành công văn đôn đốc." in [i.value for i in at.info]
    assert f"{KEY}_issue" not in [b.key for b in at.button]
    assert f"{KEY}_to" not in [m.key for m in at.multiselect]


def test_the_office_keeps_an_agencys_mail_address_on_the_admin_page(db):
    target = first_addressee(db)
    at = open_page("vanphong", "pages/admin.py")
    at.selectbox(key="admin_agency_pick").set_value(target.agency_id).run()
    keyed(at.text_input, "admin_agency_email").input("vp at bacgiang")
    at.button(key="FormSubmitter:admin_agency_email_form-Lưu địa chỉ thư").click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "Thư điện tử: “vp at bacgiang” không phải địa chỉ thư điện tử (ví dụ vanphong@bacninh.gov.vn)."
    ]
    keyed(at.text_input, "admin_agency_email").input("vp@bacgiang.gov.vn")
    at.button(key="FormSubmitter:admin_agency_email_form-Lưu địa chỉ thư").click().run()
    assert not at.exception and not at.error
    assert first_addressee(db).email == "vp@bacgiang.gov.vn"
    shown = table(at, "email")
    assert shown.set_index("id").loc[target.agency_id, "email"] == "vp@bacgiang.gov.vn"


def test_a_send_that_fails_keeps_the_letter_and_is_told_in_vietnamese(db, monkeypatch):
    target = first_addressee(db)
    with transaction(db, write=True) as s:
        s.get(Agency, target.agency_id).email = "vp@bacgiang.gov.vn"
    port = free_port()  # nothing listens there
    monkeypatch.setenv("SMTP_URL", f"smtp://127.0.0.1:{port}")
    at = fill(open_page("vanphong", "pages/followup.py"), target.agency_id)
    at.button(key=f"{KEY}_issue").click().run()
    assert not at.exception, at.exception
    assert [w.value for w in at.warning] == [
        f"Đã phát hành 1 công văn đôn đốc: 125/CAT-PV01 gửi {target.name}. Chưa gửi được thư: 125/CAT-PV01: "
        f"không kết nối được máy chủ thư 127.0.0.1:{port} (ConnectionRefusedError)."
    ]
    assert reminders_stored(db) == 1
    assert (
        table(at, "Thư điện tử").iloc[0]["Thư điện tử"].startswith("Chưa gửi được thư điện tử: không kết nối")
    )
