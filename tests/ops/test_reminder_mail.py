"""Reminder letters mailed through a real SMTP server on localhost (aiosmtpd): the message reaches the
addressee with the letter as a .docx that python-docx opens; a failed send keeps the letter issued
and stores why, in Vietnamese."""

from __future__ import annotations

import io
from datetime import date, datetime

import docx
import pytest
from sqlalchemy import select

from lib.core.config import ConfigError, load_settings
from lib.core.filters import Filters
from lib.data import followup
from lib.data.db import transaction
from lib.data.models import Reminder
from lib.editing import actions, reminders
from lib.editing.reminders import LetterForm
from lib.ops import mail
from lib.ops import reminders as issuing
from lib.ops.seed import DEMO_TODAY, seed_demo
from tests.support.edit_machinery import actor
from tests.support.smtp import free_port, smtp_server

FORM = LetterForm(
    number="125/CAT-PV01", issued_on=DEMO_TODAY, signer="Nguyễn Văn An", reply_by=date(2026, 12, 10)
)
NOW = datetime(2026, 11, 29, 9)


@pytest.fixture
def demo(engine):
    with transaction(engine, write=True) as s:
        seed_demo(s, history=False)
    return engine


def chase(engine, addresses):
    """The first addressees, given these addresses (None: left without one)."""
    with transaction(engine) as s:
        found = followup.addressees(s, Filters(), DEMO_TODAY, 30)[: len(addresses)]
    for a, address in zip(found, addresses, strict=True):
        if address:
            actions.perform(
                engine, actor(engine, "admin"), reminders.set_agency_email, a.agency_id, address, now=NOW
            )
    return found


def issue(engine, ids, smtp_url):
    return issuing.issue_letters(
        engine,
        actor(engine, "vanphong"),
        ids,
        FORM,
        filters=Filters(),
        due_soon_days=30,
        smtp_url=smtp_url,
        now=NOW,
        today=DEMO_TODAY,
    )


def statuses(engine):
    with transaction(engine) as s:
        return [
            (r.number, r.emailed_to, r.email_status)
            for r in s.scalars(select(Reminder).order_by(Reminder.id))
        ]


def test_each_letter_reaches_its_addressee_as_a_docx(demo):
    first, second = chase(demo, ["vp.a@bacninh.gov.vn", "vp.b@bacninh.gov.vn"])
    with smtp_server() as (url, box):
        done = issue(demo, [first.agency_id, second.agency_id], url)
    assert [to for to, _ in box.messages] == [["vp.a@bacninh.gov.vn"], ["vp.b@bacninh.gov.vn"]]
    _to, message = box.messages[0]
    assert message["To"] == "vp.a@bacninh.gov.vn"
    assert message["From"] == "vanphong@congan.bacninh.gov.vn"
    assert message["Subject"] == (
        "Công văn số 125/CAT-PV01 ngày 29/11/2026 v/v đôn đốc thực hiện nhiệm vụ Đề án 30/ĐA-BCA và Đề án 885"
    )
    files = [p for p in message.iter_attachments() if p.get_filename().endswith(".docx")]
    assert len(files) == 1
    opened = docx.Document(io.BytesIO(files[0].get_content()))
    assert f"Kính gửi: {first.name}" in [p.text for p in opened.paragraphs]
    assert statuses(demo) == [
        ("125/CAT-PV01", "vp.a@bacninh.gov.vn", "sent"),
        ("126/CAT-PV01", "vp.b@bacninh.gov.vn", "sent"),
    ]
    assert done.failed == []


def test_a_refused_recipient_keeps_the_letter_and_says_why(demo):
    first, second, third = chase(demo, ["bad@bacninh.gov.vn", "ok@bacninh.gov.vn", None])
    with smtp_server() as (url, box):
        box.refuse.add("bad@bacninh.gov.vn")
        done = issue(demo, [first.agency_id, second.agency_id, third.agency_id], url)
    assert [to for to, _ in box.messages] == [["ok@bacninh.gov.vn"]]
    assert statuses(demo) == [
        ("125/CAT-PV01", "bad@bacninh.gov.vn", "máy chủ thư từ chối địa chỉ nhận bad@bacninh.gov.vn."),
        ("126/CAT-PV01", "ok@bacninh.gov.vn", "sent"),
        ("127/CAT-PV01", "", issuing.NO_ADDRESS),
    ]
    assert [letter.number for letter, _ in done.failed] == ["125/CAT-PV01", "127/CAT-PV01"]


def test_a_server_that_cannot_be_reached_loses_no_letter(demo):
    (first,) = chase(demo, ["vp.a@bacninh.gov.vn"])
    port = free_port()  # nothing listens there
    issue(demo, [first.agency_id], f"smtp://127.0.0.1:{port}")
    ((number, to, status),) = statuses(demo)
    assert (number, to) == ("125/CAT-PV01", "vp.a@bacninh.gov.vn")
    assert status == f"không kết nối được máy chủ thư 127.0.0.1:{port} (ConnectionRefusedError)."


def test_without_smtp_url_nothing_is_mailed(demo):
    (first,) = chase(demo, ["vp.a@bacninh.gov.vn"])
    issue(demo, [first.agency_id], "")
    assert statuses(demo) == [("125/CAT-PV01", "", "")]


def test_smtp_url_is_read_and_a_wrong_one_stops_the_app_with_a_message():
    assert load_settings({}).smtp_url == ""
    url = "smtp://van%40phong:p%C3%A1ss@mail.bacninh.gov.vn:587?starttls=1&from=vanphong@bacninh.gov.vn"
    assert load_settings({"SMTP_URL": url}).smtp_url == url
    server = mail.Server.parse(url)
    assert (server.host, server.port, server.user, server.password, server.starttls, server.tls) == (
        "mail.bacninh.gov.vn",
        587,
        "van@phong",
        "páss",
        True,
        False,
    )
    assert server.sender == "vanphong@bacninh.gov.vn"
    assert mail.Server.parse("smtps://mail.example.vn").port == 465
    for wrong in ("mail.bacninh.gov.vn:25", "http://mail.example.vn", "smtp://mail.example.vn:port"):
        with pytest.raises(ConfigError, match="SMTP_URL không hợp lệ"):
            load_settings({"SMTP_URL": wrong})
