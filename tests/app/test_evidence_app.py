"""Evidence files in the pages through AppTest: a task's files in the detail section of /nhiem-vu, removal
after a confirmation, what a leader sees, and the panels of /tru-so and /van-ban."""

import pytest
from sqlalchemy import select

from lib.data import attachments as reads
from lib.data.db import make_engine, transaction
from lib.data.models import AuditEvent, Locality, Task
from lib.editing import attachments
from tests.support import evidence_files as f
from tests.support.apptest import TASKS_PAGE, open_page
from tests.support.edit_machinery import actor

pytestmark = pytest.mark.usefixtures("fresh_caches")


@pytest.fixture
def db(monkeypatch, demo_copy):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo_copy}")
    monkeypatch.setenv("DASHBOARD_ENV", "demo")
    return make_engine(f"sqlite:///{demo_copy}")


def luc_ngan_task(db) -> int:
    with transaction(db) as s:
        return s.scalar(
            select(Task.id)
            .join(Locality, Locality.id == Task.locality_id)
            .where(Locality.code == "luc-ngan")
            .order_by(Task.id)
            .limit(1)
        )


def texts(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_a_coordinator_sees_their_tasks_file_and_removes_it_after_confirming(db):
    task = luc_ngan_task(db)
    added = attachments.add(db, actor(db, "dp.lucngan"), "task", task, "Biên bản nghiệm thu.pdf", f.pdf())
    at = open_page("dp.lucngan", TASKS_PAGE, ma=str(task))
    assert "Biên bản nghiệm thu\\.pdf" in texts(at)
    assert at.get("download_button"), "the file has a download button"
    assert any(w.key == f"tasks_files_{task}_upload" for w in at.get("file_uploader"))

    at.button(key=f"tasks_files_{task}_remove_{added.attachment_id}").click().run()
    assert not at.exception
    assert any("Gỡ tệp “Biên bản nghiệm thu.pdf”" in w.value for w in at.warning)
    with transaction(db) as s:
        assert len(reads.list_files(s, "task", task)) == 1  # not before the confirmation
    at.text_input(key=f"tasks_files_{task}_reason_{added.attachment_id}").input("Gửi nhầm bản")
    at.button(key=f"tasks_files_{task}_remove_yes_{added.attachment_id}").click().run()
    assert not at.exception
    assert any("Đã gỡ tệp “Biên bản nghiệm thu.pdf”" in s.value for s in at.success)
    assert "Chưa có tệp minh chứng nào." in [c.value for c in at.caption]
    with transaction(db) as s:
        assert reads.list_files(s, "task", task) == []
        event = s.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
    assert (event.action, event.actor, event.reason) == ("detach", "dp.lucngan", "Gửi nhầm bản")


def test_a_leader_sees_and_downloads_files_but_has_no_upload_or_removal(db):
    task = luc_ngan_task(db)
    attachments.add(db, actor(db, "vanphong"), "task", task, "ke-hoach.docx", f.docx_file())
    at = open_page("lanhdao", TASKS_PAGE, ma=str(task))
    assert "ke\\-hoach\\.docx" in texts(at)
    assert at.get("download_button")
    assert not at.get("file_uploader")
    assert not [b for b in at.button if "_remove_" in (b.key or "")]


def test_the_headquarters_and_documents_pages_draw_their_panels(db):
    at = open_page("vanphong", "pages/hq.py")
    pick = at.selectbox(key="hq_files_pick")
    pick.select_index(0).run()
    assert not at.exception
    assert "Chưa có tệp minh chứng nào." in [c.value for c in at.caption]
    assert any((w.key or "").startswith("hq_files_") for w in at.get("file_uploader"))

    at = open_page("vanphong", "pages/documents.py")
    assert not at.exception
    assert any((w.key or "").startswith("docs_files_") for w in at.get("file_uploader"))
    at = open_page("dp.lucngan", "pages/documents.py")  # documents are the office's
    assert not at.get("file_uploader")


def test_the_model_wards_page_offers_files_to_the_wards_focal_point(db):
    at = open_page("dp.bacgiang", "pages/wards.py")
    at.selectbox(key="wards_files_pick").select_index(0).run()
    assert not at.exception
    assert any((w.key or "").startswith("wards_files_") for w in at.get("file_uploader"))
