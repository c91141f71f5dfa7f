"""Bring the existing tracker in: the onboarding import of a register workbook ("Nhập sổ theo dõi").

The workbook follows the template (`template_bytes`; its sheets and headers are the catalogue's
REGISTER_SHEETS): the task sheet `Nhiệm vụ`, and if wanted `Văn bản`, `Dự án trụ sở` and `Phường
kiểu mẫu`. Columns may come in any order; a header the template does not have is refused. A row
whose `Mã` is empty is new and goes through `creation.create_rows`; a row with a `Mã` updates that
row through `changeset.apply_changes` (seen version = the current one, only the cells that differ; an
empty cell keeps the stored value; a column no import may change — the content, the lead agency —
is refused where it differs). Agencies, localities, units and documents are named, and matched to
the catalogue whatever their case, spacing or Unicode normalisation (lib/core/names.py); an unknown
name is refused with the closest ones. A document number not registered yet becomes a new document
(from the `Văn bản` sheet where it is listed there), through the same engine and audit trail.

It streams. The workbook is checked part by part (lib/files/xlsx_guard) and then read row by row in
openpyxl's read-only mode; rows are resolved, checked and written in batches of MAX_ROWS_PER_SAVE,
all in the caller's one transaction. The preview is that very run rolled back, so it shows exactly
what the import would do: new, updated and unchanged rows, the documents it adds, and every refused
cell by its address ("Nhiệm vụ!E7: …"). One refused cell and the import writes nothing.

A new row's creation key is a hash of its content and its place in the workbook (sheet, row), so
importing the same file again — or a copy saved again, or the file with rows added at its end — adds
nothing for the rows already imported.
"""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lib.core import catalogue, rules
from lib.core.catalogue import (
    REGISTER_DOCUMENTS,
    REGISTER_GUIDE,
    REGISTER_HQ,
    REGISTER_LISTS,
    REGISTER_REQUIRED_SHEET,
    REGISTER_SHEETS,
    REGISTER_TASKS,
    REGISTER_WARDS,
    RegisterSheet,
    SheetColumn,
)
from lib.core.formatting import fmt_int
from lib.core.names import Names, name_key
from lib.core.roles import OUT_OF_SCOPE, ROLE_LABELS, Actor, Refused, require_writer
from lib.core.validation import Integer, Invalid, quote
from lib.data.db import bump_data_version, transaction
from lib.data.models import Agency, Document, Locality, Unit, task_cooperator
from lib.editing.actions import perform
from lib.editing.changeset import (
    HQ,
    MAX_ROWS_PER_SAVE,
    TASKS,
    WARDS,
    CellError,
    ConflictError,
    RowChange,
    SaveResult,
    TableSpec,
    ValidationFailed,
    apply_changes,
)
from lib.editing.creation import (
    NEW_DOCUMENT,
    NEW_HQ,
    NEW_TASK,
    NEW_WARD,
    CreateSpec,
    NewRow,
    create_rows,
    task_likeness,
)
from lib.files import importer, xlsx_guard

LIMITS = xlsx_guard.Limits(
    what="một sổ theo dõi",
    source="mẫu sổ theo dõi tải từ trang “Nhập sổ theo dõi”",
    data_rows=30_000,
    columns=40,
    cells=600_000,
    seconds=300.0,
    unpacked_bytes=256 * xlsx_guard.MIB,
    sheet_bytes=128 * xlsx_guard.MIB,
    shared_strings_bytes=64 * xlsx_guard.MIB,
)
MAX_FILE_BYTES = importer.MAX_FILE_BYTES  # 20,000 task rows take about 1–2 MB
MAX_CELL_CHARS = importer.MAX_CELL_CHARS
HEADER_SEARCH_ROWS = importer.HEADER_SEARCH_ROWS
BATCH = MAX_ROWS_PER_SAVE
MAX_LISTED = 200  # refused cells and changed cells kept for the preview (all are counted)
NAME_CHARS = 100  # of a typed name quoted in a message

Progress = Callable[[float, str], None]


def _no_progress(_fraction: float, _text: str) -> None:
    return None


# --- what a run says ------------------------------------------------------------------------------


class RegisterRefused(importer.ImportRefused):
    """The workbook cannot be imported (the file, or some cells); nothing was written."""

    def __init__(self, message: str, outcome: Outcome | None = None) -> None:
        super().__init__(message, REGISTER_REQUIRED_SHEET.entity)
        self.outcome = outcome


@dataclass(frozen=True)
class Problem:
    """A refused cell ("Nhiệm vụ!E7"), row or sheet, and why."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"

    @property
    def place(self) -> tuple[str, int, int, str]:
        """Sheet, row, column: the order problems are listed in."""
        sheet, _, cell = self.where.partition("!")
        letters = cell.rstrip("0123456789")
        row = cell[len(letters) :]
        return (sheet, int(row) if row.isdigit() else 0, len(letters), letters)


@dataclass(frozen=True)
class Change:
    """One cell an update row changes."""

    where: str
    row_id: int
    label: str
    old: Any
    new: Any


@dataclass
class Counts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    already: int = 0  # of the unchanged: new rows this very file added before

    def __str__(self) -> str:
        return (
            f"{fmt_int(self.new)} mới, {fmt_int(self.updated)} cập nhật, {fmt_int(self.unchanged)} không đổi"
        )


@dataclass
class Outcome:
    """What a run did (or, rolled back, would do), sheet by sheet, and every refused cell."""

    file_name: str
    counts: dict[str, Counts] = field(default_factory=dict)  # by sheet, in the template's order
    documents: list[str] = field(default_factory=list)  # numbers of the documents added (first ones)
    document_count: int = 0
    problems: list[Problem] = field(default_factory=list)  # the first MAX_LISTED
    problem_count: int = 0
    changes: list[Change] = field(default_factory=list)  # the first MAX_LISTED
    change_count: int = 0
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    @property
    def total(self) -> Counts:
        out = Counts()
        for c in self.counts.values():
            out.new, out.updated = out.new + c.new, out.updated + c.updated
            out.unchanged, out.already = out.unchanged + c.unchanged, out.already + c.already
        return out

    def refuse(self, where: str, message: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append(Problem(where, message))

    def changed(self, change: Change) -> None:
        self.change_count += 1
        if len(self.changes) < MAX_LISTED:
            self.changes.append(change)

    def added_document(self, number: str) -> None:
        self.document_count += 1
        if len(self.documents) < MAX_LISTED:
            self.documents.append(number)

    def lines(self) -> list[str]:
        """The outcome as text, for the command line."""
        out = [f"{sheet}: {counts}" for sheet, counts in self.counts.items()]
        if self.document_count:
            shown = ", ".join(self.documents[:20]) + (" …" if self.document_count > 20 else "")
            out.append(f"Văn bản mới: {fmt_int(self.document_count)} ({shown})")
        total = self.total
        out.append(f"Tổng: {total}.")
        if total.already:
            out.append(
                f"{fmt_int(total.already)} dòng đã được nhập từ tệp này (cùng dòng, cùng nội dung) "
                "trước đây: không tạo lại."
            )
        return out + self.notes

    @property
    def listed(self) -> list[Problem]:
        """The refused cells kept, sheet by sheet, row by row."""
        order = {s.title: i for i, s in enumerate(_SHOWN_ORDER)}
        return sorted(self.problems, key=lambda p: (order.get(p.place[0], -1), *p.place))

    def refusal(self) -> str:
        """The refused cells as one message (the first MAX_LISTED)."""
        listed = "\n".join(f"- {p}" for p in self.listed)
        more = self.problem_count - len(self.problems)
        tail = f"\n- … và {fmt_int(more)} ô khác." if more > 0 else ""
        return f"Không nhập gì: {fmt_int(self.problem_count)} ô, dòng bị từ chối:\n{listed}{tail}"


@dataclass(frozen=True)
class Upload:
    """A workbook as uploaded: its name and its bytes."""

    name: str
    data: bytes

    @cached_property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


# --- the template ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lists:
    """The names the template's "Danh mục" sheet offers (from the database)."""

    agencies: Sequence[str] = ()
    localities: Sequence[str] = ()
    units: Sequence[tuple[str, str]] = ()  # unit, locality
    documents: Sequence[str] = ()


_SHOWN_ORDER = (REGISTER_TASKS, REGISTER_DOCUMENTS, REGISTER_HQ, REGISTER_WARDS)  # the template's tabs
_HEADER_FILL = PatternFill("solid", fgColor="DDE7F0")
_TEMPLATE_ROWS = 5_000  # how far down the template's drop-down lists reach


def _choices(sheet: RegisterSheet, column: SheetColumn) -> Mapping[str, str] | None:
    f = _ENTITY[sheet.entity].get(column.name)
    return f.choices if f is not None and column.kind == "choice" else None


def template_bytes(lists: Lists = Lists()) -> bytes:
    """The register template: a sheet per kind of row with the catalogue's headers, a guide, and the
    catalogue's names to copy from (drop-down lists for the coded columns)."""
    book = Workbook()
    default = book.active
    choice_columns: list[tuple[str, Mapping[str, str]]] = []  # (header, code → label) of the lists sheet
    order = _SHOWN_ORDER
    for sheet in order:
        for column in sheet.columns:
            choices = _choices(sheet, column)
            if choices is not None and column.label not in [h for h, _ in choice_columns]:
                choice_columns.append((column.label, choices))
    list_columns: list[tuple[str, list[str]]] = [
        (catalogue.LEAD_AGENCY.label, list(lists.agencies)),
        (catalogue.LOCALITY.label, [*lists.localities, catalogue.PROVINCE_LEVEL_LABEL]),
        (REGISTER_HQ["unit_id"].label, [u for u, _ in lists.units]),
        (f"{REGISTER_HQ['unit_id'].label} — {catalogue.LOCALITY.label}", [loc for _, loc in lists.units]),
        (catalogue.ASSIGNING_DOCUMENT.label, list(lists.documents)),
        *((header, list(choices.values())) for header, choices in choice_columns),
    ]
    where_listed = {header: get_column_letter(i) for i, (header, _) in enumerate(list_columns, start=1)}
    for sheet in order:
        ws = book.create_sheet(sheet.title)
        for i, column in enumerate(sheet.columns, start=1):
            cell = ws.cell(1, i, column.label)
            cell.font, cell.fill = Font(bold=True), _HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            letter = get_column_letter(i)
            ws.column_dimensions[letter].width = column.xlsx_width
            if column.kind == "date":
                ws.column_dimensions[letter].number_format = "dd/mm/yyyy"
            choices = _choices(sheet, column)
            if choices is not None:
                source = where_listed[column.label]
                rule = DataValidation(
                    type="list",
                    formula1=f"'{REGISTER_LISTS}'!${source}$2:${source}${len(choices) + 1}",
                    allow_blank=True,
                )
                rule.add(f"{letter}2:{letter}{_TEMPLATE_ROWS}")
                ws.add_data_validation(rule)
        ws.freeze_panes = "A2"
    guide = book.create_sheet(REGISTER_GUIDE)
    guide.append(["Trang", "Cột", "Cách ghi"])
    for line in _GUIDE:
        guide.append(["", "", line])
    for sheet in order:
        guide.append([sheet.title, "", sheet.help])
        for column in sheet.columns:
            required = " (bắt buộc có cột)" if column.required else ""
            guide.append([sheet.title, column.label, column.help + required])
    for letter, width in (("A", 18), ("B", 26), ("C", 110)):
        guide.column_dimensions[letter].width = width
    for cell in guide[1]:
        cell.font, cell.fill = Font(bold=True), _HEADER_FILL
    names = book.create_sheet(REGISTER_LISTS)
    for i, (header, values) in enumerate(list_columns, start=1):
        cell = names.cell(1, i, header)
        cell.font, cell.fill = Font(bold=True), _HEADER_FILL
        names.column_dimensions[get_column_letter(i)].width = 30
        for r, value in enumerate(values, start=2):
            names.cell(r, i, value).data_type = "s"
    if default is not None:
        book.remove(default)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


_GUIDE = (
    "Mỗi trang một loại dữ liệu; dòng đầu là tiêu đề cột (giữ nguyên tên cột, thứ tự cột tùy ý, "
    "không thêm cột khác). Trang “Nhiệm vụ” là bắt buộc; các trang khác có thể xóa nếu không dùng.",
    "Cột “Mã” để trống: dòng mới. Ghi mã của dòng đã có: cập nhật dòng đó; ô để trống giữ nguyên giá trị "
    "hiện có; nội dung, văn bản giao, cơ quan chủ trì, phối hợp, địa bàn, hạn ban đầu không sửa qua tệp.",
    "Tên cơ quan, địa bàn, phường, xã ghi như trang “Danh mục” (không phân biệt chữ hoa, thường, "
    "khoảng trắng); tên không có trong danh mục bị từ chối, kèm các tên gần nhất.",
    "Chỉ nhập giá trị, không dùng công thức. Ngày dạng dd/mm/yyyy hoặc ô ngày của Excel.",
    "Trang web cho xem trước số dòng mới, cập nhật, không đổi và mọi ô bị từ chối; chỉ khi không có ô "
    "nào bị từ chối mới nhập, và nhập tất cả trong một lần. Nhập lại cùng một tệp không tạo thêm gì.",
)


# --- the catalogue's names, in memory for a run --------------------------------------------------------

_PROVINCE = 0  # the "locality" of a province-level row, as a name resolves


@dataclass
class _Catalogue:
    agencies: Names[int]
    agency_locality: dict[int, int | None]
    localities: Names[int]  # _PROVINCE for province level
    locality_names: dict[int, str]
    units: dict[int, Names[int]]  # by locality
    units_anywhere: dict[str, list[int]]  # name key → units of that name in any locality
    unit_locality: dict[int, int]
    unit_names: dict[int, str]
    # The units of one name in one locality (a ward that ended and one formed under its name), by id,
    # each with its period, so that a name resolves to the unit of the row's day.
    namesakes: dict[int, list[int]]
    unit_periods: dict[int, tuple[date | None, date | None]]
    documents: Names[int]
    document_numbers: dict[int, str]
    agency_names: dict[int, str]

    @classmethod
    def load(cls, s: Session) -> _Catalogue:
        agencies: Names[int] = Names()
        agency_locality: dict[int, int | None] = {}
        agency_names: dict[int, str] = {}
        for a in s.execute(select(Agency).order_by(Agency.sort_order, Agency.id)).scalars():
            agencies.add(a.name, a.id, alias=a.retired_on is not None)
            agencies.add(a.code, a.id, alias=True)
            agency_locality[a.id], agency_names[a.id] = a.locality_id, a.name
        localities: Names[int] = Names()
        locality_names: dict[int, str] = {}
        for loc in s.execute(select(Locality).order_by(Locality.sort_order)).scalars():
            localities.add(loc.name, loc.id)
            localities.add(loc.code, loc.id, alias=True)
            kind = rules.LOCALITY_KIND_LABELS.get(loc.kind, "")
            if kind and name_key(loc.name).startswith(name_key(kind) + " "):
                localities.add(loc.name[len(kind) :], loc.id, alias=True)  # "Lục Ngạn"
            locality_names[loc.id] = loc.name
        localities.add(catalogue.PROVINCE_LEVEL_LABEL, _PROVINCE)
        units: dict[int, Names[int]] = {}
        anywhere: dict[str, list[int]] = {}
        unit_locality: dict[int, int] = {}
        unit_names: dict[int, str] = {}
        namesakes: dict[int, list[int]] = {}
        by_name: dict[tuple[int, str], list[int]] = {}
        unit_periods: dict[int, tuple[date | None, date | None]] = {}
        for u in s.execute(select(Unit).order_by(Unit.locality_id, Unit.name, Unit.id)).scalars():
            names = units.setdefault(u.locality_id, Names())
            kind = rules.UNIT_KIND_LABELS.get(u.kind, "")
            names.add(u.name, u.id, alias=u.retired_on is not None)
            for alias in (f"{kind} {u.name}", *(f"{k} {u.name}" for k in rules.UNIT_KIND_LABELS.values())):
                names.add(alias, u.id, alias=True)
            same = by_name.setdefault((u.locality_id, name_key(u.name)), [])
            if not same:  # one entry per locality: its namesakes follow it
                anywhere.setdefault(name_key(u.name), []).append(u.id)
            same.append(u.id)
            namesakes[u.id] = same
            unit_locality[u.id], unit_names[u.id] = u.locality_id, u.name
            unit_periods[u.id] = (u.valid_from, u.valid_to)
        documents: Names[int] = Names()
        numbers: dict[int, str] = {}
        for doc_id, number in s.execute(select(Document.id, Document.number).order_by(Document.sort_order)):
            documents.add(number, doc_id)
            numbers[doc_id] = number
        return cls(
            agencies,
            agency_locality,
            localities,
            locality_names,
            units,
            anywhere,
            unit_locality,
            unit_names,
            namesakes,
            unit_periods,
            documents,
            numbers,
            agency_names,
        )

    def lists(self) -> Lists:
        return Lists(
            agencies=list(self.agencies.shown),
            localities=list(self.locality_names.values()),
            units=[(self.unit_names[u], self.locality_names[loc]) for u, loc in self.unit_locality.items()],
            documents=list(self.document_numbers.values()),
        )


def template_lists(s: Session) -> Lists:
    """The names the template offers, read from the database."""
    return _Catalogue.load(s).lists()


# --- one run --------------------------------------------------------------------------------------


@dataclass
class _Row:
    """A data row of a sheet: its cells by column name, and where each is."""

    line: int
    values: dict[str, Any]
    where: dict[str, str]
    first: str  # the address of its first cell, for problems of the whole row
    row_id: int | None = None
    bad: bool = False  # a cell of it was already refused

    def at(self, name: str) -> str:
        return self.where.get(name, self.first)

    def given(self, name: str) -> Any:
        """The cell's value, or None when the column is absent or the cell empty."""
        value = self.values.get(name)
        return None if value is None or (isinstance(value, str) and not value.strip()) else value

    def text(self, name: str) -> str:
        value = self.given(name)
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, datetime | date):
            value = f"{value:%d/%m/%Y}"
        return str(value).strip()


@dataclass
class _Run:
    s: Session
    actor: Actor
    upload: Upload
    now: datetime
    today: date
    outcome: Outcome
    names: _Catalogue
    progress: Progress
    total_rows: int
    deadline: float
    rows_done: int = 0
    seen_ids: dict[tuple[str, int], int] = field(default_factory=dict)  # (sheet, id) → line
    seen_new: dict[tuple[str, bytes], int] = field(default_factory=dict)  # (sheet, row key) → line
    listed_documents: dict[str, tuple[int, str]] = field(default_factory=dict)  # number key → line, cell

    @property
    def reason(self) -> str:
        return f"Nhập sổ theo dõi từ tệp {self.upload.name[:80]}"

    def refuse(self, where: str, message: str) -> None:
        self.outcome.refuse(where, message)

    def creation_key(self, plan: _Plan, row: _Row) -> str:
        """The row's content and place: the same row of the same workbook always has the same key."""
        content = repr((plan.sheet.title, row.line, sorted((k, _plain(v)) for k, v in row.values.items())))
        return f"so:{plan.code}:{row.line}:{hashlib.blake2b(content.encode(), digest_size=16).hexdigest()}"

    def counts(self, plan: _Plan) -> Counts:
        return self.outcome.counts.setdefault(plan.sheet.title, Counts())

    def advance(self, rows: int) -> None:
        self.rows_done += rows
        fraction = min(1.0, self.rows_done / max(1, self.total_rows))
        self.progress(fraction, f"Đã xử lý {fmt_int(self.rows_done)}/{fmt_int(self.total_rows)} dòng…")

    def unknown(self, row: _Row, name: str, label: str, typed: str, nearest: list[str]) -> None:
        shown = f"{label} “{quote(typed, NAME_CHARS)}” không có trong danh mục"
        self.refuse(row.at(name), f"{shown}; gần nhất: {', '.join(nearest)}" if nearest else f"{shown}.")


def run(
    s: Session,
    actor: Actor,
    upload: Upload,
    *,
    now: datetime,
    today: date,
    progress: Progress = _no_progress,
) -> Outcome:
    """Check and write a register workbook in the caller's transaction; return what was done and every
    refused cell (the caller rolls back when any cell was refused, and always for a preview).

    A file that cannot be read at all (not a workbook, unsafe, no `Nhiệm vụ` sheet) raises RegisterRefused.
    """
    require_writer(actor, REGISTER_REQUIRED_SHEET.entity)
    started = time.perf_counter()
    deadline = time.monotonic() + LIMITS.seconds
    book, total_rows = _open(upload, deadline, progress)
    outcome = Outcome(upload.name)
    try:
        sheets = _sheets(book, outcome)
        ctx = _Run(s, actor, upload, now, today, outcome, _Catalogue.load(s), progress, total_rows, deadline)
        for sheet in _SHOWN_ORDER:  # the counts in the template's order
            if sheet.title in sheets:
                outcome.counts[sheet.title] = Counts()
        for plan in _PLANS:
            ws = sheets.get(plan.sheet.title)
            if ws is not None:
                _read_sheet(ctx, plan, ws)
    except xlsx_guard.UnsafeWorkbook as exc:
        raise RegisterRefused(str(exc)) from None
    finally:
        book.close()
    outcome.seconds = time.perf_counter() - started
    progress(1.0, "Đã xử lý xong.")
    return outcome


def _open(upload: Upload, deadline: float, progress: Progress) -> tuple[Any, int]:
    data = upload.data
    if len(data) > MAX_FILE_BYTES:
        raise RegisterRefused(
            f"Tệp lớn {len(data) / 1024 / 1024:.1f} MB, tối đa {MAX_FILE_BYTES // 1024 // 1024} MB; "
            "hãy chia thành nhiều tệp."
        )
    if not data.startswith(b"PK\x03\x04"):
        raise RegisterRefused(
            "Tệp không phải bảng tính Excel (.xlsx). Hãy dùng mẫu sổ theo dõi (trang “Nhập sổ theo dõi”)."
        )
    try:
        rows = xlsx_guard.inspect(data, deadline, lambda: progress(0.0, "Đang kiểm tra tệp…"), LIMITS)
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except xlsx_guard.UnsafeWorkbook as exc:
        raise RegisterRefused(str(exc)) from None
    except importer._DAMAGED:
        raise RegisterRefused("Tệp không phải bảng tính Excel (.xlsx) hợp lệ.") from None
    return book, rows


def _sheets(book: Any, outcome: Outcome) -> dict[str, Any]:
    """The workbook's sheets of the template, by the template's title; note the others."""
    known = {name_key(s.title): s.title for s in REGISTER_SHEETS}
    skipped = {name_key(REGISTER_GUIDE), name_key(REGISTER_LISTS)}
    found: dict[str, Any] = {}
    for ws in book.worksheets:
        title = known.get(name_key(ws.title))
        if title is not None and title not in found:
            found[title] = ws
        elif name_key(ws.title) not in skipped:
            outcome.notes.append(f"Bỏ qua trang tính “{quote(ws.title, 40)}” (không thuộc mẫu sổ theo dõi).")
    if REGISTER_REQUIRED_SHEET.title not in found:
        present = ", ".join(f"“{quote(ws.title, 40)}”" for ws in book.worksheets)
        raise RegisterRefused(
            f"Tệp không có trang tính “{REGISTER_REQUIRED_SHEET.title}” (trang bắt buộc của mẫu sổ theo "
            f"dõi); các trang của tệp: {present}. Hãy dùng mẫu sổ theo dõi."
        )
    return found


def _read_sheet(ctx: _Run, plan: _Plan, ws: Any) -> None:
    ws.reset_dimensions()  # the file's claim of its size is never what bounds the reading
    rows = xlsx_guard.bounded_rows(_read(ws.iter_rows()), ctx.deadline, lambda _n: None, LIMITS)
    header = _header(ctx, plan.sheet, ws.title, rows)
    if header is None:
        return
    columns, header_line = header
    batch: list[_Row] = []
    skipped = header_line
    for line, cells in enumerate(rows, start=header_line + 1):
        row = _row(ctx, plan, ws.title, columns, line, cells)
        if row is None:
            skipped += 1
            continue
        batch.append(row)
        if len(batch) == BATCH:
            plan.process(ctx, plan, batch)
            ctx.advance(len(batch) + skipped)
            batch, skipped = [], 0
    if batch:
        plan.process(ctx, plan, batch)
    ctx.advance(len(batch) + skipped)


def _read(rows: Iterator[Any]) -> Iterator[Any]:
    """The reader's rows; what it raises on a damaged file becomes a refusal (and only what it raises:
    an error of this module is never taken for a damaged file)."""
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except xlsx_guard.UnsafeWorkbook:
            raise
        except importer._DAMAGED:
            raise xlsx_guard.UnsafeWorkbook("Tệp .xlsx bị hỏng: không đọc hết được các dòng.") from None
        yield row


def _header(
    ctx: _Run, sheet: RegisterSheet, title: str, rows: Iterator[Any]
) -> tuple[dict[int, SheetColumn], int] | None:
    """Find the header row (in the first rows), map its cells to the template's columns, and refuse
    unknown, repeated or missing columns naming their cells."""
    by_key = {name_key(c.label): c for c in sheet.columns}
    found: tuple[int, Any] | None = None
    for line, cells in enumerate(rows, start=1):
        texts = [c.value for c in cells if isinstance(c.value, str)]
        if sum(1 for t in texts if name_key(t) in by_key) >= 2:
            found = (line, cells)
            break
        if line >= HEADER_SEARCH_ROWS:
            break
    required = ", ".join(f"“{c.label}”" for c in sheet.required)
    if found is None:
        ctx.refuse(
            title,
            f"không tìm thấy dòng tiêu đề trong {HEADER_SEARCH_ROWS} dòng đầu (cần các cột {required}); "
            "hãy dùng mẫu sổ theo dõi.",
        )
        return None
    line, cells = found
    columns: dict[int, SheetColumn] = {}
    seen: dict[str, str] = {}
    before = ctx.outcome.problem_count
    for index, cell in enumerate(cells):
        value = cell.value
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        where = f"{title}!{get_column_letter(index + 1)}{line}"
        column = by_key.get(name_key(value)) if isinstance(value, str) else None
        if column is None:
            labels = ", ".join(c.label for c in sheet.columns)
            ctx.refuse(
                where,
                f"cột “{quote(value, NAME_CHARS)}” không có trong mẫu của trang “{sheet.title}” "
                f"(các cột của mẫu: {labels}).",
            )
        elif column.name in seen:
            ctx.refuse(where, f"cột “{column.label}” lặp lại (đã có ở ô {seen[column.name]}).")
        else:
            columns[index] = column
            seen[column.name] = where
    missing = [c.label for c in sheet.required if c.name not in seen]
    if missing:
        ctx.refuse(f"{title}!A{line}", "thiếu cột bắt buộc: " + ", ".join(f"“{m}”" for m in missing) + ".")
    return (columns, line) if ctx.outcome.problem_count == before else None


def _row(
    ctx: _Run, plan: _Plan, title: str, columns: Mapping[int, SheetColumn], line: int, cells: Sequence[Any]
) -> _Row | None:
    """One data row's cells by column, refusing formulas, oversized cells and cells outside the columns;
    None for an empty row."""
    values: dict[str, Any] = {}
    where: dict[str, str] = {}
    bad = False
    empty = True
    for index, cell in enumerate(cells):
        value = cell.value
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        empty = False
        address = f"{title}!{get_column_letter(index + 1)}{line}"
        if getattr(cell, "data_type", None) == "f":
            ctx.refuse(address, "ô chứa công thức; chỉ nhập giá trị.")
            bad = True
            continue
        if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
            ctx.refuse(address, f"ô dài {fmt_int(len(value))} ký tự, tối đa {fmt_int(MAX_CELL_CHARS)}.")
            bad = True
            continue
        column = columns.get(index)
        if column is None:
            ctx.refuse(address, "ô có dữ liệu nhưng cột của nó không có tiêu đề trong mẫu.")
            bad = True
            continue
        values[column.name] = _cell_value(plan, column, cell, value)
        where[column.name] = address
    if empty:
        return None
    row = _Row(line, values, where, f"{title}!A{line}", bad=bad)
    for index, column in columns.items():  # an empty cell is still named by its column's address
        row.where.setdefault(column.name, f"{title}!{get_column_letter(index + 1)}{line}")
    if "id" in values:
        row.row_id = importer.whole_number(values["id"])
        if row.row_id is None:
            ctx.refuse(
                row.at("id"),
                f"{catalogue.ID.label} “{quote(values['id'])}” không phải mã dòng (số nguyên dương).",
            )
            row.bad = True
    return row


def _plain(value: Any) -> str:
    """A cell's value as text that does not depend on how the file was saved."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return " ".join(str(value).split())


def _cell_value(plan: _Plan, column: SheetColumn, cell: Any, value: Any) -> Any:
    """A cell as the parsers take it: dates as dates, a percentage cell as its percent, a label in any
    case as the catalogue writes it."""
    if isinstance(value, datetime):
        return value.date() if value.time() == datetime.min.time() else value
    if column.kind in ("int", "pct") and isinstance(value, float) and "%" in (cell.number_format or ""):
        return round(value * 100, 6)
    if isinstance(value, str):
        labels = plan.labels.get(column.name)
        if labels is not None:
            return labels.get(name_key(value), value)
        if column.kind in ("int", "pct") and value.strip().endswith("%"):
            return value.strip()[:-1]
    return value


# --- the plan of each sheet ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    """How the rows of one sheet become new rows and updates."""

    sheet: RegisterSheet
    code: str  # in creation keys
    create: CreateSpec
    table: TableSpec | None  # None: rows are never updated (documents)
    # A new row's values for the creation spec (references as ids), or None (its problems refused).
    new_values: Callable[[_Run, _Row], dict[str, Any] | None]
    # The locality a new row belongs to (None: province level).
    locality: Callable[[_Run, Mapping[str, Any]], int | None]
    # What makes two new rows the same row (a duplicate), or None for a row too incomplete to say.
    same_as: Callable[[Mapping[str, Any]], tuple[Any, ...] | None]
    dup_column: str  # the column a duplicate is named by
    # For an update row: the columns no import changes, refused where they differ from the stored row.
    identity: Callable[[_Run, _Row, Any, Mapping[int, Any]], None]
    # Extra stored facts for the identity check of a batch of stored rows (the cooperators of tasks).
    extra: Callable[[Session, list[int]], Mapping[int, Any]] = lambda _s, _ids: {}
    process: Callable[[_Run, _Plan, list[_Row]], None] = lambda ctx, plan, rows: _process(ctx, plan, rows)

    @cached_property
    def labels(self) -> dict[str, dict[str, str]]:
        """Per coded column: each label by its name key → the label as the catalogue writes it."""
        out: dict[str, dict[str, str]] = {}
        for column in self.sheet.columns:
            choices = _choices(self.sheet, column)
            if choices is not None:
                out[column.name] = {name_key(label): label for label in choices.values()}
        return out

    @property
    def noun(self) -> str:
        return self.create.table.label


def _process(ctx: _Run, plan: _Plan, batch: list[_Row]) -> None:
    rows = [r for r in batch if not r.bad]
    _create(ctx, plan, [r for r in rows if r.row_id is None])
    _update(ctx, plan, [r for r in rows if r.row_id is not None])


def _values_of(plan: _Plan, row: _Row, names: Sequence[str]) -> dict[str, Any]:
    """The row's given cells of these value columns, as read."""
    return {n: row.values[n] for n in names if row.given(n) is not None}


def _create(ctx: _Run, plan: _Plan, rows: list[_Row]) -> None:
    """Check the new rows of a batch and add those that pass, in one call of the creation engine."""
    if not rows:
        return
    s, actor, counts = ctx.s, ctx.actor, ctx.counts(plan)
    model: Any = plan.create.table.model
    keys = {r.line: ctx.creation_key(plan, r) for r in rows}
    done = set(s.scalars(select(model.creation_key).where(model.creation_key.in_(list(keys.values())))))
    fresh = [r for r in rows if keys[r.line] not in done]
    counts.unchanged += len(rows) - len(fresh)
    counts.already += len(rows) - len(fresh)
    if not fresh:
        return
    if actor.role not in plan.create.roles:
        role = ROLE_LABELS.get(actor.role, actor.role)
        for r in fresh:
            ctx.refuse(
                r.at("id"),
                f"vai trò “{role}” không được thêm {plan.noun} (dòng có cột “{catalogue.ID.label}” để trống "
                "là dòng mới).",
            )
        return
    if plan.sheet is REGISTER_TASKS:
        _add_documents_named(ctx, fresh)
    candidates: list[tuple[_Row, dict[str, Any]]] = []
    for r in fresh:
        values = plan.new_values(ctx, r)
        if values is None:
            continue
        loc = plan.locality(ctx, values)
        if not actor.may_edit(loc, values.get("unit_id"), (values.get("lead_agency_id"),)):
            ctx.refuse(
                r.at("locality_id") if "locality_id" in r.values else r.at("unit_id"),
                f"{plan.noun} này {OUT_OF_SCOPE}: bạn chỉ được thêm {plan.noun} của địa phương, đơn vị, "
                "cơ quan mình phụ trách.",
            )
            continue
        if not _repeated(ctx, plan, r, values):
            candidates.append((r, values))
    looks_like = plan.create.look_alikes(s, [values for _r, values in candidates])
    new_rows: list[NewRow] = []
    for (r, values), existing in zip(candidates, looks_like, strict=True):
        if existing is not None and plan.same_as(values) is not None:
            ctx.refuse(
                r.at(plan.dup_column),
                f"đã có {plan.noun} mã {existing} ({_SAME[plan.sheet.title]}); để cập nhật {plan.noun} đó, "
                f"ghi {existing} vào cột “{catalogue.ID.label}”.",
            )
            continue
        new_rows.append(NewRow(values, position=r.line, key=keys[r.line]))
    by_line = {r.line: r for r in fresh}
    result = _save(ctx, plan, by_line, new_rows, lambda chunk: _create_rows(ctx, plan.create, chunk))
    counts.new += len(result.rows) if result else 0


def _create_rows(ctx: _Run, spec: CreateSpec, rows: list[NewRow]) -> SaveResult:
    return create_rows(
        ctx.s, ctx.actor, spec, rows, now=ctx.now, today=ctx.today, confirm_similar=True, reason=ctx.reason
    )


def _save(
    ctx: _Run,
    plan: _Plan,
    by_line: Mapping[int, _Row],
    items: list[Any],
    save: Callable[[list[Any]], SaveResult],
) -> SaveResult | None:
    """Save a batch through the engine; on invalid cells refuse them by address and save the rest."""
    if not items:
        return None
    try:
        return save(items)
    except ValidationFailed as exc:
        _refuse_cells(ctx, plan, by_line, exc.errors)
        bad = {e.position for e in exc.errors}
        rest = [i for i in items if i.position not in bad]
    except ConflictError as exc:  # someone saved between the read and the write of this batch
        for c in exc.conflicts:
            row = by_line.get(c.position or 0)
            ctx.refuse(row.at("id") if row else plan.sheet.title, exc.message + " Hãy nhập lại.")
        return None
    except Refused as exc:
        ctx.refuse(plan.sheet.title, exc.message)
        return None
    if not rest:
        return None
    try:
        return save(rest)
    except Refused as exc:
        errors = exc.errors if isinstance(exc, ValidationFailed) else []
        _refuse_cells(ctx, plan, by_line, errors)
        if not errors:
            ctx.refuse(plan.sheet.title, exc.message)
        return None


def _refuse_cells(ctx: _Run, plan: _Plan, by_line: Mapping[int, _Row], errors: Sequence[CellError]) -> None:
    for e in errors:
        row = by_line.get(e.position or 0)
        ctx.refuse(row.at(e.field) if row else plan.sheet.title, f"{e.label}: {e.message}")


def _repeated(ctx: _Run, plan: _Plan, row: _Row, values: Mapping[str, Any]) -> bool:
    """Refuse a new row that repeats an earlier row of the file."""
    same = plan.same_as(values)
    if same is None:  # incomplete: the engine names what is missing
        return False
    digest = hashlib.blake2b(repr(same).encode(), digest_size=16).digest()
    first = ctx.seen_new.setdefault((plan.sheet.title, digest), row.line)
    if first != row.line:
        ctx.refuse(row.at(plan.dup_column), f"trùng với dòng {first} của trang ({_SAME[plan.sheet.title]}).")
        return True
    return False


_SAME = {
    REGISTER_TASKS.title: "cùng văn bản giao, cơ quan chủ trì, địa bàn và nội dung",
    REGISTER_HQ.title: "cùng phường, xã",
    REGISTER_WARDS.title: "cùng phường và năm đăng ký",
    REGISTER_DOCUMENTS.title: "cùng số, ký hiệu",
}


def _update(ctx: _Run, plan: _Plan, rows: list[_Row]) -> None:
    """Compare the update rows of a batch with the stored rows and save what differs, in one call."""
    if not rows:
        return
    table = plan.table
    if table is None:
        return
    s, actor, counts = ctx.s, ctx.actor, ctx.counts(plan)
    fresh: list[_Row] = []
    for r in rows:
        assert r.row_id is not None
        first = ctx.seen_ids.setdefault((plan.sheet.title, r.row_id), r.line)
        if first != r.line:
            ctx.refuse(r.at("id"), f"mã {r.row_id} đã có ở dòng {first} của trang.")
        else:
            fresh.append(r)
    model: Any = table.model
    ids = [r.row_id for r in fresh if r.row_id is not None]
    locality = table.locality_of().label("locality_id")
    current = {row.id: (row, loc) for row, loc in s.execute(select(model, locality).where(model.id.in_(ids)))}
    extra = plan.extra(s, ids)
    changes: list[RowChange] = []
    for r in fresh:
        assert r.row_id is not None
        found = current.get(r.row_id)
        if found is None:
            ctx.refuse(r.at("id"), f"không có {plan.noun} mã {r.row_id}.")
            continue
        row, loc = found
        if not table.may_edit(actor, row, loc):
            ctx.refuse(
                r.at("id"),
                f"{plan.noun} mã {r.row_id} {OUT_OF_SCOPE}; bạn chỉ được nhập dữ liệu của địa phương, "
                "đơn vị, cơ quan mình phụ trách.",
            )
            continue
        before = ctx.outcome.problem_count
        plan.identity(ctx, r, row, extra)
        given = {n: r.values[n] for n in table.fields if r.given(n) is not None}
        found_changes = importer.compare(table, actor.role, given, {n: getattr(row, n) for n in given})
        for name, message in found_changes.problems:
            ctx.refuse(r.at(name), f"{table.fields[name].label}: {message}")
        if ctx.outcome.problem_count != before:
            continue
        if not found_changes.changed:
            counts.unchanged += 1
            continue
        for name, value in found_changes.typed.items():
            ctx.outcome.changed(
                Change(r.at(name), r.row_id, table.fields[name].label, getattr(row, name), value)
            )
        changes.append(RowChange(r.row_id, row.version, found_changes.raw, r.line))
    by_line = {r.line: r for r in fresh}
    result = _save(
        ctx,
        plan,
        by_line,
        changes,
        lambda chunk: apply_changes(
            s, actor, table, chunk, now=ctx.now, today=ctx.today, action="import", reason=ctx.reason
        ),
    )
    counts.updated += len(result.rows) if result else 0


# --- names → ids ---------------------------------------------------------------------------------------


def _agency(ctx: _Run, row: _Row, name: str, typed: str) -> int | None:
    found = ctx.names.agencies.find(typed)
    if found is None:
        label = REGISTER_TASKS[name].label
        ctx.unknown(row, name, label, typed, ctx.names.agencies.closest(typed))
    return found


def _locality(ctx: _Run, row: _Row) -> tuple[bool, int | None]:
    """(known, locality id) of the row's Địa bàn; an empty cell is known and None."""
    typed = row.text("locality_id")
    if not typed:
        return True, None
    found = ctx.names.localities.find(typed)
    if found is None:
        ctx.unknown(row, "locality_id", catalogue.LOCALITY.label, typed, ctx.names.localities.closest(typed))
        return False, None
    return True, None if found == _PROVINCE else found


def _unit(ctx: _Run, row: _Row, label: str, day: date) -> int | None:
    """The unit the row names (with its Địa bàn, or alone if its name is unique), or None (refused).

    Of the units of that name in that locality, the one valid on the row's day (else the latest)."""
    found = _named_unit(ctx, row, label)
    if found is None:
        return None
    same = ctx.names.namesakes.get(found, [found])
    for unit in same:
        start, end = ctx.names.unit_periods[unit]
        if (start is None or start <= day) and (end is None or day <= end):
            return unit
    return max(same, key=lambda u: ctx.names.unit_periods[u][0] or date.min)


def _named_unit(ctx: _Run, row: _Row, label: str) -> int | None:
    typed = row.text("unit_id")
    if not typed:
        ctx.refuse(row.at("unit_id"), f"{label}: không được để trống.")
        return None
    known, loc = _locality(ctx, row)
    if not known:
        return None
    names = ctx.names
    if loc is not None:
        within = names.units.get(loc, Names())
        found = within.find(typed)
        if found is None:
            where = names.locality_names.get(loc, "")
            ctx.unknown(row, "unit_id", f"{label} thuộc {where}", typed, within.closest(typed))
        return found
    candidates = names.units_anywhere.get(name_key(typed))
    if candidates is None:  # "Phường Trần Phú": look the alias up in every locality
        candidates = [u for n in names.units.values() if (u := n.find(typed)) is not None]
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        places = ", ".join(names.locality_names[names.unit_locality[u]] for u in candidates)
        ctx.refuse(
            row.at("unit_id"),
            f"{label} “{quote(typed, NAME_CHARS)}” có ở nhiều địa bàn ({places}); ghi thêm cột "
            f"“{catalogue.LOCALITY.label}”.",
        )
        return None
    shown = [n for within in names.units.values() for n in within.shown]
    ctx.unknown(row, "unit_id", label, typed, Names([(n, 0) for n in shown]).closest(typed))
    return None


def _add_documents_named(ctx: _Run, rows: list[_Row]) -> None:
    """Register the documents that new task rows name and the catalogue does not have yet."""
    wanted: dict[str, NewRow] = {}
    where: dict[int, _Row] = {}
    for r in rows:
        number = r.text("document_id")
        key = name_key(number)
        if number and ctx.names.documents.find(number) is None and key not in wanted:
            wanted[key] = NewRow({"number": number}, position=r.line)
            where[r.line] = r
    if wanted:
        _create_documents(ctx, list(wanted.values()), where, "document_id")


def _create_documents(ctx: _Run, rows: list[NewRow], by_line: Mapping[int, _Row], cell: str) -> None:
    plan = _DOCUMENT_PLAN
    try:
        result = create_rows(
            ctx.s, ctx.actor, NEW_DOCUMENT, rows, now=ctx.now, today=ctx.today, reason=ctx.reason
        )
    except ValidationFailed as exc:
        for e in exc.errors:
            row = by_line.get(e.position or 0)
            ctx.refuse(row.at(cell or e.field) if row else plan.sheet.title, f"{e.label}: {e.message}")
        return
    except Refused as exc:
        ctx.refuse(plan.sheet.title, exc.message)
        return
    for new, doc_id in zip(rows, result.rows, strict=True):
        number = str(NEW_DOCUMENT.values["number"][1].parse(new.values["number"]))
        ctx.names.documents.add(number, doc_id)
        ctx.names.document_numbers[doc_id] = number
        ctx.outcome.added_document(number)


# --- tasks -------------------------------------------------------------------------------------------

_TASK_VALUES = tuple(c.name for c in REGISTER_TASKS.columns if c.name in NEW_TASK.values)


def _task_values(ctx: _Run, row: _Row) -> dict[str, Any] | None:
    before = ctx.outcome.problem_count
    values = _values_of(_TASK_PLAN, row, _TASK_VALUES)
    values["title"] = row.values.get("title")
    number = row.text("document_id")
    values["document_id"] = ctx.names.documents.find(number) if number else None
    if number and values["document_id"] is None:
        return None  # its document could not be added: refused there
    lead = row.text("lead_agency_id")
    values["lead_agency_id"] = _agency(ctx, row, "lead_agency_id", lead) if lead else None
    cooperators = []
    for typed in row.text("cooperators").split(catalogue.LIST_SEPARATOR):
        if typed.strip():
            cooperators.append(_agency(ctx, row, "cooperators", typed.strip()))
    values["cooperators"] = [c for c in cooperators if c is not None]
    known, loc = _locality(ctx, row)
    if known and loc is None and not row.text("locality_id") and values["lead_agency_id"] is not None:
        loc = ctx.names.agency_locality.get(values["lead_agency_id"])  # a locality's UBND leads it
    values["locality_id"] = loc
    return values if ctx.outcome.problem_count == before else None


def _task_same_as(values: Mapping[str, Any]) -> tuple[Any, ...] | None:
    same = task_likeness(
        values["document_id"], values["lead_agency_id"], values.get("locality_id"), values.get("title")
    )
    return same if same[-1] and same[0] is not None and same[1] is not None else None


def _task_identity(ctx: _Run, row: _Row, stored: Any, extra: Mapping[int, Any]) -> None:
    """Refuse the task columns no import changes where they differ from the stored task."""
    names = ctx.names

    def differs(name: str, shown: str) -> None:
        label = REGISTER_TASKS[name].label
        ctx.refuse(
            row.at(name),
            f"{label}: khác với dữ liệu hiện có (“{quote(shown, NAME_CHARS)}”); cột này không sửa được khi "
            "nhập — để trống hoặc giữ nguyên.",
        )

    number = row.text("document_id")
    if number and names.documents.find(number) != stored.document_id:
        differs("document_id", names.document_numbers.get(stored.document_id, ""))
    title = row.text("title")
    if title and " ".join(title.split()) != " ".join(stored.title.split()):
        differs("title", stored.title)
    lead = row.text("lead_agency_id")
    if lead and names.agencies.find(lead) != stored.lead_agency_id:
        differs("lead_agency_id", names.agency_names.get(stored.lead_agency_id, ""))
    typed = row.text("cooperators")
    if typed:
        given = {names.agencies.find(t.strip()) for t in typed.split(catalogue.LIST_SEPARATOR) if t.strip()}
        have = set(extra.get(stored.id, ()))
        if given != have:
            differs("cooperators", f"{catalogue.LIST_SEPARATOR} ".join(names.agency_names[a] for a in have))
    place = row.text("locality_id")
    if place:
        found = names.localities.find(place)
        if (None if found == _PROVINCE else found) != stored.locality_id or found is None:
            shown = names.locality_names.get(stored.locality_id or 0, catalogue.PROVINCE_LEVEL_LABEL)
            differs("locality_id", shown)
    original = row.given("original_deadline")
    if original is not None:
        try:
            day = NEW_TASK.values["original_deadline"][1].parse(original)
        except Invalid as exc:
            ctx.refuse(row.at("original_deadline"), f"{REGISTER_TASKS['original_deadline'].label}: {exc}")
            return
        if day != stored.original_deadline:
            differs(
                "original_deadline",
                f"{stored.original_deadline:%d/%m/%Y}" if stored.original_deadline else "",
            )


def _task_cooperators(s: Session, ids: list[int]) -> Mapping[int, Any]:
    out: dict[int, list[int]] = {}
    stmt = select(task_cooperator.c.task_id, task_cooperator.c.agency_id).where(
        task_cooperator.c.task_id.in_(ids)
    )
    for task_id, agency_id in s.execute(stmt):
        out.setdefault(task_id, []).append(agency_id)
    return out


_TASK_PLAN = _Plan(
    REGISTER_TASKS,
    "nv",
    NEW_TASK,
    TASKS,
    new_values=_task_values,
    locality=lambda _ctx, values: values.get("locality_id"),
    same_as=_task_same_as,
    dup_column="title",
    identity=_task_identity,
    extra=_task_cooperators,
)

# --- headquarters projects and model wards ------------------------------------------------------------


def _unit_values(sheet: RegisterSheet, spec: CreateSpec) -> Callable[[_Run, _Row], dict[str, Any] | None]:
    names = tuple(c.name for c in sheet.columns if c.name in spec.values)

    def values(ctx: _Run, row: _Row) -> dict[str, Any] | None:
        typed: dict[str, Any] = {}
        for name in names:  # the day of the row (e.g. the day it was finished) picks among namesakes
            if row.given(name) is not None:
                with suppress(Invalid):
                    typed[name] = spec.values[name][1].parse(row.values[name])
        unit = _unit(ctx, row, sheet["unit_id"].label, spec.day(typed, ctx.today))
        if unit is None:
            return None
        return {**{n: row.values[n] for n in names if row.given(n) is not None}, "unit_id": unit}

    return values


def _unit_identity(sheet: RegisterSheet) -> Callable[[_Run, _Row, Any, Mapping[int, Any]], None]:
    def identity(ctx: _Run, row: _Row, stored: Any, _extra: Mapping[int, Any]) -> None:
        if row.text("unit_id"):
            unit = _unit(ctx, row, sheet["unit_id"].label, ctx.today)
            if unit is not None and stored.unit_id not in ctx.names.namesakes.get(unit, [unit]):
                ctx.refuse(
                    row.at("unit_id"),
                    f"{sheet['unit_id'].label}: khác với dữ liệu hiện có "
                    f"(“{ctx.names.unit_names.get(stored.unit_id, '')}”); cột này không sửa được khi nhập.",
                )
        year = row.given("year_registered")
        if year is not None and sheet is REGISTER_WARDS:
            try:
                typed = Integer(0, 9999).parse_int(year)
            except Invalid as exc:
                ctx.refuse(row.at("year_registered"), f"{sheet['year_registered'].label}: {exc}")
                return
            if typed != stored.year_registered:
                ctx.refuse(
                    row.at("year_registered"),
                    f"{sheet['year_registered'].label}: khác với dữ liệu hiện có ({stored.year_registered}); "
                    "cột này không sửa được khi nhập.",
                )

    return identity


def _unit_locality(ctx: _Run, values: Mapping[str, Any]) -> int | None:
    return ctx.names.unit_locality.get(values["unit_id"])


def _ward_same_as(values: Mapping[str, Any]) -> tuple[Any, ...]:
    try:
        year: Any = Integer(0, 9999).parse_int(values.get("year_registered"))
    except Invalid:
        year = None
    return (values["unit_id"], year)


_HQ_PLAN = _Plan(
    REGISTER_HQ,
    "ts",
    NEW_HQ,
    HQ,
    new_values=_unit_values(REGISTER_HQ, NEW_HQ),
    locality=_unit_locality,
    same_as=lambda values: (values["unit_id"],),
    dup_column="unit_id",
    identity=_unit_identity(REGISTER_HQ),
)
_WARD_PLAN = _Plan(
    REGISTER_WARDS,
    "pkm",
    NEW_WARD,
    WARDS,
    new_values=_unit_values(REGISTER_WARDS, NEW_WARD),
    locality=_unit_locality,
    same_as=_ward_same_as,
    dup_column="unit_id",
    identity=_unit_identity(REGISTER_WARDS),
)

# --- documents -----------------------------------------------------------------------------------------


def _process_documents(ctx: _Run, plan: _Plan, batch: list[_Row]) -> None:
    """Register the listed documents the catalogue does not have yet; the others are left as they are."""
    counts = ctx.counts(plan)
    rows: list[NewRow] = []
    by_line: dict[int, _Row] = {}
    for r in batch:
        if r.bad:
            continue
        number = r.text("number")
        if not number:
            ctx.refuse(r.at("number"), f"{REGISTER_DOCUMENTS['number'].label}: không được để trống.")
            continue
        first = ctx.listed_documents.setdefault(name_key(number), (r.line, r.at("number")))
        if first[0] != r.line:
            ctx.refuse(r.at("number"), f"trùng với dòng {first[0]} của trang ({_SAME[plan.sheet.title]}).")
            continue
        if ctx.names.documents.find(number) is not None:
            counts.unchanged += 1
            continue
        if ctx.actor.role not in NEW_DOCUMENT.roles:
            role = ROLE_LABELS.get(ctx.actor.role, ctx.actor.role)
            ctx.refuse(r.at("number"), f"vai trò “{role}” không được thêm văn bản.")
            continue
        values = _values_of(plan, r, tuple(NEW_DOCUMENT.values))
        values["number"] = number
        rows.append(NewRow(values, position=r.line))
        by_line[r.line] = r
    added = ctx.outcome.document_count
    if rows:
        _create_documents(ctx, rows, by_line, "")
    counts.new += ctx.outcome.document_count - added


_DOCUMENT_PLAN = _Plan(
    REGISTER_DOCUMENTS,
    "vb",
    NEW_DOCUMENT,
    None,
    new_values=lambda _ctx, _row: None,
    locality=lambda _ctx, _values: None,
    same_as=lambda _values: None,
    dup_column="number",
    identity=lambda _ctx, _row, _stored, _extra: None,
    process=_process_documents,
)

_PLANS = (_DOCUMENT_PLAN, _TASK_PLAN, _HQ_PLAN, _WARD_PLAN)
_ENTITY = {
    "task": catalogue.TASK,
    "hq_project": catalogue.HQ_PROJECT,
    "model_ward": catalogue.MODEL_WARD,
    "document": catalogue.DOCUMENT,
}


# --- the two ways in: a preview, and the import ---------------------------------------------------------


def preview(
    engine: Engine,
    actor: Actor,
    upload: Upload,
    *,
    now: datetime,
    today: date,
    progress: Progress = _no_progress,
) -> Outcome:
    """What importing the workbook would do, and every refused cell: the import itself, rolled back.

    It holds the write lock while it runs (on SQLite other saves wait), as the import does.
    """
    with transaction(engine, write=True) as s:
        try:
            return run(s, actor, upload, now=now, today=today, progress=progress)
        finally:
            s.rollback()


def import_register(
    engine: Engine,
    actor: Actor,
    upload: Upload,
    *,
    now: datetime,
    today: date,
    progress: Progress = _no_progress,
) -> Outcome:
    """Import the workbook in one transaction; refuse it whole (RegisterRefused, recorded in the audit
    trail) and write nothing if any cell is refused."""
    return perform(engine, actor, _run_or_refuse, upload, now=now, today=today, progress=progress)


def _run_or_refuse(
    s: Session, actor: Actor, upload: Upload, *, now: datetime, today: date, progress: Progress
) -> Outcome:
    # An import may add and change rows of every register: it says "anything may have changed"
    # (first: the write lock); a refused import rolls back, this with it.
    bump_data_version(s)
    outcome = run(s, actor, upload, now=now, today=today, progress=progress)
    if not outcome.ok:
        raise RegisterRefused(outcome.refusal(), outcome)
    return outcome
