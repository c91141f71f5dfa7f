"""Excel files the offices can open safely: Vietnamese headers, real dates and numbers, no formulas.

Every text cell is written as text; one that a spreadsheet could take for a formula (it begins with
=, +, -, @, a tab or a carriage return) is also marked "quote prefix", so neither opening the file nor
editing the cell later ever evaluates it. Numbers stay numbers (a negative amount is a number, not
text), dates are dates shown dd/mm/yyyy.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from lib.core import security
from lib.core.catalogue import HQ_PROJECT, MODEL_WARD, TASK, YEARLY_REPORT, Entity
from lib.core.validation import xml_safe

if TYPE_CHECKING:
    from lib.data import followup

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
HEADER_ROW = 4  # title, as-of date, a blank line, then the headers
FIRST_DATA_ROW = HEADER_ROW + 1
MAX_CELL_TEXT = 32_767  # what a spreadsheet cell holds

FORMATS = {
    "int": "0",
    "money": "#,##0",
    "pct": '0.0"%"',
    "date": "dd/mm/yyyy",
    "datetime": "hh:mm dd/mm/yyyy",
}


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"  # text | int | money | pct | date | datetime
    width: int = 16


@dataclass(frozen=True)
class Sheet:
    title: str  # the tab's name (at most 31 characters)
    heading: str  # first line of the sheet
    as_of: date
    columns: Sequence[Column]
    rows: Sequence[Mapping[str, Any]]
    notes: Sequence[str] = field(default_factory=tuple)  # lines under the table


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_TRIGGERS)


def _put(cell: Cell, value: Any, kind: str) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        value = "Có" if value else "Không"
    if isinstance(value, str):
        # Stored text was validated, but a file must never fail to build: what XML cannot hold
        # (U+FFFF, a lone surrogate, a control character) is replaced, not passed to the writer.
        cell.value = xml_safe(value[:MAX_CELL_TEXT])
        cell.data_type = "s"  # never a formula, whatever the text looks like
        if looks_like_formula(value):
            cell.quotePrefix = True
        return
    if isinstance(value, datetime):
        cell.value = value
        cell.number_format = FORMATS["datetime"]
        return
    if isinstance(value, date):
        cell.value = value
        cell.number_format = FORMATS["date"]
        return
    if isinstance(value, int | float):
        cell.value = value
        if kind in FORMATS:
            cell.number_format = FORMATS[kind]
        return
    _put(cell, str(value), "text")


def write_sheet(book: Workbook, sheet: Sheet) -> None:
    """Add one sheet: heading, "Số liệu tính đến ngày …", headers, one row per record."""
    ws = book.create_sheet(sheet.title[:31])
    for row, text, font in (
        (1, sheet.heading, Font(bold=True, size=13)),
        (2, f"Số liệu tính đến ngày {sheet.as_of:%d/%m/%Y}", Font(italic=True)),
    ):
        _put(ws.cell(row, 1), text, "text")
        ws.cell(row, 1).font = font
    header_fill = PatternFill("solid", fgColor="DDE7F0")
    for i, column in enumerate(sheet.columns, start=1):
        cell = ws.cell(HEADER_ROW, i)
        _put(cell, column.header, "text")
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(i)].width = column.width
    for r, record in enumerate(sheet.rows, start=FIRST_DATA_ROW):
        for i, column in enumerate(sheet.columns, start=1):
            _put(ws.cell(r, i), record.get(column.key), column.kind)
    below = FIRST_DATA_ROW + len(sheet.rows) + 1
    for offset, line in enumerate(sheet.notes):
        _put(ws.cell(below + offset, 1), line, "text")
    ws.freeze_panes = ws.cell(FIRST_DATA_ROW, 1)


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """Build an .xlsx file of one or more sheets and return its bytes."""
    book = Workbook()
    default = book.active
    for sheet in sheets:
        write_sheet(book, sheet)
    if default is not None and len(book.worksheets) > 1:
        book.remove(default)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- the layouts of the exported tables (the task layout is also what the import reads) ----------

_KINDS = {"choice": "text", "codes": "text", "score": "int"}  # catalogue kind → cell kind, where they differ


def columns(entity: Entity, names: Sequence[str]) -> tuple[Column, ...]:
    """The sheet columns of an entity's fields, headed by their catalogue labels."""
    return tuple(
        Column(f.name, f.label, _KINDS.get(f.kind, f.kind), f.xlsx_width) for f in entity.pick(names)
    )


# What says which task a row of an exported file is: its id and its title, signed with the server's
# key. A Mã changed in the file (by mistake or not) no longer matches its check, and the import
# refuses that row instead of writing over another task.
ROW_CHECK_HEADER = "Mã kiểm tra"
ROW_CHECK_PURPOSE = "export-row"
ROW_IDENTITY = ("title",)


def row_check(key: str, entity: str, row: Mapping[str, Any]) -> str:
    """A short check of a row's id and identifying columns (10 characters, signed with `key`)."""
    value = "|".join([entity, str(row["id"]), *(str(row.get(c) or "") for c in ROW_IDENTITY)])
    digest = bytes.fromhex(security.signature(key, ROW_CHECK_PURPOSE, value))
    return base64.b32encode(digest).decode()[:10]


def task_rows(rows: Sequence[Mapping[str, Any]], key: str) -> list[dict[str, Any]]:
    """Task rows as the exported sheet shows them: labels for codes, and each row's check."""
    return [{**readable(r, TASK), "row_check": row_check(key, "task", r)} for r in rows]


TASK_LAYOUT = (*columns(TASK, TASK.sheet_columns), Column("row_check", ROW_CHECK_HEADER, "text", 12))
HQ_LAYOUT = columns(HQ_PROJECT, HQ_PROJECT.sheet_columns)
WARD_LAYOUT = columns(MODEL_WARD, MODEL_WARD.sheet_columns)
YEARLY_REPORT_LAYOUT = columns(YEARLY_REPORT, YEARLY_REPORT.sheet_columns)


def yearly_report_row(r: followup.YearlyReport) -> dict[str, Any]:
    """One addressee's yearly report as a row of the list (on screen and in the file)."""
    return {c.key: getattr(r, c.key) for c in YEARLY_REPORT_LAYOUT}


def yearly_reports_xlsx(reports: Sequence[followup.YearlyReport], as_of: date) -> bytes:
    """The yearly reports before 15/12, per addressee and year, as .xlsx."""
    rows = [yearly_report_row(r) for r in reports]
    heading = "Báo cáo hằng năm (hạn trước 15/12)"
    return workbook_bytes([Sheet("Báo cáo năm", heading, as_of, YEARLY_REPORT_LAYOUT, rows)])


def readable(row: Mapping[str, Any], entity: Entity) -> dict[str, Any]:
    """A row with codes turned into their Vietnamese labels, as people read and type them."""
    return {key: entity.shown(key, value) for key, value in row.items()}
