"""An evidence file in Chromium: a focal point opens their task's detail section on /nhiem-vu, uploads a
PDF, sees it listed, and downloads it back — the same bytes, under its own name, as an attachment; a
program named like a PDF is refused on the page and nothing is stored."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lib.data.db import make_engine, transaction
from lib.data.models import Attachment, AuditEvent, Locality, Task
from tests.support import evidence_files as f
from tests.support.browser import download, sign_in, wait_idle
from tests.support.demo import AS_OF

pytestmark = pytest.mark.browser
USER = "dp.lucngan"
NAME = "Biên bản nghiệm thu trụ sở.pdf"


def test_a_focal_point_uploads_a_pdf_on_their_task_and_downloads_it_byte_for_byte(
    browser, app_server, tmp_path
):
    base = app_server()
    engine = make_engine(f"sqlite:///{next(tmp_path.glob('app*.db'))}")
    with transaction(engine) as s:
        task = s.scalar(
            select(Task.id)
            .join(Locality, Locality.id == Task.locality_id)
            .where(Locality.code == "luc-ngan")
            .order_by(Task.id)
            .limit(1)
        )
    data = f.pdf("Bien ban nghiem thu", padding=300_000)
    context = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        sign_in(page, base, USER, path=f"/nhiem-vu?ngay={AS_OF.isoformat()}&dia_ban=luc-ngan&ma={task}")
        # ?ma= opens the row's detail
        expect(page.locator(f".st-key-tasks_files_{task}_upload")).to_be_visible(timeout=30_000)
        wait_idle(page)
        uploader = page.locator(
            f".st-key-tasks_files_{task}_upload [data-testid='stFileUploaderDropzoneInput']"
        )
        uploader.set_input_files(files=[{"name": NAME, "mimeType": "application/pdf", "buffer": data}])
        expect(page.get_by_role("button", name=f"Remove {NAME}")).to_be_visible(timeout=30_000)  # sent
        wait_idle(page)
        page.get_by_role("button", name="Tải lên").click()
        expect(page.get_by_text(f"Đã lưu tệp “{NAME}”.")).to_be_visible(timeout=30_000)

        with transaction(engine) as s:
            stored = s.scalars(
                select(Attachment).where(Attachment.entity == "task", Attachment.row_id == task)
            ).all()
            event = s.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert [(a.filename, a.kind, a.size, a.uploaded_by) for a in stored] == [
            (NAME, "pdf", len(data), USER)
        ]
        assert (event.action, event.actor, event.row_id) == ("attach", USER, task)

        got = download(
            page, page.locator(f".st-key-tasks_files_{task}_get_{stored[0].id}").get_by_role("button")
        )
        assert got.suggested_filename == NAME
        assert got.path().read_bytes() == data  # byte for byte
        # Saved, never shown: an attachment of a generic type, which the browser may not sniff.
        headers = context.request.get(got.url).headers
        assert headers["content-disposition"].startswith("attachment;")
        assert headers["content-type"] == "application/octet-stream"
        assert headers["x-content-type-options"] == "nosniff"

        # A program named like a report is refused in the page, in Vietnamese, and nothing is stored.
        fake = "Báo cáo quý IV.pdf"
        wait_idle(page)
        uploader.set_input_files(
            files=[{"name": fake, "mimeType": "application/pdf", "buffer": b"MZ\x90\x00" + b"\x00" * 4096}]
        )
        expect(page.get_by_role("button", name=f"Remove {fake}")).to_be_visible(timeout=30_000)
        wait_idle(page)
        page.get_by_role("button", name="Tải lên").click()
        expect(page.get_by_text("Tệp là chương trình chạy được (không phải tài liệu)")).to_be_visible(
            timeout=30_000
        )
        with transaction(engine) as s:
            names = s.scalars(
                select(Attachment.filename).where(Attachment.entity == "task", Attachment.row_id == task)
            ).all()
        assert names == [NAME]
    finally:
        context.close()
        engine.dispose()
