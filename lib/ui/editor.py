"""The editable table shared by every page that edits rows: staged drafts, save, discard, conflicts.

Pages give the rows to show and the column layout; everything else is the same for tasks,
headquarters projects and model wards: the one edit engine (`lib.editing.changeset`) behind one widget.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from lib.core import config
from lib.core.catalogue import ID
from lib.core.formatting import fmt_datetime
from lib.core.roles import Actor, Refused
from lib.data.db import DatabaseError, transaction
from lib.editing.actions import perform, record_refusal
from lib.editing.changeset import ConflictError, TableSpec, ValidationFailed, apply_changes
from lib.editing.drafts import DraftBook, ShownRow, check_editor_state, get_shown_rows
from lib.ui import auth, shell
from lib.ui.columns import column_config


@dataclass(frozen=True)
class EditorLayout:
    """How a page wants its table drawn."""

    column_order: Sequence[str]
    column_config: Mapping[str, Any]
    to_display: Callable[[str, Any], Any] = lambda _name, value: value  # stored value → cell value
    date_columns: Sequence[str] = ()  # shown as dates (empty cells stay empty, not "None")


def _keys(prefix: str) -> dict[str, str]:
    return {
        name: f"{prefix}_{name}"
        for name in (
            "editor",
            "save",
            "discard",
            "drafts",
            "shown",
            "gen",
            "conflicts",
            "errors",
            "reapply",
            "drop",
            "pending_open",
            "frame",
        )
    }


def draft_book(prefix: str, spec: TableSpec) -> DraftBook:
    """Return this session's pending edits of one table."""
    key = _keys(prefix)["drafts"]
    book = st.session_state.get(key)
    if not isinstance(book, DraftBook) or book.spec is not spec:
        book = st.session_state[key] = DraftBook(spec)
    return book


def _reset_editor(prefix: str) -> None:
    # The editor's identity includes its index name: a new name gives a fresh editor in the browser.
    keys = _keys(prefix)
    st.session_state[keys["gen"]] = st.session_state.get(keys["gen"], 0) + 1
    # The old editor's edits refer to the old frame; they are in the drafts already (or discarded).
    st.session_state.pop(keys["shown"], None)


def edit_table(
    *,
    prefix: str,
    spec: TableSpec,
    actor: Actor,
    engine: Engine,
    rows: Sequence[Mapping[str, Any]],
    layout: EditorLayout,
    editable: Sequence[str],
) -> None:
    """Draw rows in an editable table whose edits are staged by row id and saved through the engine."""
    keys = _keys(prefix)
    state = st.session_state
    book = draft_book(prefix, spec)

    previous: list[ShownRow] | None = state.get(keys["shown"])
    # The browser's state of the editor is checked before anything uses it: Streamlit applies it to
    # the frame when drawing the editor (a column the frame lacks raised inside Streamlit), and the
    # drafts keep it (a lone surrogate broke the page until it was reloaded).
    try:
        rows_sent = len(previous) if previous is not None else len(rows)
        check_editor_state(spec, state.get(keys["editor"]), rows_sent, layout.column_order)
        if previous is not None:
            book.absorb(state.get(keys["editor"]), previous)
    except Refused as exc:
        _reset_editor(prefix)  # first: the refused input must not come back on the next rerun
        previous = None
        st.error(exc.message, icon="🚫")
        _record_quietly(engine, actor, exc)

    # A click on "Lưu" saves before the grid is drawn: a save that goes through ends in the page's
    # full run (st.rerun), which would throw the grid drawn here away, and the grid is most of the
    # cost of a run of the table. A save refused draws the table as usual: its error above the table,
    # a conflict's panel below it as before.
    save_tried = previous is not None and bool(state.get(keys["save"])) and book.cells > 0
    if save_tried:
        _save(engine, prefix, spec, actor, book, {int(row["id"]): i + 1 for i, row in enumerate(rows)})

    # The cells the browser's grid holds as its own edits, where the same row stands at the same place:
    # the frame keeps their stored value, so it reaches the browser unchanged after an edit. Sent with
    # the draft in it, the changed frame made the grid drop its edits and report an empty state, a
    # second rerun for every edit.
    in_grid = _cells_in_grid(state.get(keys["editor"]), previous, rows)
    shown: list[ShownRow] = []
    drawn: list[tuple[dict[str, Any], int]] = []  # per row: the drafted values drawn in, the version
    for position, row in enumerate(rows):
        row_id = int(row["id"])
        draft = book.drafts.get(row_id)
        base = dict(draft.base) if draft else {n: row[n] for n in spec.fields}
        version = book.seen_version(row_id, int(row["version"]))
        shown.append(ShownRow(row_id, version, base))
        drafted = {n: v for n, v in book.overlay(row_id).items() if (position, n) not in in_grid}
        drawn.append((drafted, version))
    frame = _frame(keys["frame"], rows, drawn, state.get(keys["gen"], 0), layout)
    disabled = [c for c in layout.column_order if c not in editable]
    st.data_editor(
        frame,
        key=keys["editor"],
        num_rows="fixed",
        hide_index=True,
        disabled=disabled,
        column_order=layout.column_order,
        column_config=dict(layout.column_config),
        width="stretch",
        placeholder="",
    )
    if previous is None:
        try:
            book.absorb(state.get(keys["editor"]), shown)
        except Refused as exc:
            st.error(exc.message, icon="🚫")
            _record_quietly(engine, actor, exc)
    state[keys["shown"]] = shown

    positions = {s.row_id: i + 1 for i, s in enumerate(shown)}
    _status_bar(engine, prefix, spec, actor, book, positions, save_tried=save_tried)


@dataclass(frozen=True)
class _Frame:
    """The frame last sent to the grid, and what it was built from."""

    rows: Sequence[Mapping[str, Any]]
    drawn: tuple[Any, ...]
    frame: pd.DataFrame


def _frame(
    key: str,
    rows: Sequence[Mapping[str, Any]],
    drawn: Sequence[tuple[dict[str, Any], int]],
    gen: int,
    layout: EditorLayout,
) -> pd.DataFrame:
    """The grid's frame: the rows with the drafts drawn in (`drawn`, per row), indexed by row id.

    A fragment's run (a cell edit) gets the very rows object (and layout) of the page's last run, so
    where the drafts drawn and the versions are the same too, the frame is the one built then
    (st.data_editor copies what it is given). A full run passes the rows its cached loader returned,
    a new object on every run (st.cache_data returns a copy), and builds the frame again."""
    wanted = (gen, tuple((tuple(d.items()), v) for d, v in drawn))
    last = st.session_state.get(key)
    if isinstance(last, _Frame) and last.rows is rows and last.drawn == wanted:
        return last.frame
    records = []
    for row, (drafted, version) in zip(rows, drawn, strict=True):
        values = {**row, **drafted, "version": version}
        records.append({c: layout.to_display(c, values.get(c)) for c in layout.column_order})
    frame = pd.DataFrame.from_records(records, columns=list(layout.column_order))
    for column in layout.date_columns:
        frame[column] = pd.to_datetime(frame[column])
    frame.index = pd.Index([int(row["id"]) for row in rows], name=f"g{gen}")
    st.session_state[key] = _Frame(rows, wanted, frame)
    return frame


def _cells_in_grid(
    editor_state: Any, previous: Sequence[ShownRow] | None, rows: Sequence[Mapping[str, Any]]
) -> set[tuple[int, str]]:
    """(position, column) of the edits the grid holds, for positions showing the same row as before."""
    if previous is None or not isinstance(editor_state, Mapping):
        return set()
    held: set[tuple[int, str]] = set()
    for key, cells in (editor_state.get("edited_rows") or {}).items():
        position = int(key)
        same_row = position < len(previous) and position < len(rows)
        if same_row and previous[position].row_id == int(rows[position]["id"]):
            held.update((position, name) for name in cells)
    return held


def _status_bar(
    engine: Engine,
    prefix: str,
    spec: TableSpec,
    actor: Actor,
    book: DraftBook,
    positions: dict[int, int],
    *,
    save_tried: bool = False,
) -> None:
    keys = _keys(prefix)
    state = st.session_state
    left, save_col, discard_col = st.columns([4, 1, 1])
    count = book.cells
    left.markdown(f"**{count} thay đổi chưa lưu**" if count else "Không có thay đổi chưa lưu.")
    save = save_col.button("Lưu", key=keys["save"], type="primary", width="stretch")
    discard = discard_col.button("Hủy", key=keys["discard"], width="stretch")
    if discard:  # before anything draws the drafts: "Hủy" must always work
        book.discard()
        state.pop(keys["conflicts"], None)
        _reset_editor(prefix)
        shell.rerun_saying("Đã hủy các thay đổi chưa lưu.", icon=None)
    if count:
        with st.expander("Xem các thay đổi chưa lưu", key=keys["pending_open"]):
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            ID.label: d.row_id,
                            "Cột": spec.fields[n].label if n in spec.fields else n,
                            "Giá trị mới": "" if v is None else str(v),
                        }
                        for d in book.drafts.values()
                        for n, v in d.values.items()
                    ]
                ),
                hide_index=True,
            )

    if save and not save_tried:  # tried before the grid was drawn (see edit_table)
        if not count:
            st.info("Không có gì để lưu.")
        else:
            _save(engine, prefix, spec, actor, book, positions)

    conflicts = state.get(keys["conflicts"])
    if conflicts:
        _show_conflicts(engine, prefix, spec, actor, book, positions, conflicts)


def _record_quietly(engine: Engine, actor: Actor, exc: Refused) -> None:
    """Record a refusal in the trail; during an outage the refusal still shows, unrecorded."""
    with contextlib.suppress(DatabaseError):  # lib.data.db logged it; the user reads the refusal anyway
        record_refusal(engine, actor, exc)


def _still_signed_in(engine: Engine, actor: Actor) -> bool:
    """Re-check the session before a write from the table (a fragment's run skips the app's sign-in).

    A session that no longer stands for `actor` sends the page through the app's own run, which signs
    out or draws the table for the new scope; a database that cannot be reached says so, nothing is
    written and the drafts stay."""
    try:
        signed_in = auth.still_signed_in(engine, actor)
    except DatabaseError as exc:
        st.error(str(exc), icon="⚠️")
        return False
    if not signed_in:
        st.rerun(scope="app")
    return True


def _save(
    engine: Engine, prefix: str, spec: TableSpec, actor: Actor, book: DraftBook, positions: dict[int, int]
) -> None:
    keys = _keys(prefix)
    state = st.session_state
    if not _still_signed_in(engine, actor):
        return
    changes = book.changes(positions)
    try:
        result = perform(engine, actor, apply_changes, spec, changes, now=config.now(), today=config.today())
    except ValidationFailed as exc:
        st.error("Chưa lưu gì vì có ô không hợp lệ:\n\n" + "\n".join(f"- {e}" for e in exc.errors), icon="🚫")
    except ConflictError as exc:
        state[keys["conflicts"]] = exc.conflicts
    except Refused as exc:
        st.error(exc.message, icon="🚫")
    except DatabaseError as exc:  # unreachable, read-only, disk full: nothing written, draft kept
        st.error(str(exc), icon="⚠️")
    else:
        book.discard()
        state.pop(keys["conflicts"], None)
        _reset_editor(prefix)
        shell.rerun_saying(f"Đã lưu {result.cells} ô trong {len(result.rows)} dòng.")


def _show_conflicts(
    engine: Engine,
    prefix: str,
    spec: TableSpec,
    actor: Actor,
    book: DraftBook,
    positions: dict[int, int],
    conflicts: Sequence[Any],
) -> None:
    keys = _keys(prefix)
    state = st.session_state
    st.warning(
        f"{len(conflicts)} dòng đã được người khác thay đổi sau khi bạn mở bảng. "
        "Bản nháp của bạn vẫn được giữ: xem từng cột dưới đây rồi chọn áp dụng lại bản nháp "
        "lên phiên bản mới, hoặc bỏ bản nháp.",
        icon="⚠️",
    )
    lines = []
    for c in conflicts:
        if c.deleted:
            lines.append(
                {
                    ID.label: c.row_id,
                    "Cột": "(cả dòng)",
                    "Giá trị của bạn": "",
                    "Giá trị hiện tại": "đã bị xóa",
                    "Người sửa": "",
                    "Lúc": "",
                }
            )
        for d in c.diffs:
            lines.append(
                {
                    ID.label: c.row_id,
                    "Cột": d.label,
                    "Giá trị của bạn": str(d.yours),
                    "Giá trị hiện tại": "" if d.theirs is None else str(d.theirs),
                    "Người sửa": c.updated_by,
                    "Lúc": fmt_datetime(c.updated_at),
                }
            )
    st.dataframe(pd.DataFrame(lines), hide_index=True, key=f"{prefix}_conflict_table")
    left, right = st.columns(2)
    if left.button("Áp dụng lại bản nháp của tôi lên phiên bản mới", key=keys["reapply"]):
        if not _still_signed_in(engine, actor):
            return
        with transaction(engine) as s:
            current = get_shown_rows(s, actor, spec, [c.row_id for c in conflicts])
        book.rebase(conflicts, current)
        state.pop(keys["conflicts"], None)
        _reset_editor(prefix)
        _save(engine, prefix, spec, actor, book, positions)
    if right.button("Bỏ bản nháp của các dòng này", key=keys["drop"]):
        book.discard([c.row_id for c in conflicts])
        state.pop(keys["conflicts"], None)
        _reset_editor(prefix)
        st.rerun()


# A fragment: a cell edit reruns the table and its buttons only, with the rows of the last full run
# (the frame the user is editing, as the drafts require), not the sign-in, the filters, the counts and
# the rest of the page; that was most of the server's work per edit. A save or a discard ends in a
# full rerun (st.rerun), and a save first checks the session (`_still_signed_in`).
_editor_fragment = st.fragment(edit_table)


def entity_table(
    prefix: str,
    spec: TableSpec,
    rows: Sequence[Mapping[str, Any]],
    *,
    actor: Actor,
    engine: Engine,
    editable: bool,
) -> None:
    """An entity's rows: the editable table for those who may edit them, a read-only table for others.

    Columns, their order, their limits, which of them this user may edit and how codes read all come
    from the entity's catalogue: an editable table puts the columns this user may edit right after
    the row's title (`Entity.grid_for`), a read-only one keeps the entity's on-screen order.
    """
    entity = spec.catalogue
    order = entity.grid_for(actor.role) if editable else entity.grid_columns
    config = column_config(entity, order)
    if editable:
        dates = tuple(n for n in order if entity[n].kind == "date")
        layout = EditorLayout(
            column_order=order, column_config=config, to_display=entity.shown, date_columns=dates
        )
        _editor_fragment(
            prefix=prefix,
            spec=spec,
            actor=actor,
            engine=engine,
            rows=rows,
            layout=layout,
            editable=spec.editable_by(actor.role),
        )
    elif rows:
        frame = pd.DataFrame([{c: entity.shown(c, r[c]) for c in order} for r in rows], columns=list(order))
        st.dataframe(
            frame,
            hide_index=True,
            key=f"{prefix}_table",
            column_order=order,
            column_config=config,
            placeholder="",
        )
