"""Excel in and out on a page: a download of the filtered view, and the import panel.

The import shows a preview of exactly what would change, cell by cell, and every invalid cell, and
applies only on an explicit click, through the one edit engine (`edits.apply_changes`).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st
from sqlalchemy import Engine
from streamlit.runtime.scriptrunner import get_script_run_ctx

from lib.core import config
from lib.core.catalogue import ID
from lib.core.formatting import fmt_int
from lib.core.roles import Actor, PermissionDenied, Refused
from lib.data.db import DatabaseError, transaction
from lib.editing.actions import perform, record_refusal
from lib.editing.changeset import ConflictError, TableSpec, ValidationFailed, apply_changes
from lib.files import export, importer
from lib.ui import columns

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_log = logging.getLogger("dashboard.files")


@dataclass
class _Build:
    started: float
    finished: float | None = None
    error: str | None = None


class _Builds:
    """The latest file build of each (browser session, button), so the page can say when one failed.

    A download's file is built when the button is clicked, by Streamlit, outside the page's run:
    nothing it raises reaches the page. The build records its outcome here, and the run that the
    click starts waits for it and shows a failure in Vietnamese under the button.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._builds: dict[tuple[str, str], _Build] = {}

    def run(self, who: tuple[str, str], build: Callable[[], bytes]) -> bytes:
        entry = _Build(time.monotonic())
        with self._changed:
            # Keep the registry small: forget builds nobody waited for (their session went away).
            stale = [k for k, b in self._builds.items() if entry.started - b.started > 600]
            for k in stale:
                del self._builds[k]
            self._builds[who] = entry
            self._changed.notify_all()
        try:
            return build()
        except DatabaseError as exc:
            entry.error = str(exc)
            raise
        except Refused as exc:
            entry.error = exc.message
            raise
        except Exception:
            _log.exception("building %s failed", who[1])
            entry.error = (
                "lỗi không mong đợi khi tạo tệp (đã ghi vào nhật ký máy chủ); hãy báo quản trị hệ thống."
            )
            raise
        finally:
            with self._changed:
                entry.finished = time.monotonic()
                self._changed.notify_all()

    def wait(self, who: tuple[str, str], since: float, start_within: float = 10.0) -> str | None:
        """Wait for the build of `who` begun after `since` to end; return its error (None: it worked)."""
        deadline = time.monotonic() + start_within
        with self._changed:
            while True:
                entry = self._builds.get(who)
                if entry is not None and entry.started >= since:
                    if entry.finished is not None:
                        del self._builds[who]
                        return entry.error
                    # Started: wait for it to end (a build is bounded by the database's own timeouts).
                    deadline = min(time.monotonic() + 1.0, entry.started + _LONGEST_BUILD)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None  # the browser never asked for the file: nothing to report
                self._changed.wait(remaining)


_BUILDS = _Builds()
_LONGEST_BUILD = 120.0  # seconds a click's run waits for its file at most


def _session_id() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else ""


def download(
    label: str,
    build: Callable[[], bytes],
    file_name: str,
    key: str,
    *,
    mime: str = XLSX,
    icon: str = ":material/download:",
    primary: bool = False,
) -> None:
    """A download button whose file is built only when clicked; a failed build says why in the page."""
    _download_button(label, build, file_name, key, mime, icon, primary)


@st.fragment
def _download_button(
    label: str, build: Callable[[], bytes], file_name: str, key: str, mime: str, icon: str, primary: bool
) -> None:
    # A fragment: the click reruns this button only, which waits for the file to be built (the
    # button's own request, running beside it) and shows a failure; the rest of the page stays.
    state = st.session_state
    who, drawn = (_session_id(), key), f"_{key}_drawn"
    clicked = st.download_button(
        label,
        data=lambda: _BUILDS.run(who, build),
        file_name=file_name,
        mime=mime,
        icon=icon,
        key=key,
        type="primary" if primary else "secondary",
        on_click="rerun",
    )
    error = _BUILDS.wait(who, state.get(drawn, 0.0)) if clicked else None
    state[drawn] = time.monotonic()
    if error:
        st.error(f"Không tạo được tệp “{file_name}”: {error}", icon="⚠️")


def shown(value: object) -> str:
    """A cell's value as the preview tables show it (dates dd/mm/yyyy)."""
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")  # type: ignore[no-any-return]
    return str(value)


def import_panel(
    prefix: str, spec: TableSpec, layout: Sequence[export.Column], actor: Actor, engine: Engine
) -> None:
    """Upload → preview (changes, invalid cells, rows changed since the export) → apply."""
    upload = st.file_uploader(
        "Tải lên tệp .xlsx đã xuất từ trang này (sửa các cột được phép, giữ nguyên cột Mã và Phiên bản; "
        f"tối đa {importer.MAX_FILE_BYTES // (1024 * 1024)} MB)",
        type=["xlsx"],
        key=f"{prefix}_import_file",
        max_upload_size=importer.MAX_FILE_BYTES // (1024 * 1024),
    )
    cache_key = f"_{prefix}_import"
    if upload is None:
        st.session_state.pop(cache_key, None)
        return
    _, outcome, preview = _read_upload(cache_key, upload.getvalue(), spec, layout, actor, engine)
    if isinstance(outcome, Refused) or preview is None:
        st.error(outcome.message if isinstance(outcome, Refused) else "Không đọc được tệp.", icon="🚫")
        return
    _show_summary(outcome, preview)
    if not preview.changes and not preview.problems:
        st.success("Tệp không có thay đổi nào so với dữ liệu hiện tại; không có gì để nhập.", icon="✅")
        return
    if preview.changes:
        _show_changes(prefix, preview)
    _confirm_and_save(prefix, spec, actor, engine, preview, upload.name, cache_key)


_ReadOutcome = tuple[str, importer.ParsedFile | Refused, importer.Preview | None]


def _read_upload(
    cache_key: str,
    data: bytes,
    spec: TableSpec,
    layout: Sequence[export.Column],
    actor: Actor,
    engine: Engine,
) -> _ReadOutcome:
    """The file's reading and preview, kept in the session until another file is uploaded."""
    state = st.session_state
    digest = hashlib.sha256(data).hexdigest()
    cached: _ReadOutcome | None = state.get(cache_key)
    if not cached or cached[0] != digest:
        cached = _read_and_compare(digest, data, spec, layout, actor, engine)
        state[cache_key] = cached
    return cached


def _read_and_compare(
    digest: str,
    data: bytes,
    spec: TableSpec,
    layout: Sequence[export.Column],
    actor: Actor,
    engine: Engine,
) -> _ReadOutcome:
    """Read the file and compare it with the stored rows under a progress bar; a refusal is kept too."""
    bar = st.progress(0.0, text="Đang đọc tệp…")
    shown = [time.monotonic()]

    def advance(fraction: float, text: str) -> None:
        # A few updates a second: each one is also where Streamlit stops this run if the browser
        # has gone away (the read then ends at once instead of running on for nobody).
        if time.monotonic() - shown[0] >= 0.2:
            shown[0] = time.monotonic()
            bar.progress(fraction, text=text)

    cached: _ReadOutcome
    try:
        read = importer.read_xlsx(data, spec, layout, advance)
        with transaction(engine) as s:  # no Streamlit call inside the transaction
            current = importer.load_current(s, actor, spec, read)
        cached = (
            digest,
            read,
            importer.build_preview(
                spec, actor, read, current, config.today(), config.load_settings().cookie_key, advance
            ),
        )
    except Refused as exc:
        if isinstance(exc, PermissionDenied):
            record_refusal(engine, actor, exc)  # once per file, not on every rerun
        cached = (digest, exc, None)
    bar.empty()
    return cached


def _show_summary(parsed: importer.ParsedFile, preview: importer.Preview) -> None:
    """Counts of rows and cells, the columns ignored, the invalid cells and the rows changed since."""
    changed_rows = len(preview.row_changes)
    st.markdown(
        f"**{fmt_int(preview.rows)} dòng** trong tệp · {fmt_int(preview.unchanged_rows)} dòng không đổi · "
        f"**{fmt_int(len(preview.changes))} ô sẽ thay đổi** trong {fmt_int(changed_rows)} dòng"
    )
    if parsed.ignored_columns:
        st.caption("Các cột chỉ đọc, không nhập: " + ", ".join(parsed.ignored_columns) + ".")
    if preview.problems:
        st.error(
            f"{len(preview.problems)} ô không hợp lệ — sửa trong tệp rồi tải lên lại:\n\n"
            + "\n".join(f"- {p}" for p in preview.problems[:50])
            + ("\n- …" if len(preview.problems) > 50 else ""),
            icon="🚫",
        )
    if preview.stale:
        st.warning(
            "Các dòng sau đã được sửa sau khi xuất tệp; hãy xuất lại tệp mới rồi nhập:\n\n"
            + "\n".join(
                f"- Dòng {line}, mã {row_id}: phiên bản trong tệp {mine}, hiện tại {now}"
                for line, row_id, mine, now in preview.stale[:50]
            ),
            icon="⚠️",
        )


def _show_changes(prefix: str, preview: importer.Preview) -> None:
    """The cells that would change, old value beside new."""
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "cell": c.cell,
                    "row_id": c.row_id,
                    "label": c.label,
                    "old": shown(c.old),
                    "new": shown(c.new),
                }
                for c in preview.changes
            ]
        ),
        hide_index=True,
        key=f"{prefix}_import_preview",
        column_config={
            "cell": st.column_config.TextColumn("Ô"),
            "row_id": columns.column(ID),
            "label": st.column_config.TextColumn("Cột"),
            "old": st.column_config.TextColumn("Giá trị hiện tại"),
            "new": st.column_config.TextColumn("Giá trị trong tệp"),
        },
    )


def _confirm_and_save(
    prefix: str,
    spec: TableSpec,
    actor: Actor,
    engine: Engine,
    preview: importer.Preview,
    file_name: str,
    cache_key: str,
) -> None:
    """The apply button; on a click, save through the edit engine and say how it went."""
    state = st.session_state
    apply = st.button(
        f"Áp dụng {fmt_int(len(preview.changes))} thay đổi",
        key=f"{prefix}_import_apply",
        type="primary",
        disabled=not preview.can_apply,
    )
    if not (apply and preview.can_apply):
        return
    try:
        result = perform(
            engine,
            actor,
            apply_changes,
            spec,
            preview.row_changes,
            now=config.now(),
            today=config.today(),
            action="import",
            reason=f"Nhập từ tệp {file_name[:80]}",
        )
    except ValidationFailed as exc:
        st.error(
            "Không nhập gì vì có ô không hợp lệ:\n\n" + "\n".join(f"- {e}" for e in exc.errors), icon="🚫"
        )
    except ConflictError as exc:
        state.pop(cache_key, None)  # compare again with the rows as they are now
        st.warning(exc.message + " Hãy xuất lại tệp mới rồi nhập.", icon="⚠️")
    except Refused as exc:
        st.error(exc.message, icon="🚫")
    except DatabaseError as exc:  # nothing imported; the file stays ready for another try
        st.error(str(exc), icon="⚠️")
    else:
        state.pop(cache_key, None)
        st.success(f"Đã nhập {result.cells} ô trong {len(result.rows)} dòng.", icon="✅")
