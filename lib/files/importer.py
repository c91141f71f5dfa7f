"""Import task updates from an .xlsx in the export's layout: read → preview → apply through the engine.

Reading refuses the whole file, with one Vietnamese message and before anything is written, when it
is not an .xlsx, holds parts no export has or parts too large for what they are (lib/xlsx_guard),
makes the reader produce too many rows or cells or take too long, has unknown or missing columns,
a formula in any cell, more rows than allowed, an oversized cell, or an id or version that is not a
whole number. The preview then compares every editable cell with the stored row: what would change
(cell by cell), which cells are invalid (named by their Excel address), which rows changed since the
export, and which rows are not the row their Mã names (the export's "Mã kiểm tra" signs each row's
id and title). Applying sends only the changed cells, with the version read from the file, to
`edits.apply_changes`: the same scope, validation, optimistic lock and audit as an edit in the page.
"""

from __future__ import annotations

import io
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import select
from sqlalchemy.orm import Session

from lib.core import catalogue
from lib.core.formatting import fmt_int
from lib.core.roles import OUT_OF_SCOPE, Actor, PermissionDenied, Refused, require_writer
from lib.core.validation import Invalid, quote
from lib.editing.changeset import MAX_ROWS_PER_SAVE, RowChange, TableSpec
from lib.files import export, xlsx_guard

MAX_FILE_BYTES = 5 * 1024 * 1024  # what the uploader accepts
MAX_ROWS = xlsx_guard.MAX_DATA_ROWS
MAX_CELL_CHARS = 5_000
ID_HEADER, VERSION_HEADER, CHECK_HEADER = catalogue.ID.label, catalogue.VERSION.label, export.ROW_CHECK_HEADER
HEADER_SEARCH_ROWS = 10

Progress = Callable[[float, str], None]
# What openpyxl raises on a damaged or foreign file.
_DAMAGED = (
    InvalidFileException,
    zipfile.BadZipFile,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
    OSError,
    SyntaxError,  # XML parse errors (xml.etree's ParseError, lxml's XMLSyntaxError) derive from it
    zlib.error,
    NotImplementedError,  # a compression method zipfile does not know
)


def _no_progress(_fraction: float, _text: str) -> None:
    return None


class ImportRefused(Refused):
    """The file as a whole cannot be imported; nothing was written."""

    def __init__(self, message: str, entity: str) -> None:
        super().__init__(message, entity=entity, action="refused_import")


@dataclass(frozen=True)
class FileRow:
    line: int  # the Excel row number
    row_id: int
    version: int
    check: str  # the export's check of the row's id and title
    values: Mapping[str, Any]  # editable field → raw cell value
    cells: Mapping[str, str]  # editable field → Excel address, e.g. "L7"


@dataclass(frozen=True)
class ParsedFile:
    rows: list[FileRow]
    ignored_columns: list[str]  # known read-only columns, not imported
    imported_columns: list[str]


def _text_of(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


MAX_ID = 2**31 - 1  # what the id and version columns hold


def whole_number(value: Any) -> int | None:
    """A positive id or version, or None for anything else (text, fractions, huge numbers)."""
    number: int | None = None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 12:
        number = int(value.strip())
    return number if number is not None and 1 <= number <= MAX_ID else None


def read_xlsx(
    data: bytes,
    spec: TableSpec,
    layout: Sequence[export.Column],
    progress: Progress = _no_progress,
) -> ParsedFile:
    """Read a file in the export's layout, or refuse it whole with a message saying why."""
    entity = spec.entity

    def refuse(message: str) -> ImportRefused:
        return ImportRefused(message, entity)

    if len(data) > MAX_FILE_BYTES:
        raise refuse(f"Tệp lớn {len(data) / 1024 / 1024:.1f} MB, tối đa {MAX_FILE_BYTES // 1024 // 1024} MB.")
    if not data.startswith(b"PK\x03\x04"):
        raise refuse("Tệp không phải bảng tính Excel (.xlsx). Hãy tải lên tệp đã xuất từ trang này.")
    deadline = time.monotonic() + xlsx_guard.SECONDS
    try:
        xlsx_guard.inspect(data, deadline, tick=lambda: progress(0.0, "Đang kiểm tra tệp…"))
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except xlsx_guard.UnsafeWorkbook as exc:
        raise refuse(str(exc)) from None
    except _DAMAGED:
        raise refuse("Tệp không phải bảng tính Excel (.xlsx) hợp lệ.") from None
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # the file's claim of its size is never what bounds the reading
        rows = xlsx_guard.bounded_rows(
            sheet.iter_rows(), deadline, lambda n: progress(min(0.5, n / MAX_ROWS), f"Đã đọc {n} dòng…")
        )
        return _read_sheet(rows, spec, layout, refuse)
    except xlsx_guard.UnsafeWorkbook as exc:
        raise refuse(str(exc)) from None
    except _DAMAGED:
        raise refuse("Tệp .xlsx bị hỏng: không đọc hết được các dòng.") from None
    finally:
        book.close()


def _read_sheet(
    rows: Iterator[Any],
    spec: TableSpec,
    layout: Sequence[export.Column],
    refuse: Callable[[str], ImportRefused],
) -> ParsedFile:
    known = {c.header: c.key for c in layout}
    header: list[str] | None = None
    header_line = 0
    for line, cells in enumerate(rows, start=1):
        texts = [_text_of(c.value) for c in cells]
        if ID_HEADER in texts and VERSION_HEADER in texts:
            header, header_line = texts, line
            break
        if line >= HEADER_SEARCH_ROWS:
            break
    if header is None:
        raise refuse(
            f"Không tìm thấy dòng tiêu đề có cột “{ID_HEADER}” và “{VERSION_HEADER}” trong "
            f"{HEADER_SEARCH_ROWS} dòng đầu. Hãy dùng tệp xuất từ trang này."
        )
    while header and not header[-1]:
        header.pop()
    unknown = [h for h in header if h and h not in known]
    if unknown or "" in header:
        shown = ", ".join(f"“{quote(h)}”" for h in unknown) or "(cột không có tiêu đề)"
        raise refuse(f"Tệp có cột không nhận ra: {shown}. Hãy giữ nguyên các cột của tệp đã xuất.")
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise refuse(f"Cột lặp lại: {', '.join(duplicated)}.")
    if CHECK_HEADER not in header:
        raise refuse(
            f"Tệp thiếu cột “{CHECK_HEADER}”, cột cho biết mỗi dòng là nhiệm vụ nào (tệp xuất từ phiên bản "
            "cũ, hoặc cột đã bị xóa). Hãy xuất lại tệp mới từ trang này rồi nhập."
        )
    keys = [known[h] for h in header]
    id_at, version_at = keys.index(known[ID_HEADER]), keys.index(known[VERSION_HEADER])
    check_at = keys.index(known[CHECK_HEADER])
    editable = {i: k for i, k in enumerate(keys) if k in spec.fields}
    labels = {c.key: c.header for c in layout}

    parsed: list[FileRow] = []
    seen: dict[int, int] = {}
    for line, cells in enumerate(rows, start=header_line + 1):
        values = [c.value for c in cells][: len(keys)]
        for column, cell in enumerate(cells, start=1):
            where = f"{get_column_letter(column)}{line}"
            if getattr(cell, "data_type", None) == "f":
                raise refuse(f"Ô {where} chứa công thức; chỉ nhập giá trị. Không nhập gì.")
            if isinstance(cell.value, str) and len(cell.value) > MAX_CELL_CHARS:
                raise refuse(
                    f"Ô {where} dài {fmt_int(len(cell.value))} ký tự, tối đa {fmt_int(MAX_CELL_CHARS)}."
                )
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if len(parsed) >= MAX_ROWS:
            raise refuse(f"Tệp có hơn {fmt_int(MAX_ROWS)} dòng dữ liệu; hãy chia nhỏ tệp.")
        values += [None] * (len(keys) - len(values))
        row_id = whole_number(values[id_at])
        version = whole_number(values[version_at])
        if row_id is None:
            where = f"{get_column_letter(id_at + 1)}{line}"
            raise refuse(f"Ô {where} (cột “{ID_HEADER}”): “{quote(values[id_at])}” không phải mã dòng.")
        if version is None:
            where = f"{get_column_letter(version_at + 1)}{line}"
            raise refuse(
                f"Ô {where} (cột “{VERSION_HEADER}”): “{quote(values[version_at])}” không phải số phiên bản."
            )
        if row_id in seen:
            raise refuse(f"Mã {row_id} xuất hiện hai lần (dòng {seen[row_id]} và dòng {line}).")
        seen[row_id] = line
        raw = {k: _cell_value(values[i]) for i, k in editable.items()}
        where_of = {k: f"{get_column_letter(i + 1)}{line}" for i, k in editable.items()}
        check = values[check_at] if isinstance(values[check_at], str) else ""
        parsed.append(FileRow(line, row_id, version, check.strip(), raw, where_of))
    imported = [labels[k] for k in keys if k in spec.fields]
    ignored = [labels[k] for k in keys if k not in spec.fields and k not in ("id", "version", "row_check")]
    return ParsedFile(parsed, ignored, imported)


def _cell_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else value
    return value


# --- preview ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellChange:
    line: int
    cell: str
    row_id: int
    field: str
    label: str
    old: Any
    new: Any


@dataclass(frozen=True)
class CellProblem:
    line: int
    cell: str
    row_id: int
    label: str
    message: str

    def __str__(self) -> str:
        if not self.row_id:
            return f"Cả tệp: {self.message}"
        where = f"Ô {self.cell}" if self.cell else f"Dòng {self.line}"
        column = f", cột “{self.label}”" if self.label else ""
        return f"{where} (mã {self.row_id}{column}): {self.message}"


@dataclass
class Preview:
    rows: int = 0
    unchanged_rows: int = 0
    changes: list[CellChange] = field(default_factory=list)
    problems: list[CellProblem] = field(default_factory=list)
    stale: list[tuple[int, int, int, int]] = field(default_factory=list)  # line, id, file v., current v.
    row_changes: list[RowChange] = field(default_factory=list)

    @property
    def can_apply(self) -> bool:
        return bool(self.row_changes) and not self.problems and not self.stale


@dataclass(frozen=True)
class Current:
    version: int
    locality_id: int | None
    values: Mapping[str, Any]
    row: Any


def load_current(s: Session, actor: Actor, spec: TableSpec, parsed: ParsedFile) -> dict[int, Current]:
    """Read the stored rows the file names; refuse the file if one is outside the actor's scope."""
    require_writer(actor, spec.entity)
    model: Any = spec.model
    ids = [r.row_id for r in parsed.rows]
    locality = spec.locality_of().label("locality_id")
    found: dict[int, Current] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        for row, loc in s.execute(select(model, locality).where(model.id.in_(chunk))):
            found[row.id] = Current(row.version, loc, {n: getattr(row, n) for n in spec.fields}, row)
    lines = {r.row_id: r.line for r in parsed.rows}
    for row_id, current in found.items():
        if not spec.may_edit(actor, current.row, current.locality_id):
            raise PermissionDenied(
                f"Dòng {lines[row_id]} (mã {row_id}) {OUT_OF_SCOPE}: bạn chỉ được nhập dữ liệu của "
                "địa phương, đơn vị, cơ quan mình phụ trách. Không nhập gì.",
                entity=spec.entity,
                row_id=row_id,
                locality_id=current.locality_id,
            )
    return found


def build_preview(
    spec: TableSpec,
    actor: Actor,
    parsed: ParsedFile,
    current: Mapping[int, Current],
    today: date,
    key: str,
    progress: Progress = _no_progress,
) -> Preview:
    """Compare the file with the stored rows: changes, invalid cells, rows changed since the export,
    and rows that are not the row their Mã names (`key` signs the export's row checks)."""
    preview = Preview(rows=len(parsed.rows))
    total = max(1, len(parsed.rows))
    for n, file_row in enumerate(parsed.rows, start=1):
        if n % 250 == 0:
            progress(0.5 + 0.5 * n / total, f"Đã so sánh {n}/{len(parsed.rows)} dòng…")
        stored = current.get(file_row.row_id)
        if stored is None:
            preview.problems.append(
                CellProblem(file_row.line, "", file_row.row_id, "", f"không có {spec.label} mã này.")
            )
            continue
        identity = {"id": stored.row.id, **{c: getattr(stored.row, c) for c in export.ROW_IDENTITY}}
        if file_row.check != export.row_check(key, spec.entity, identity):
            preview.problems.append(_not_the_row(spec, file_row))
            continue
        typed, raw_changed = _compare_cells(preview, spec, actor, file_row, stored)
        _add_row_change(preview, spec, file_row, stored, typed, raw_changed, today)
    if len(preview.row_changes) > MAX_ROWS_PER_SAVE:
        preview.problems.append(
            CellProblem(
                0,
                "",
                0,
                "",
                f"{len(preview.row_changes)} dòng có thay đổi; mỗi lần nhập tối đa {MAX_ROWS_PER_SAVE} dòng.",
            )
        )
    progress(1.0, "Đã so sánh xong.")
    return preview


def _not_the_row(spec: TableSpec, file_row: FileRow) -> CellProblem:
    """The problem of a row whose check does not match the stored row its Mã names."""
    return CellProblem(
        file_row.line,
        "",
        file_row.row_id,
        "",
        f"dòng này không phải {spec.label} mang mã {file_row.row_id}: mã hoặc “{CHECK_HEADER}” "
        f"đã bị sửa trong tệp (hoặc nội dung {spec.label} đã đổi sau khi xuất). Không nhập dòng "
        "này; hãy xuất lại tệp mới.",
    )


@dataclass
class Comparison:
    """A row's cells typed and compared with the stored row."""

    typed: dict[str, Any] = field(default_factory=dict)  # what changes, typed
    raw: dict[str, Any] = field(default_factory=dict)  # what changes, as read from the file
    problems: list[tuple[str, str]] = field(default_factory=list)  # field, message

    @property
    def changed(self) -> bool:
        return bool(self.raw)


ROLE_MAY_NOT_EDIT = "vai trò của bạn không được sửa cột này."


def compare(spec: TableSpec, role: str, raw: Mapping[str, Any], stored: Mapping[str, Any]) -> Comparison:
    """Type each editable cell and compare it with the stored value: what changes, and the cells that
    cannot be taken (invalid, or different where the role may not edit)."""
    out = Comparison()
    for name, value in raw.items():
        fs = spec.fields[name]
        try:
            typed = fs.parse(value)
        except Invalid as exc:
            out.problems.append((name, str(exc)))
            continue
        if typed != stored[name]:
            if role not in fs.roles:
                out.problems.append((name, ROLE_MAY_NOT_EDIT))
                continue
            out.typed[name] = typed
            out.raw[name] = value
    return out


def _compare_cells(
    preview: Preview, spec: TableSpec, actor: Actor, file_row: FileRow, stored: Current
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Type each editable cell and compare it with the stored value, adding changes and problems to
    the preview; return the changed cells typed and as read from the file."""
    found = compare(spec, actor.role, file_row.values, stored.values)
    for name, message in found.problems:
        preview.problems.append(
            CellProblem(
                file_row.line, file_row.cells[name], file_row.row_id, spec.fields[name].label, message
            )
        )
    for name, value in found.typed.items():
        preview.changes.append(
            CellChange(
                file_row.line,
                file_row.cells[name],
                file_row.row_id,
                name,
                spec.fields[name].label,
                stored.values[name],
                value,
            )
        )
    return found.typed, found.raw


def _add_row_change(
    preview: Preview,
    spec: TableSpec,
    file_row: FileRow,
    stored: Current,
    typed: Mapping[str, Any],
    raw_changed: Mapping[str, Any],
    today: date,
) -> None:
    """Count an unchanged row, or note a stale one, or check the changed row and add it to the preview."""
    if not raw_changed:
        preview.unchanged_rows += 1
        return
    if file_row.version != stored.version:
        preview.stale.append((file_row.line, file_row.row_id, file_row.version, stored.version))
        return
    merged = {**stored.values, **typed, "_original": stored.row}
    for name, message in spec.check_row(merged, today):
        preview.problems.append(
            CellProblem(
                file_row.line,
                file_row.cells.get(name, ""),
                file_row.row_id,
                spec.fields[name].label,
                message,
            )
        )
    preview.row_changes.append(RowChange(file_row.row_id, file_row.version, raw_changed, file_row.line))
