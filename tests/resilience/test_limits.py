"""Input limits through the tasks page: a 1 MB cell, more rows than a page holds. Refused with a
message, nothing kept in the session, and the process's memory stays flat over many tries."""

import gc
import tracemalloc

import pytest

from lib.editing.drafts import MAX_CELL_CHARS
from tests.support.apptest import edit, open_tasks
from tests.support.caches import clear_caches

MEGABYTE_OF_TEXT = "Dán nhầm cả một tệp vào ô. " * 40_000  # about 1 MB
NO_CHANGES = "Không có thay đổi chưa lưu."


@pytest.fixture(autouse=True)
def _demo_app(monkeypatch, demo_copy):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{demo_copy}")
    monkeypatch.setenv("DASHBOARD_ENV", "demo")
    clear_caches()


def _errors(at) -> str:
    return " ".join(e.value for e in at.error)


def _pending_text(at) -> str:
    return " ".join(m.value for m in at.markdown if "thay đổi chưa lưu" in m.value)


def test_a_one_megabyte_cell_is_refused_and_never_kept():
    assert len(MEGABYTE_OF_TEXT) > 1_000_000 > MAX_CELL_CHARS
    at = open_tasks("dp.lucngan")
    edit(at, {0: {"notes": "Ghi chú bình thường"}, 1: {"notes": MEGABYTE_OF_TEXT}})
    assert "quá giới hạn 10.000 ký tự của một ô" in _errors(at)
    assert "Ghi chú" in _errors(at) and "dòng 2" in _errors(at)
    # All or nothing: the ordinary edit sent with it is not kept either; the user redoes it.
    assert NO_CHANGES in _pending_text(at) or "0 thay đổi" in _pending_text(at)
    assert not any(MEGABYTE_OF_TEXT[:50] in str(v) for v in at.session_state["tasks_drafts"].drafts.values())


def test_more_rows_than_the_page_holds_are_refused():
    at = open_tasks("dp.lucngan")
    edit(at, {position: {"notes": f"dòng {position}"} for position in range(600)})
    assert "không có trong bảng đang hiển thị" in _errors(at)
    assert "thay đổi chưa lưu" not in _pending_text(at).replace(NO_CHANGES, "")


def test_memory_stays_flat_over_many_oversized_pastes():
    at = open_tasks("dp.lucngan")
    edit(at, {0: {"notes": MEGABYTE_OF_TEXT}})  # warm every path once
    gc.collect()
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        for round_no in range(20):
            edit(at, {round_no % 5: {"notes": MEGABYTE_OF_TEXT + str(round_no)}})
            assert "quá giới hạn" in _errors(at)
        gc.collect()
        end, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    growth_mb, peak_mb = (end - start) / 1e6, (peak - start) / 1e6
    print(f"20 pastes of 1 MB: retained {growth_mb:.1f} MB, peak {peak_mb:.1f} MB above the start")
    assert growth_mb < 5  # nothing of the 20 MB pasted is retained
    assert peak_mb < 40  # a few copies of one paste at a time, not all of them


# --- editor states no real editor sends ------------------------------------------------------------


def _save_note_works_afterwards(at):
    """The page stays usable: an ordinary edit is staged and saved."""
    edit(at, {0: {"notes": "Đã rà soát"}})
    assert "1 thay đổi chưa lưu" in _pending_text(at)
    at.button(key="tasks_save").click().run()
    assert not at.exception and NO_CHANGES in _pending_text(at)


@pytest.mark.parametrize(
    ("edited", "message"),
    [
        ({0: {"notes": "a\ud800b"}}, "Ô “Ghi chú” ở dòng 1 chứa ký tự không hợp lệ (mã Unicode lẻ"),
        ({0: {"not_a_column": "x"}}, "Bảng không có cột “not_a_column”"),
        ({0: {"notes": ["a", "list"]}}, "Ô “Ghi chú” ở dòng 1: giá trị không đúng dạng của một ô"),
        ({0: "not a row"}, "Dữ liệu chỉnh sửa dòng 1 không đúng dạng"),
    ],
)
def test_a_broken_editor_state_is_refused_with_a_message_and_the_page_stays_usable(edited, message):
    at = open_tasks("dp.lucngan")
    edit(at, edited)  # asserts no exception: once a traceback (UnicodeEncodeError, KeyError in Streamlit)
    assert message in _errors(at)
    assert NO_CHANGES in _pending_text(at)
    at.run()  # the refused state does not come back on the next rerun
    assert not at.exception and message not in _errors(at)
    _save_note_works_afterwards(at)


def test_discard_works_whatever_the_drafts_hold():
    at = open_tasks("dp.lucngan")
    edit(at, {0: {"notes": "Ghi chú"}, 1: {"progress_pct": "không phải số"}})
    assert "2 thay đổi chưa lưu" in _pending_text(at)
    at.button(key="tasks_discard").click().run()
    assert not at.exception and NO_CHANGES in _pending_text(at)
