"""Evidence files through the write engine: stored, listed, downloaded byte for byte and removed (the
record kept), on both databases; who may attach where; a refused file writes nothing and is audited."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from lib.core import config
from lib.core.roles import PermissionDenied, Refused
from lib.data import attachments as reads
from lib.data.db import transaction
from lib.data.models import (
    REQUEST_KINDS,
    Attachment,
    AttachmentContent,
    AuditEvent,
    Document,
    HqProject,
    Locality,
    ModelWard,
    Task,
    TaskRequest,
    Unit,
)
from lib.editing import actions, attachments
from lib.ops.seed import seed_demo
from tests.support import evidence_files as f
from tests.support.edit_machinery import actor

MIB = 1024 * 1024


@pytest.fixture
def demo(engine):
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    return engine


def task_of(engine, locality_code):
    with transaction(engine) as s:
        return s.scalar(
            select(Task.id)
            .join(Locality, Locality.id == Task.locality_id)
            .where(Locality.code == locality_code)
            .order_by(Task.id)
            .limit(1)
        )


def unit_row_of(engine, model, locality_code):
    with transaction(engine) as s:
        return s.scalar(
            select(model.id)
            .join(Unit, Unit.id == model.unit_id)
            .join(Locality, Locality.id == Unit.locality_id)
            .where(Locality.code == locality_code)
            .order_by(model.id)
            .limit(1)
        )


def stored(engine):
    with transaction(engine) as s:
        return (
            s.scalar(select(func.count()).select_from(Attachment)),
            s.scalar(select(func.count()).select_from(AttachmentContent)),
        )


def last_event(engine):
    with transaction(engine) as s:
        return s.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))


def content(engine, attachment_id):
    with transaction(engine) as s:
        return reads.read_content(s, attachment_id)


def listed(engine, entity, row_id, **kw):
    with transaction(engine) as s:
        return reads.list_files(s, entity, row_id, **kw)


def test_a_coordinator_attaches_lists_downloads_and_removes_a_file_on_their_task(demo):
    task = task_of(demo, "luc-ngan")
    who = actor(demo, "dp.lucngan")
    data = f.pdf("Bao cao ket qua Luc Ngan")
    added = attachments.add(demo, who, "task", task, "Báo cáo kết quả.pdf", data, note="Bản ký số")
    assert not added.duplicate

    files = listed(demo, "task", task)
    assert [(x.filename, x.kind, x.size, x.uploaded_by, x.note) for x in files] == [
        ("Báo cáo kết quả.pdf", "pdf", len(data), "dp.lucngan", "Bản ký số")
    ]
    assert content(demo, added.attachment_id) == data  # byte for byte
    event = last_event(demo)
    assert (event.action, event.entity, event.row_id, event.actor) == ("attach", "task", task, "dp.lucngan")
    assert "Báo cáo kết quả.pdf" in event.new_value

    actions.perform(demo, who, attachments.remove, added.attachment_id, "Gửi nhầm bản")
    assert listed(demo, "task", task) == []
    kept = listed(demo, "task", task, with_removed=True)
    assert [(x.removed_by, x.removed_at is not None) for x in kept] == [("dp.lucngan", True)]
    assert stored(demo) == (1, 1)  # the record and its bytes stay
    assert content(demo, added.attachment_id) is None  # but are no longer served
    event = last_event(demo)
    assert (event.action, event.reason, event.old_value.startswith("Báo cáo kết quả.pdf")) == (
        "detach",
        "Gửi nhầm bản",
        True,
    )
    with pytest.raises(Refused, match=r"đã được dp\.lucngan gỡ"):
        actions.perform(demo, actor(demo, "vanphong"), attachments.remove, added.attachment_id)


def test_the_same_file_twice_on_a_row_is_told_not_stored_twice(demo):
    task = task_of(demo, "viet-yen")
    office = actor(demo, "vanphong")
    data = f.docx_file()
    first = attachments.add(demo, office, "task", task, "ke-hoach.docx", data)
    again = attachments.add(demo, office, "task", task, "ke-hoach (1).docx", data)
    assert (again.duplicate, again.attachment_id, again.filename) == (
        True,
        first.attachment_id,
        "ke-hoach.docx",
    )
    assert stored(demo) == (1, 1)
    other_task = task_of(demo, "bac-giang")
    attachments.add(demo, office, "task", other_task, "ke-hoach.docx", data)  # another row: its own copy
    assert stored(demo) == (2, 2)


def test_every_kind_of_row_takes_files_from_who_may_edit_it(demo):
    office = actor(demo, "vanphong")
    hq = unit_row_of(demo, HqProject, "viet-yen")
    ward = unit_row_of(demo, ModelWard, "bac-giang")
    with transaction(demo) as s:
        document = s.scalar(select(Document.id).order_by(Document.id).limit(1))
    attachments.add(demo, actor(demo, "dp.vietyen"), "hq_project", hq, "mat-bang.png", f.png())
    attachments.add(demo, actor(demo, "dp.bacgiang"), "model_ward", ward, "quyet-dinh.jpg", f.jpg())
    attachments.add(demo, office, "document", document, "van-ban.pdf", f.pdf())
    assert [x.kind for x in listed(demo, "hq_project", hq)] == ["png"]
    assert [x.kind for x in listed(demo, "model_ward", ward)] == ["jpg"]
    assert [x.kind for x in listed(demo, "document", document)] == ["pdf"]
    with pytest.raises(PermissionDenied, match="Chỉ văn phòng"):
        attachments.add(demo, actor(demo, "dp.vietyen"), "document", document, "x.pdf", f.pdf("x"))


def test_a_file_on_a_request_follows_the_scope_of_its_task(demo):
    task = task_of(demo, "luc-ngan")
    with transaction(demo, write=True) as s:
        version = s.get(Task, task).version
        request = TaskRequest(
            task_id=task,
            kind=REQUEST_KINDS[0],
            task_version=version,
            requested_by="dp.lucngan",
            requested_at=datetime(2026, 11, 29, 9, 0),
        )
        s.add(request)
        s.flush()
        request_id = request.id
    attachments.add(demo, actor(demo, "dp.lucngan"), "task_request", request_id, "bien-ban.pdf", f.pdf())
    assert len(listed(demo, "task_request", request_id)) == 1
    with pytest.raises(PermissionDenied):
        attachments.add(demo, actor(demo, "dp.yendung"), "task_request", request_id, "x.pdf", f.pdf("y"))


@pytest.mark.parametrize(
    ("username", "locality", "words"),
    [
        ("dp.yendung", "luc-ngan", "không thuộc phạm vi bạn phụ trách"),  # another locality's row
        ("lanhdao", "luc-ngan", "chỉ được xem"),
        ("dm.sotaichinh", "luc-ngan", "không thuộc phạm vi"),
    ],
)
def test_who_may_not_edit_the_row_attaches_nothing_and_the_refusal_is_audited(
    demo, username, locality, words
):
    task = task_of(demo, locality)
    with pytest.raises(PermissionDenied, match=words):
        attachments.add(demo, actor(demo, username), "task", task, "bao-cao.pdf", f.pdf())
    assert stored(demo) == (0, 0)
    event = last_event(demo)
    assert (event.actor, event.action, event.entity, event.row_id) == (username, "refused", "task", task)
    assert words in event.reason


def test_a_coordinator_cannot_remove_a_file_of_another_locality(demo):
    task = task_of(demo, "luc-ngan")
    added = attachments.add(demo, actor(demo, "vanphong"), "task", task, "bao-cao.pdf", f.pdf())
    with pytest.raises(PermissionDenied, match="không thuộc phạm vi"):
        attachments.remove_file(demo, actor(demo, "dp.bacgiang"), added.attachment_id)
    assert len(listed(demo, "task", task)) == 1
    assert last_event(demo).action == "refused"


@pytest.mark.parametrize(
    ("name", "make", "words"),
    [
        ("bao-cao.pdf", lambda: f.EXECUTABLE, "chương trình chạy được"),
        ("bao-cao.pdf", lambda: f.HTML, "HTML, SVG"),
        ("anh.png", lambda: f.SVG, "HTML, SVG"),
        ("bao-cao.docx", lambda: f.docx_bomb(300), "bom nén"),
        ("../../bao-cao.pdf", f.pdf, "đường dẫn"),
        ("bao-cao\x1b.pdf", f.pdf, "ký tự điều khiển"),
        ("lon.pdf", lambda: f.pdf(padding=11 * MIB), "quá giới hạn 10 MB"),
        ("rong.pdf", lambda: b"", "Tệp rỗng"),
    ],
)
def test_a_bad_file_is_refused_with_nothing_stored_and_the_refusal_audited(demo, name, make, words):
    task = task_of(demo, "luc-ngan")
    who = actor(demo, "dp.lucngan")
    with pytest.raises(Refused) as refused:
        attachments.add(demo, who, "task", task, name, make())
    assert words in refused.value.message
    assert "Không lưu tệp." in refused.value.message
    assert stored(demo) == (0, 0)
    event = last_event(demo)
    assert (event.actor, event.action, event.entity, event.row_id, event.field) == (
        "dp.lucngan",
        "refused_file",
        "task",
        task,
        "attachment",
    )
    assert words in event.reason


def test_a_missing_row_is_refused(demo):
    with pytest.raises(Refused, match="Không tìm thấy nhiệm vụ mã 987654"):
        attachments.add(demo, actor(demo, "vanphong"), "task", 987654, "bao-cao.pdf", f.pdf())
    assert stored(demo) == (0, 0)


_MEASURE = """
import re, sys
from pathlib import Path
from lib.core.roles import Refused
from lib.data.db import make_engine, transaction
from lib.data import attachments as reads
from lib.editing import attachments
from tests.support import evidence_files as f
from tests.support.edit_machinery import actor

def peak():
    # the peak resident size since the last reset, in MB (Linux: VmHWM)
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\\s+(\\d+)", status)[1]) / 1024

def reset():
    # start the peak again from the current resident size (Linux 4.0+)
    Path("/proc/self/clear_refs").write_text("5")
    return peak()

url, task, case, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
engine = make_engine(url)
who = actor(engine, "dp.lucngan")
warm = attachments.add(engine, who, "task", task, f"nho-{case}.pdf", f.pdf(case))  # imports, connections
with transaction(engine) as s:
    reads.read_content(s, warm.attachment_id)
data = path.read_bytes()  # one allocation, as an upload's bytes are
start = reset()
if case == "refuse":
    try:
        attachments.add(engine, who, "task", task, path.name, data)
        raise SystemExit("accepted")
    except Refused:
        pass
elif case == "store":
    attachments.add(engine, who, "task", task, path.name, data)
else:
    stored = attachments.add(engine, who, "task", task, path.name, data)
    del data
    start = reset()
    with transaction(engine) as s:
        back = reads.read_content(s, stored.attachment_id)
    grown = peak() - start
    assert back == path.read_bytes()
    print(start, grown)
    raise SystemExit(0)
print(start, peak() - start)
"""


@pytest.mark.parametrize(
    ("case", "size", "bound"),
    [("refuse", 11 * MIB, 5), ("store", 10 * MIB - 1000, 35), ("read", 10 * MIB - 1000, 45)],
)
def test_memory_of_refusing_storing_and_reading_a_large_file(demo, tmp_path, case, size, bound):
    """In a process of its own, the file read from disk in one piece (as an upload's bytes arrive):
    how much the peak resident size grows while the 11 MB file is refused, while a 10 MB file is
    stored (check, write, audit; the driver binds the bytes) and while it is read back."""
    task = task_of(demo, "luc-ngan")
    path = tmp_path / f"{case}.pdf"
    path.write_bytes(f.pdf(padding=size))
    url = demo.url.render_as_string(hide_password=False)
    run = subprocess.run(
        [sys.executable, "-c", _MEASURE, url, str(task), case, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    base, grown = (float(x) for x in run.stdout.split())
    print(
        f"[{demo.dialect.name}] {case} {size / MIB:.1f} MB: resident {base:.0f} MB, peak grew {grown:.1f} MB"
    )
    assert grown < bound
    assert len(listed(demo, "task", task)) == (1 if case == "refuse" else 2)


def test_a_received_yearly_report_attached_to_its_task_shows_in_the_list_and_the_report(demo):
    from docx import Document as WordDocument

    from lib.core.filters import Filters
    from lib.data import followup
    from lib.files import report
    from lib.ops.seed import DEMO_TODAY

    with transaction(demo) as s:
        yearly = [y for y in followup.yearly_reports(s, Filters(), DEMO_TODAY) if y.year == DEMO_TODAY.year]
    assert yearly and not any(y.files for y in yearly)
    target = yearly[0]
    attachments.add(demo, actor(demo, "vanphong"), "task", target.task_id, "bao-cao-nam.pdf", f.pdf("BC nam"))
    uploaded = config.today()  # the file is there from the day it was uploaded, not before
    with transaction(demo) as s:
        before = {y.task_id: y for y in followup.yearly_reports(s, Filters(), uploaded - timedelta(days=1))}
        after = {y.task_id: y for y in followup.yearly_reports(s, Filters(), uploaded)}
        year_end = report.build_report(s, None, uploaded, 90)
    assert before[target.task_id].evidence == ""
    assert after[target.task_id].evidence == "Có tệp báo cáo"
    assert [y.task_id for y in after.values() if y.files] == [target.task_id]
    text = "\n".join(p.text for p in WordDocument(io.BytesIO(report.report_docx(year_end))).paragraphs)
    assert "1 báo cáo có tệp báo cáo đính kèm" in text
