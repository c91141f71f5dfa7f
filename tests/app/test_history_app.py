"""/lich-su in words (AppTest): "what changed since the last meeting" opens from a link, groups by
locality, and remembers the user's meeting date; the trail's filters speak Vietnamese."""

from datetime import date

import pytest
from sqlalchemy import select

from lib.data import accounts
from lib.data.db import make_engine, transaction
from lib.data.models import User
from tests.support.apptest import open_page

pytestmark = pytest.mark.usefixtures("fresh_caches")


@pytest.fixture
def db(monkeypatch, demo_copy):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo_copy}")
    monkeypatch.setenv("DASHBOARD_ENV", "demo")
    return make_engine(f"sqlite:///{demo_copy}")


def meeting_of(db, username):
    with transaction(db) as s:
        return accounts.last_meeting(s, s.scalar(select(User.id).where(User.username == username)))


def test_a_leader_opens_changes_since_a_date_keeps_it_as_the_last_meeting_and_finds_it_again(db):
    at = open_page("lanhdao", "pages/history.py", tu="2026-01-01")
    assert not at.exception, at.exception
    assert at.date_input(key="history_since").value == date(2026, 1, 1)
    heading = [h.value for h in at.subheader if h.value.startswith("Từ ngày 01/01/2026:")]
    assert heading and "nhiệm vụ mới quá hạn" in heading[0]
    assert any("Mới quá hạn" in m.value for m in at.markdown)
    at.button(key="history_since_keep").click().run()
    assert not at.exception, at.exception
    assert meeting_of(db, "lanhdao") == date(2026, 1, 1)
    assert meeting_of(db, "vanphong") is None  # per user

    again = open_page("lanhdao", "pages/history.py")
    assert again.date_input(key="history_since").value == date(2026, 1, 1)
    assert any("Ngày họp trước của bạn: 01/01/2026" in c.value for c in again.caption)
    # The trail's boxes say "Tất cả" rather than an English placeholder.
    boxes = {b.key: b for b in again.selectbox}
    assert all(
        boxes[k].placeholder == "Tất cả" for k in ("history_locality", "history_user", "history_entity")
    )


def test_a_mistyped_date_in_the_link_keeps_saying_so(db):
    at = open_page("lanhdao", "pages/history.py", tu="31/02/2026")
    expected = "Ngày “31/02/2026” không hợp lệ"
    assert any(w.value.startswith(expected) for w in at.warning)
    at.run()
    assert any(w.value.startswith(expected) for w in at.warning)
    at.date_input(key="history_since").set_value(date(2026, 11, 1)).run()
    assert not any(w.value.startswith(expected) for w in at.warning)
