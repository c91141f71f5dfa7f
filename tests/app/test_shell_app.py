"""What every rerun re-checks, through the app (AppTest): a signed-in run builds no sign-in form and
keeps no copy of who is signed in, so a revoked session, a sign-out and a changed scope all count
from the very next run."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from lib.core import config
from lib.data import accounts
from lib.data.db import make_engine, transaction
from lib.data.models import AuthSession, Locality, Task, User, UserScope
from tests.support.apptest import open_tasks

pytestmark = pytest.mark.usefixtures("fresh_caches")

LOGIN_LABELS = ["Tên đăng nhập", "Mật khẩu"]


@pytest.fixture
def db(monkeypatch, demo_copy):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo_copy}")
    monkeypatch.setenv("DASHBOARD_ENV", "demo")
    engine = make_engine(f"sqlite:///{demo_copy}")
    yield engine
    engine.dispose()


def _tasks_of(db, code: str) -> set[int]:
    with transaction(db) as s:
        return set(
            s.scalars(
                select(Task.id).join(Locality, Locality.id == Task.locality_id).where(Locality.code == code)
            )
        )


def _shown(at) -> set[int]:
    return {r.row_id for r in at.session_state["tasks_shown"]}


def test_a_scope_changed_while_signed_in_counts_from_the_next_run(db):
    at = open_tasks("dp.lucngan")
    luc_ngan, viet_yen = _tasks_of(db, "luc-ngan"), _tasks_of(db, "viet-yen")
    assert _shown(at) and _shown(at) <= luc_ngan
    with transaction(db, write=True) as s:  # by hand: no data version is raised
        user_id = s.scalar(select(User.id).where(User.username == "dp.lucngan"))
        s.execute(delete(UserScope).where(UserScope.user_id == user_id))
        s.add(
            UserScope(
                user_id=user_id, locality_id=s.scalar(select(Locality.id).where(Locality.code == "viet-yen"))
            )
        )
    at.run()
    assert not at.exception
    assert _shown(at) and _shown(at) <= viet_yen
    assert any("Thị xã Việt Yên" in i.value and "phạm vi" in i.value for i in at.info)


def test_a_session_revoked_elsewhere_signs_out_on_the_next_run(db):
    at = open_tasks("dp.lucngan")
    assert _shown(at)
    with transaction(db, write=True) as s:  # as another server process would
        accounts.end_session(s, at.session_state["_auth_session_id"], config.now(), "admin")
    at.run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["Phiên đăng nhập đã bị thu hồi. Vui lòng đăng nhập lại."]
    assert [t.label for t in at.text_input] == LOGIN_LABELS
    assert "Danh sách nhiệm vụ" not in [t.value for t in at.title]


def test_signing_out_ends_the_session_and_the_next_runs_stay_signed_out(db):
    at = open_tasks("dp.lucngan")
    key = at.session_state["_auth_session_id"]
    at.button(key="auth_logout").click().run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["Đã đăng xuất."]
    assert [t.label for t in at.text_input] == LOGIN_LABELS
    with transaction(db) as s:
        assert s.scalar(select(AuthSession.revoked_reason).where(AuthSession.browser_key == key)) == "logout"
    at.run()
    assert not at.exception
    assert [t.label for t in at.text_input] == LOGIN_LABELS
    assert "Danh sách nhiệm vụ" not in [t.value for t in at.title]
    assert not at.sidebar.button
