"""The task editor on a running server, over Streamlit's own protocol (bench/protocol/client.py).

The editor is an st.fragment (lib/ui/editor.py): a cell edit reruns the table alone, which a running
server does and AppTest does not (it reruns the whole script). Its save skips the app's sign-in run,
so the save checks the session itself: these tests would pass a revoked session's write otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bench.load.journeys import TASKS_TITLE
from bench.protocol.client import ProtocolError, Run
from bench.protocol.journey import EDITOR_KEY, NOTES, Coordinator, _column
from lib.core import config
from lib.data import accounts
from lib.data.db import make_engine, transaction
from lib.data.models import AuditEvent, Task, User
from tests.support.databases import copy_sqlite
from tests.support.server import running_server

pytestmark = pytest.mark.slow


@pytest.fixture
def served(tmp_path: Path, demo_sqlite_file: Path) -> Iterator[tuple[str, str]]:
    """A server on a copy of the demo database: (its base URL, the database URL)."""
    db = tmp_path / "app.db"
    copy_sqlite(demo_sqlite_file, db)
    url = f"sqlite:///{db}"
    with running_server(url, tmp_path / "server.log") as server:
        yield server.base_url, url


def _editing(base_url: str) -> Coordinator:
    who = Coordinator(base_url, 0, "Ghi chú thử")  # dp.lucngan, the first row of their page
    who.open()
    who.sign_in()
    who.load_tasks()
    who.edit()
    return who


def _grid(who: Coordinator) -> bytes:
    return bytes(who.session.widget("dataframe", id_contains=EDITOR_KEY).arrow_data.data)


def _notes(url: str, task_id: int) -> str | None:
    engine = make_engine(url)
    try:
        with transaction(engine) as s:
            return s.scalar(select(Task.notes).where(Task.id == task_id))
    finally:
        engine.dispose()


def test_a_cell_edit_reruns_the_table_alone_and_a_save_the_whole_page(served):
    base_url, url = served
    who = _editing(base_url)
    try:
        edit = who.session.last
        assert edit.fragment  # the browser's rerun of the editor's fragment, and the server's
        drawn = edit.texts()
        assert "1 thay đổi chưa lưu" in " ".join(drawn)
        assert TASKS_TITLE not in drawn  # the page around the table was not drawn again
        assert who.draft is not None
        task_id, typed = who.draft.row_id, who.draft.value

        who.save()
        saved = who.session.last
        assert not saved.fragment and saved.runs == 2  # the click, then the whole page again

        # The click's run saved before drawing the grid, which the page's run draws anyway.
        def grids(run: Run) -> list[object]:
            return [d for d in run.of("dataframe") if EDITOR_KEY in d.id]

        assert grids(saved) and not grids(Run(elements=saved.earlier))
        # and said nothing: the page's run says it (a toast sent just before st.rerun() never showed in a
        # browser), once
        assert saved.toasts == ["Đã lưu 1 ô trong 1 dòng."]
        assert TASKS_TITLE in saved.texts() and "Đã lưu 1 ô trong 1 dòng." in saved.texts()
        assert _notes(url, task_id) == typed
    finally:
        who.close()


def test_a_save_after_the_session_was_revoked_writes_nothing_and_signs_out(served):
    base_url, url = served
    who = _editing(base_url)
    try:
        assert who.draft is not None
        task_id, before = who.draft.row_id, _notes(url, who.draft.row_id)
        engine = make_engine(url)
        with transaction(engine, write=True) as s:
            user_id = s.scalar(select(User.id).where(User.username == "dp.lucngan"))
            assert user_id is not None
            assert accounts.revoke_user_sessions(s, user_id, config.now(), "admin") >= 1

        with pytest.raises(ProtocolError, match="save refused"):
            who.save()
        shown = " ".join(who.session.last.texts())
        assert "Phiên đăng nhập đã bị thu hồi" in shown
        who.session.widget("text_input", "Tên đăng nhập")  # the sign-in form, nothing else
        assert _notes(url, task_id) == before
        with transaction(engine) as s:
            assert not s.scalars(select(AuditEvent).where(AuditEvent.field == "notes")).all()
        engine.dispose()
    finally:
        who.close()


def test_the_grid_keeps_its_own_edit_and_a_draft_it_no_longer_holds_is_drawn_into_the_table(served):
    base_url, _url = served
    who = Coordinator(base_url, 0, "Ghi chú thử")
    try:
        who.open()
        who.sign_in()
        who.load_tasks()
        before = _grid(who)
        who.edit()
        assert who.draft is not None
        # The table the browser gets back after the edit is the one it edited: a changed table made
        # the grid drop its edit and send an empty state, a second run for every edit.
        assert _grid(who) == before
        assert _column(before, NOTES)[0] != who.draft.value

        who.load_overview()  # the editor is not drawn: the grid's edits are gone, the draft stays
        who.load_tasks()
        assert _column(_grid(who), NOTES)[0] == who.draft.value
        assert who.session.shows("1 thay đổi chưa lưu")
    finally:
        who.close()
