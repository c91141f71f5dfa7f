"""Property-based tests of the save path, and the staged drafts that feed it.

Hypothesis draws edit sets (1–4 rows of a handful of demo tasks, 1–4 cells each, valid and invalid
values mixed) and saves them through `actions.perform` exactly as the editor does. Every save must
either land exactly as submitted, or be refused (`Refused`) with the task table untouched and the
refusal recorded; nothing else may escape. An independent model of the rules also says which of
the two must happen, so a save refused without reason fails as surely as a bad value written.

One seeded database per test function; rows a landed save changed are put back after each example,
so every example starts from the same rows and a failure shrinks and replays.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from lib import accounts, actions
from lib.db import transaction
from lib.drafts import DraftBook, ShownRow
from lib.edits import TASK_FIELDS, TASKS, ConflictError, RowChange, ValidationFailed, apply_changes
from lib.models import AuditEvent, Locality, Task, User
from lib.roles import PermissionDenied, Refused
from lib.seed import seed_demo
from lib.validation import Invalid

NOW = datetime(2026, 11, 29, 10, 0)
TODAY = date(2026, 11, 29)
EARLIEST, LATEST = date(2023, 1, 1), date(2035, 12, 31)

# Examples per test: at least 1,000 in all on SQLite; PostgreSQL round-trips cost more.
EXAMPLES = {
    "sqlite": {"vanphong": 700, "dp.lucngan": 400},
    "postgresql": {"vanphong": 150, "dp.lucngan": 100},
}

# Inputs lib/ once failed to turn into a clean refusal (lone surrogates, numbers past int()'s 4,300
# digits, a NUL quoted back in a refusal on PostgreSQL) are drawn too; True would leave them out.
AVOID_KNOWN_BUGS = False

# --- value strategies -------------------------------------------------------------------------

VIETNAMESE = (
    "Đã hoàn thành",
    "Nguyễn Thị Hằng",
    "Công an phường Trần Nguyên Hãn",
    "Ủy ban nhân dân huyện Lục Ngạn",
    "15/BC-UBND ngày 12/11/2026",
    "Hoa\u0300 Bi\u0300nh",  # decomposed
    "Nguye\u0302\u0303n",
    "Đắk Lắk",
    "  khoảng trắng  ",
    "dòng 1\ndòng 2",
    "dòng 1\r\ndòng 2",
    "\n",
    "tab\tgiữa",
    "😀 🇻🇳 👩‍👩‍👧",
)
CONTROLS = ("\x00", "\x07", "\x1b", "\x1b[31m", "\x0b", "\x7f", "\u202e", "\u2066")
LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵĐƯƠ "


def _long(pieces: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Strings around the 200 and 2,000 character limits, built by repetition (cheap to draw)."""
    return st.builds(
        lambda piece, n: (piece * n)[:n] if len(piece) == 1 else piece * (n // len(piece) or 1),
        pieces,
        st.sampled_from((199, 200, 201, 1999, 2000, 2001, 3000)),
    )


TEXT = st.one_of(
    st.sampled_from(VIETNAMESE),
    st.text(max_size=30),  # arbitrary Unicode, controls and unassigned code points included
    st.text(st.sampled_from(LETTERS + "\n\r\t" + "😀🇻" + "".join(CONTROLS)), max_size=40),
    st.builds(
        lambda a, c, b: a + c + b, st.sampled_from(VIETNAMESE), st.sampled_from(CONTROLS), st.text(max_size=5)
    ),
    _long(st.sampled_from(("đ", "ệ", "😀", "a\u0300", "x", "ab\n"))),
    st.sampled_from((None, "", float("nan"), 5, 1.5, True, date(2024, 1, 1))),
)


def _echoed(strings: st.SearchStrategy[str], backend: str) -> st.SearchStrategy[str]:
    """Strings a refusal message quotes back: PostgreSQL cannot store NUL in the audit trail."""
    if AVOID_KNOWN_BUGS and backend == "postgresql":
        return strings.map(lambda s: s.replace("\x00", "?"))
    return strings


def progress_values(backend: str) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.integers(0, 100),
        st.integers(0, 100),
        st.sampled_from((0, 100, -1, 101, 10**20, -(10**20))),
        st.integers(-1000, 1000),
        st.integers(0, 100).map(float),
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(-50, 150).map(str),
        st.sampled_from(("55", " 55 ", "1.000", "12.5", "1.5", "12,5", "50%", "+5", "", "abc", "١٠")),
        st.from_regex(r"-?[0-9]{1,60}", fullmatch=True),  # long digit strings, under int()'s limit
        st.booleans(),
        st.none(),
        _echoed(st.text(max_size=10), backend),
    )


def _written_as(d: date, how: int) -> Any:
    return (
        d,
        d.isoformat(),
        f"{d:%d/%m/%Y}",
        f"{d.isoformat()}T08:30:00",
        f"{d.isoformat()} 23:59:59",
        datetime.combine(d, datetime.min.time()),
    )[how]


def date_values(backend: str) -> st.SearchStrategy[Any]:
    in_range_past = st.dates(EARLIEST, TODAY)
    anywhere = st.dates(date(2000, 1, 1), date(2045, 12, 31))
    edges = st.sampled_from(
        (EARLIEST, LATEST, EARLIEST - timedelta(1), LATEST + timedelta(1), TODAY, TODAY + timedelta(1))
    )
    return st.one_of(
        st.builds(_written_as, st.one_of(in_range_past, in_range_past, anywhere, edges), st.integers(0, 5)),
        st.sampled_from((None, "", "31/02/2024", "2024-13-01", "hôm qua", "2024/05/01", 20240501, 1.5)),
        _echoed(st.text(max_size=12), backend),
    )


def state_values(backend: str) -> st.SearchStrategy[Any]:
    codes = ("chua_trien_khai", "dang_thuc_hien", "hoan_thanh", "tam_dung", "huy")
    labels = ("Chưa triển khai", "Đang thực hiện", "Hoàn thành", "Tạm dừng", "Hủy", " Hoàn thành ")
    junk = ("xong", "HOAN_THANH", "hoàn thành", "Hoa\u0300n tha\u0300nh", "", None, 3)
    return st.one_of(
        st.sampled_from(codes),
        st.sampled_from(labels),
        st.sampled_from(junk),
        _echoed(st.text(max_size=8), backend),
    )


def value_strategies(backend: str) -> dict[str, st.SearchStrategy[Any]]:
    dates, text, progress = date_values(backend), TEXT, progress_values(backend)
    if not AVOID_KNOWN_BUGS:
        text = st.one_of(text, st.text(st.characters(categories=["Cs", "Ll"]), min_size=1, max_size=5))
        progress = st.one_of(progress, st.integers(4301, 6000).map(lambda n: "9" * n))
    return {
        "state": state_values(backend),
        "progress_pct": progress,
        "completed_on": dates,
        "result": text,
        "result_doc": text,
        "obstacles": text,
        "notes": text,
        "current_deadline": dates,
        "extension_doc": text,
    }


# Values every parser accepts (the task rules may still refuse the row), so that saves land often.
ONE_LINE_TEXT = st.one_of(
    st.sampled_from([v for v in VIETNAMESE if "\n" not in v and "\r" not in v]),
    st.text(st.sampled_from(LETTERS + "😀🇻-/."), min_size=1, max_size=60),
)
MULTILINE_TEXT = st.one_of(
    ONE_LINE_TEXT, st.sampled_from(VIETNAMESE), st.text(st.sampled_from(LETTERS + "\n"), max_size=80)
)
VALID = {
    "state": st.sampled_from(
        ("chua_trien_khai", "dang_thuc_hien", "hoan_thanh", "Hoàn thành", "Đang thực hiện", "tam_dung", "Hủy")
    ),
    "progress_pct": st.one_of(st.sampled_from((0, 100)), st.integers(0, 100), st.integers(0, 100).map(str)),
    "completed_on": st.one_of(
        st.none(), st.none(), st.none(), st.builds(_written_as, st.dates(EARLIEST, TODAY), st.integers(0, 5))
    ),
    "result": MULTILINE_TEXT,
    "result_doc": ONE_LINE_TEXT,
    "obstacles": MULTILINE_TEXT,
    "notes": MULTILINE_TEXT,
    "current_deadline": st.builds(_written_as, st.dates(EARLIEST, LATEST), st.integers(0, 5)),
    "extension_doc": ONE_LINE_TEXT,
}


# A row marked done in one go: what it needs, each part sometimes missing or wrong.
COMPLETION = st.fixed_dictionaries(
    {
        "state": st.sampled_from(("hoan_thanh", "Hoàn thành")),
        "progress_pct": st.sampled_from((100, 100, "100", 100.0, 99)),
        "completed_on": st.one_of(
            st.builds(_written_as, st.dates(EARLIEST, TODAY), st.integers(0, 5)),
            st.sampled_from((None, TODAY + timedelta(1))),
        ),
        "result_doc": st.one_of(ONE_LINE_TEXT, st.just("")),
    }
)


@dataclass(frozen=True)
class Edit:
    row_id: int
    values: dict[str, Any]
    version_offset: int  # 0: the version just read; ±1: a stale or made-up version


def edit_sets(
    row_ids: list[int], backend: str, fields: list[str] | None = None
) -> st.SearchStrategy[list[Edit]]:
    mixed = value_strategies(backend)
    fields = fields or list(TASK_FIELDS)

    @st.composite
    def draw_edits(draw: st.DrawFn) -> list[Edit]:
        # Two edit sets in three hold only parseable values, the third any mix of valid and invalid.
        values = mixed if draw(st.integers(0, 2)) == 2 else VALID
        rows = draw(st.lists(st.sampled_from(row_ids), min_size=1, max_size=4, unique=True))
        edits = []
        for row_id in rows:
            if "state" in fields and draw(st.integers(0, 5)) == 5:  # one row in six is marked done
                cells = draw(COMPLETION)
            else:
                names = draw(st.lists(st.sampled_from(fields), min_size=1, max_size=4, unique=True))
                cells = {n: draw(values[n]) for n in names}
            offset = {14: -1, 15: 1}.get(draw(st.integers(0, 15)), 0)  # one row in eight is stale
            edits.append(Edit(row_id, cells, offset))
        return edits

    return draw_edits()


# --- the database side ------------------------------------------------------------------------


@pytest.fixture
def demo(engine):
    with transaction(engine, write=True) as s:
        seed_demo(s)
    return engine


def actor(engine, username):
    with transaction(engine) as s:
        return accounts.actor_for(s.scalar(select(User).where(User.username == username)))


def pick_rows(engine, wanted: list[tuple[str | None, str]], *, extended: bool = False) -> list[int]:
    """One task per (locality code or None for the province, preferred state), all distinct;
    with `extended`, also a task whose deadline was already extended (it has an extension document)."""
    picked: list[int] = []
    with transaction(engine) as s:
        for locality, state in wanted:
            stmt = select(Task.id).outerjoin(Locality, Locality.id == Task.locality_id)
            stmt = stmt.where(Task.locality_id.is_(None) if locality is None else Locality.code == locality)
            if picked:
                stmt = stmt.where(Task.id.not_in(picked))
            found = s.scalars(stmt.order_by((Task.state != state), Task.id)).first()
            assert found is not None, (locality, state)
            picked.append(found)
        if extended:
            found = s.scalars(
                select(Task.id).where(Task.extension_doc != "", Task.id.not_in(picked)).order_by(Task.id)
            ).first()
            assert found is not None
            picked.append(found)
    return picked


def locality_of(engine, code):
    with transaction(engine) as s:
        return s.scalar(select(Locality.id).where(Locality.code == code))


def read_state(engine) -> tuple[dict[int, dict[str, Any]], int]:
    """Every task row, column by column, and the id of the newest audit event."""
    with transaction(engine) as s:
        rows = {r["id"]: dict(r) for r in s.execute(select(Task.__table__)).mappings()}
        return rows, s.scalar(select(func.coalesce(func.max(AuditEvent.id), 0)))


def restore(engine, before: dict[int, dict[str, Any]], row_ids) -> None:
    with transaction(engine, write=True) as s:
        for row_id in row_ids:
            values = {k: v for k, v in before[row_id].items() if k != "id"}
            s.execute(update(Task.__table__).where(Task.__table__.c.id == row_id).values(**values))


def new_events(engine, after_id: int) -> list[AuditEvent]:
    with transaction(engine) as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.id > after_id).order_by(AuditEvent.id)))


# --- an independent model of what a save must do ----------------------------------------------

DEADLINE_FIELDS = {"current_deadline", "extension_doc"}


def parsed_or_invalid(name: str, raw: Any) -> tuple[bool, Any]:
    try:
        return True, TASK_FIELDS[name].parser.parse(raw)
    except Invalid:
        return False, None


def rule_problems(row: dict[str, Any], original: dict[str, Any]) -> set[str]:
    """The task rules, restated from their specification, on the row as it would be saved."""
    problems: set[str] = set()
    state, progress, done = row["state"], row["progress_pct"], row["completed_on"]
    if state == "hoan_thanh":
        if progress != 100:
            problems.add("progress_pct")
        if done is None:
            problems.add("completed_on")
        if row["result_doc"] == "":
            problems.add("result_doc")
    elif done is not None:
        problems.add("completed_on")
    if done is not None and done > TODAY:
        problems.add("completed_on")
    if state == "chua_trien_khai" and progress != 0:
        problems.add("progress_pct")
    if row["current_deadline"] != original["current_deadline"] and row["extension_doc"] in (
        "",
        original["extension_doc"],
    ):
        problems.add("extension_doc")
    if row["current_deadline"] is None and original["current_deadline"] is not None:
        problems.add("current_deadline")
    return problems


def expected_outcome(who, my_locality, before, edits) -> tuple[type | None, set]:
    """Return (the Refused subclass expected, or None to land; the cells or rows it names)."""
    for e in edits:
        if who.role == "dieu_phoi" and (DEADLINE_FIELDS & set(e.values)):
            return PermissionDenied, set()
        if who.role == "dieu_phoi" and before[e.row_id]["locality_id"] != my_locality:
            return PermissionDenied, set()
    bad: set[tuple[int, str]] = set()
    for e in edits:
        typed = {}
        for name, raw in e.values.items():
            ok, value = parsed_or_invalid(name, raw)
            if ok:
                typed[name] = value
            else:
                bad.add((e.row_id, name))
        if e.version_offset == 0:
            merged = {**before[e.row_id], **typed}
            bad |= {(e.row_id, name) for name in rule_problems(merged, before[e.row_id])}
    if bad:
        return ValidationFailed, bad
    stale = {e.row_id for e in edits if e.version_offset}
    if stale:
        return ConflictError, stale
    return None, set()


def check_save(engine, who, my_locality, edits: list[Edit], outcomes: Counter) -> None:
    before, last_event = read_state(engine)
    changes = [
        RowChange(e.row_id, before[e.row_id]["version"] + e.version_offset, e.values, position=i + 1)
        for i, e in enumerate(edits)
    ]
    expected, named = expected_outcome(who, my_locality, before, edits)
    try:
        actions.perform(engine, who, apply_changes, TASKS, changes, now=NOW, today=TODAY)
    except Refused as exc:  # anything else escapes and fails the property
        refused: Refused | None = exc
    else:
        refused = None
    after, _ = read_state(engine)
    events = new_events(engine, last_event)

    if refused is not None:
        kind = type(refused).__name__
        outcomes[kind] += 1
        event(kind)
        assert after == before, "a refused save changed the task table"
        assert [(e.actor, e.action, e.entity) for e in events] == [(who.username, refused.action, "task")]
        assert type(refused) is expected, (refused.message, expected)
        if isinstance(refused, ValidationFailed):
            assert {(c.row_id, c.field) for c in refused.errors} == named
            for c in refused.errors:
                position = next(ch.position for ch in changes if ch.row_id == c.row_id)
                assert c.position == position and c.label == TASK_FIELDS[c.field].label
                assert str(c).startswith(f"Dòng {position}, cột “{c.label}”: ")
        if isinstance(refused, ConflictError):
            assert {c.row_id for c in refused.conflicts} == named
        return

    try:
        outcomes["landed"] += 1
        event("landed")
        for e in edits:
            event(f"landed: state {before[e.row_id]['state']} → {after[e.row_id]['state']}")
            for name in e.values:
                outcomes[f"landed {name}"] += 1
        assert expected is None, f"saved, but the model expected {expected.__name__} on {named}"
        changed_cells = 0
        for e in edits:
            wanted = dict(before[e.row_id])
            for name, raw in e.values.items():
                wanted[name] = TASK_FIELDS[name].parser.parse(raw)
                changed_cells += wanted[name] != before[e.row_id][name]
            wanted |= {
                "version": before[e.row_id]["version"] + 1,
                "updated_by": who.username,
                "updated_at": NOW,
            }
            assert after[e.row_id] == wanted
        untouched = set(before) - {e.row_id for e in edits}
        assert {i: after[i] for i in untouched} == {i: before[i] for i in untouched}
        assert {ev.action for ev in events} <= {"update", "touch"}
        assert sum(ev.action == "update" for ev in events) == changed_cells
    finally:  # the next example starts from the same rows, even after a failure here
        restore(engine, before, [e.row_id for e in edits])


def run_property(engine, username, edits, my_locality, backend, expect, expect_in_long_runs):
    who = actor(engine, username)
    outcomes: Counter = Counter()

    @settings(
        max_examples=EXAMPLES[backend][username],
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(edits=edits)
    def every_save_lands_exactly_or_changes_nothing(edits):
        check_save(engine, who, my_locality, edits, outcomes)

    every_save_lands_exactly_or_changes_nothing()
    print(f"{backend} {username}: {dict(sorted(outcomes.items()))}")
    # The property must not hold vacuously: saves land and are refused for each reason; in long
    # runs, rarer outcomes (a stale version, a given field landing) must show up too.
    examples = EXAMPLES[backend][username]
    assert outcomes["landed"] >= max(1, examples // 40), outcomes
    assert {"landed", *expect, *(expect_in_long_runs if examples >= 400 else ())} <= set(outcomes), outcomes


def test_the_office_saves_land_exactly_or_change_nothing(demo, backend):
    rows = pick_rows(
        demo,
        [
            (None, "dang_thuc_hien"),
            ("luc-ngan", "chua_trien_khai"),
            ("viet-yen", "hoan_thanh"),
            ("yen-dung", "tam_dung"),
            ("bac-giang", "dang_thuc_hien"),
        ],
        extended=True,
    )
    run_property(
        demo,
        "vanphong",
        edit_sets(rows, backend),
        None,
        backend,
        ["ValidationFailed"],
        ["ConflictError", "landed current_deadline", "landed completed_on", "landed state"],
    )


def test_a_coordinators_saves_land_exactly_or_change_nothing(demo, backend):
    own = pick_rows(
        demo, [("luc-ngan", "dang_thuc_hien"), ("luc-ngan", "chua_trien_khai"), ("luc-ngan", "hoan_thanh")]
    )
    others = pick_rows(demo, [("viet-yen", "dang_thuc_hien"), (None, "dang_thuc_hien")])
    allowed = [f for f in TASK_FIELDS if f not in DEADLINE_FIELDS]
    # Most edit sets stay in the coordinator's lane; one in three tries rows and cells out of it.
    lane = edit_sets(own, backend, allowed)
    edits = st.one_of(lane, lane, edit_sets(sorted({*own, *others}), backend))
    run_property(
        demo,
        "dp.lucngan",
        edits,
        locality_of(demo, "luc-ngan"),
        backend,
        ["ValidationFailed", "PermissionDenied"],
        ["ConflictError", "landed completed_on", "landed state"],
    )


# --- inputs lib/ once failed to refuse cleanly ---------------------------------------------------


def test_a_lone_surrogate_is_refused_not_crashed(demo):
    row_id = pick_rows(demo, [(None, "dang_thuc_hien")])[0]
    before, _ = read_state(demo)
    with pytest.raises(Refused):
        actions.perform(
            demo,
            actor(demo, "vanphong"),
            apply_changes,
            TASKS,
            [RowChange(row_id, before[row_id]["version"], {"notes": "a\ud800b"})],
            now=NOW,
            today=TODAY,
        )


def test_an_over_long_number_is_refused_not_crashed(demo):
    row_id = pick_rows(demo, [(None, "dang_thuc_hien")])[0]
    before, _ = read_state(demo)
    with pytest.raises(Refused):
        actions.perform(
            demo,
            actor(demo, "vanphong"),
            apply_changes,
            TASKS,
            [RowChange(row_id, before[row_id]["version"], {"progress_pct": "9" * 5000})],
            now=NOW,
            today=TODAY,
        )


@pytest.mark.parametrize(
    "values", [{"progress_pct": "a\x00b"}, {"state": "\x00"}, {"completed_on": "x\x00"}], ids=str
)
def test_a_nul_quoted_in_a_refusal_is_recorded(demo, values):
    row_id = pick_rows(demo, [(None, "dang_thuc_hien")])[0]
    before, last = read_state(demo)
    with pytest.raises(ValidationFailed):
        actions.perform(
            demo,
            actor(demo, "vanphong"),
            apply_changes,
            TASKS,
            [RowChange(row_id, before[row_id]["version"], values)],
            now=NOW,
            today=TODAY,
        )
    assert read_state(demo)[0] == before
    assert [e.action for e in new_events(demo, last)] == ["refused_invalid"]


# --- staged drafts ----------------------------------------------------------------------------

BASE = {
    "state": "dang_thuc_hien",
    "progress_pct": 40,
    "completed_on": None,
    "result": "",
    "result_doc": "",
    "obstacles": "",
    "notes": "Hoà",
    "current_deadline": date(2026, 12, 31),
    "extension_doc": "",
}
SHOWN = [ShownRow(11, 3, dict(BASE)), ShownRow(12, 7, dict(BASE, progress_pct=0, state="chua_trien_khai"))]


def editor_state(edited: dict[Any, dict[str, Any]], added=(), deleted=()):
    return {"edited_rows": edited, "added_rows": list(added), "deleted_rows": list(deleted)}


@pytest.mark.parametrize("key", ["2", "99", "-1", "abc", "", None, 2])
def test_drafts_refuse_an_edit_outside_the_shown_frame(key):
    book = DraftBook(TASKS)
    with pytest.raises(Refused, match="không có trong bảng đang hiển thị"):
        book.absorb(editor_state({key: {"notes": "x"}}), SHOWN)
    assert book.drafts == {}


@pytest.mark.parametrize(
    "state",
    [editor_state({}, added=[{"notes": "dòng mới"}]), editor_state({}, deleted=[0]), {"deleted_rows": [1]}],
)
def test_drafts_refuse_added_or_deleted_rows(state):
    book = DraftBook(TASKS)
    with pytest.raises(Refused, match=r"Không được thêm hoặc xóa nhiệm vụ trong bảng này\.") as caught:
        book.absorb(state, SHOWN)
    assert (caught.value.entity, caught.value.action) == ("task", "refused")
    assert book.drafts == {}


@pytest.mark.parametrize(
    "cells",
    [
        {"progress_pct": 40},
        {"progress_pct": 40.0},
        {"progress_pct": "40"},
        {"notes": "Hoa\u0300 "},  # composed and trimmed, it is the stored "Hoà"
        {"current_deadline": "2026-12-31"},
        {"current_deadline": "31/12/2026"},
        {"completed_on": None},
        {"state": "Đang thực hiện"},
    ],
    ids=str,
)
def test_an_edit_equal_to_the_stored_value_is_dropped(cells):
    book = DraftBook(TASKS)
    book.absorb(editor_state({"0": cells}), SHOWN)
    assert book.drafts == {} and book.changes() == []


def test_an_edit_put_back_to_the_stored_value_drops_the_draft():
    book = DraftBook(TASKS)
    book.absorb(editor_state({"0": {"progress_pct": 55, "notes": "mới"}}), SHOWN)
    assert book.cells == 2
    book.absorb(editor_state({"0": {"progress_pct": 40}}), SHOWN)
    assert book.drafts[11].values == {"notes": "mới"}
    book.absorb(editor_state({"0": {"notes": "Hoà"}}), SHOWN)
    assert book.drafts == {}


def test_an_invalid_edit_is_kept_for_the_save_to_report():
    book = DraftBook(TASKS)
    book.absorb(editor_state({"1": {"progress_pct": "abc"}}), SHOWN)
    assert book.changes() == [RowChange(12, 7, {"progress_pct": "abc"}, None)]


def test_changes_carry_the_version_seen_when_the_edit_was_made():
    book = DraftBook(TASKS)
    state = editor_state({"1": {"notes": "sau"}, "0": {"progress_pct": 60}})
    book.absorb(state, SHOWN)
    # Someone else saves row 11; the rerun shows it at version 4, but the draft was made on version 3.
    book.absorb(state, [ShownRow(11, 4, dict(BASE, notes="khác")), SHOWN[1]])
    assert book.seen_version(11, 4) == 3
    assert book.changes({11: 1, 12: 2}) == [
        RowChange(11, 3, {"progress_pct": 60}, 1),
        RowChange(12, 7, {"notes": "sau"}, 2),
    ]
