"""What an uploaded .xlsx may hold before anything parses it, and a reader that counts what it yields.

An .xlsx is a zip of XML parts, and a reader trusts them: openpyxl pads every row up to the sheet's
claimed dimension (`A1:XFD1048576`: 16,384 empty cells a row, a million rows) and builds the whole
style sheet in memory (800,000 `<xf/>` took 1.4 GB). So before openpyxl opens a file, every part is
checked against a rule for what it is — known name, size unpacked, number of XML elements, depth,
no DTD — by streaming it through expat (no tree is built), and a sheet's rows and cells are counted
and their positions bounded. Then the reader's own output is counted as it comes (rows, cells,
columns, time), so no claim of the file is ever what bounds the work.
"""

from __future__ import annotations

import io
import posixpath
import re
import time
import xml.parsers.expat
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lib.core.formatting import fmt_int

KIB, MIB = 1024, 1024 * 1024
MAX_PARTS = 64
MAX_DEPTH = 40
_CHUNK = 64 * KIB


class UnsafeWorkbook(ValueError):
    """The file is refused before (or while) it is read; the message is Vietnamese."""


@dataclass(frozen=True)
class Limits:
    """What one kind of upload may hold and make a reader produce; `what` names it in messages."""

    what: str  # "một bảng cập nhật nhiệm vụ"
    source: str  # where a good file comes from: "tệp xuất từ trang này"
    data_rows: int  # data rows of one sheet
    columns: int
    cells: int  # cells of one sheet
    seconds: float  # a read that has not finished by then is refused
    unpacked_bytes: int
    sheet_bytes: int
    shared_strings_bytes: int
    rules: tuple[PartRule, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", _part_rules(self))

    @property
    def sheet_rows(self) -> int:
        return self.data_rows + 200  # the heading, notes and blank lines around the data

    @property
    def row_elements(self) -> int:
        return 20 * self.columns  # a row's cells and what is inside them (values, rich text runs)

    def too_many_rows(self) -> str:
        return (
            f"Trang tính có quá nhiều dòng (tối đa {fmt_int(self.data_rows)} dòng dữ liệu); hãy chia nhỏ "
            "tệp. Không nhập."
        )

    def too_many_cells(self) -> str:
        return f"Trang tính có quá nhiều ô (tối đa {self.columns} cột, {fmt_int(self.cells)} ô). Không nhập."

    def too_slow(self) -> str:
        return (
            f"Tệp cần hơn {int(self.seconds)} giây để đọc, quá lâu với {self.what}; "
            f"hãy dùng {self.source}. Không nhập."
        )


MAX_SHEET_EXTRAS = 5_000  # a sheet's elements around its data (columns, merged cells, formats, views)


@dataclass(frozen=True)
class PartRule:
    pattern: re.Pattern[str]
    max_bytes: int
    max_elements: int | None  # None: not XML (never read)
    sheet: bool = False


def _rule(pattern: str, max_bytes: int, max_elements: int | None, sheet: bool = False) -> PartRule:
    return PartRule(re.compile(pattern), max_bytes, max_elements, sheet)


def _part_rules(limits: Limits) -> tuple[PartRule, ...]:
    """Every part an export of this app has, and what spreadsheet programs (Excel, LibreOffice, WPS)
    add when the file is opened, edited and saved; anything else is refused by name."""
    return (
        _rule(r"\[Content_Types\]\.xml", 64 * KIB, 2_000),
        _rule(r"_rels/\.rels", 16 * KIB, 200),
        _rule(r"docProps/(core|app|custom)\.xml", 64 * KIB, 2_000),
        _rule(r"xl/workbook\.xml", 256 * KIB, 5_000),
        _rule(r"xl/_rels/workbook\.xml\.rels", 64 * KIB, 1_000),
        _rule(r"xl/styles\.xml", 1 * MIB, 20_000),  # built whole in memory by the reader
        _rule(r"xl/theme/theme\d{1,2}\.xml", 1 * MIB, 20_000),
        # at most one string a cell
        _rule(r"xl/sharedStrings\.xml", limits.shared_strings_bytes, 4 * limits.cells),
        _rule(r"xl/worksheets/sheet\d{1,2}\.xml", limits.sheet_bytes, None, sheet=True),
        _rule(r"xl/worksheets/_rels/sheet\d{1,2}\.xml\.rels", 16 * KIB, 200),
        _rule(r"xl/calcChain\.xml", 1 * MIB, 50_000),
        _rule(r"xl/printerSettings/printerSettings\d{1,2}\.bin", 64 * KIB, None),
        _rule(
            r"customXml/(item\d{1,2}|itemProps\d{1,2})\.xml|customXml/_rels/item\d{1,2}\.xml\.rels",
            64 * KIB,
            1_000,
        ),
        _rule(r"xl/(comments\d{1,2}\.xml|drawings/vmlDrawing\d{1,2}\.vml)", 1 * MIB, 20_000),
        _rule(r"xl/(threadedComments/threadedComment\d{1,2}|persons/person)\.xml", 1 * MIB, 20_000),
    )


# A sheet of the task export holds at most 5,000 data rows of 21 columns under a few lines of
# heading; these bound what such a sheet may hold or make a reader produce.
UPDATES = Limits(
    what="một bảng cập nhật nhiệm vụ",
    source="tệp xuất từ trang này",
    data_rows=5_000,
    columns=40,
    cells=150_000,
    seconds=20.0,
    unpacked_bytes=60 * MIB,
    sheet_bytes=32 * MIB,
    shared_strings_bytes=16 * MIB,
)
MAX_DATA_ROWS = UPDATES.data_rows
MAX_SHEET_ROWS = UPDATES.sheet_rows
MAX_COLUMNS = UPDATES.columns
MAX_CELLS = UPDATES.cells
MAX_UNPACKED_BYTES = UPDATES.unpacked_bytes
SECONDS = UPDATES.seconds  # the update import reads it at each call (tests shorten it)
PART_RULES = UPDATES.rules
TOO_MANY_ROWS = UPDATES.too_many_rows()
TOO_MANY_CELLS = UPDATES.too_many_cells()
TOO_SLOW = UPDATES.too_slow()

_CELL_REF = re.compile(r"([A-Z]{1,3})(\d{1,7})")


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _size(n: int) -> str:
    return f"{n / MIB:.1f} MB" if n >= MIB else f"{fmt_int(max(1, n // KIB))} KB"


class _Scan:
    """Stream one XML part through expat, counting elements and refusing what a part may not hold."""

    def __init__(self, name: str, rule: PartRule, limits: Limits) -> None:
        self.name, self.rule, self.limits = name, rule, limits
        self.elements = self.depth = self.rows = self.cells = self.row_cells = 0
        self.row_elements = self.extras = 0
        self.in_data = False
        parser = xml.parsers.expat.ParserCreate()
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.StartDoctypeDeclHandler = self._doctype
        parser.EntityDeclHandler = self._entity
        self.parser = parser

    def _refuse(self, what: str) -> UnsafeWorkbook:
        return UnsafeWorkbook(f"Phần “{self.name}” của tệp {what}; không nhập.")

    def _doctype(self, *_args: Any) -> None:
        raise self._refuse("khai báo DTD (tệp Excel thật không có)")

    def _entity(self, *_args: Any) -> None:
        raise self._refuse("khai báo thực thể XML (tệp Excel thật không có)")

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        self.elements += 1
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self._refuse(f"lồng nhau quá {MAX_DEPTH} cấp")
        rule, limits = self.rule, self.limits
        if rule.max_elements is not None and self.elements > rule.max_elements:
            raise self._refuse(f"có hơn {fmt_int(rule.max_elements)} phần tử, quá nhiều với loại phần này")
        if not rule.sheet:
            return
        local = tag.rsplit(":", 1)[-1]
        if local == "sheetData":
            self.in_data = True
        elif not self.in_data:
            # Around the data (merged cells, conditional formats, validations…), which the reader
            # builds whole in memory: a few thousand elements at most.
            self.extras += 1
            if self.extras > MAX_SHEET_EXTRAS:
                raise UnsafeWorkbook(
                    f"Trang tính có hơn {fmt_int(MAX_SHEET_EXTRAS)} phần tử ngoài các ô (ô gộp, định dạng có "
                    f"điều kiện, kiểm tra dữ liệu…), quá nhiều với {limits.what}. Không nhập."
                )
            return
        elif local != "row":
            self.row_elements += 1
            if self.row_elements > limits.row_elements:
                raise UnsafeWorkbook(limits.too_many_cells())
        if local == "row":
            self.row_elements = 0
            self.rows += 1
            self.row_cells = 0
            if self.rows > limits.sheet_rows:
                raise UnsafeWorkbook(limits.too_many_rows())
            number = attrs.get("r", "")
            if number and (not number.isdigit() or int(number) > limits.sheet_rows):
                raise UnsafeWorkbook(
                    f"Trang tính có dòng số {number[:12]}, quá xa so với {limits.what} "
                    f"(tối đa {fmt_int(limits.sheet_rows)} dòng). Không nhập."
                )
        elif local == "c":
            self.cells += 1
            self.row_cells += 1
            if self.cells > limits.cells or self.row_cells > limits.columns:
                raise UnsafeWorkbook(limits.too_many_cells())
            ref = _CELL_REF.fullmatch(attrs.get("r", "A1"))
            if ref is None or _column_number(ref[1]) > limits.columns or int(ref[2]) > limits.sheet_rows:
                raise UnsafeWorkbook(
                    f"Trang tính có ô “{attrs.get('r', '')[:12]}” nằm ngoài vùng của {limits.what} "
                    f"(tối đa {limits.columns} cột, {fmt_int(limits.sheet_rows)} dòng). Không nhập."
                )

    def _end(self, tag: str) -> None:
        self.depth -= 1
        if tag.rsplit(":", 1)[-1] == "sheetData":
            self.in_data = False


def inspect(
    data: bytes, deadline: float, tick: Callable[[], None] = lambda: None, limits: Limits = UPDATES
) -> int:
    """Refuse a workbook whose parts are unknown, too large or too many, or not plain bounded XML;
    return the number of rows its sheets hold (for a progress bar).

    `tick` is called between chunks, so the caller can stop a read whose browser went away.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise UnsafeWorkbook("Tệp .xlsx bị hỏng hoặc không đọc được.") from None
    with archive:
        if len(infos) > MAX_PARTS:
            raise UnsafeWorkbook(
                f"Tệp gồm {fmt_int(len(infos))} phần, quá nhiều với một bảng tính. Không nhập."
            )
        names = [info.filename for info in infos]
        if len(set(names)) != len(names):
            raise UnsafeWorkbook("Tệp .xlsx có hai phần trùng tên: tệp hỏng hoặc bị làm giả. Không nhập.")
        if sum(info.file_size for info in infos) > limits.unpacked_bytes:
            raise UnsafeWorkbook(f"Tệp giải nén quá lớn so với {limits.what}; không nhập.")
        rules: list[tuple[zipfile.ZipInfo, PartRule]] = []
        unknown = []
        for info in infos:
            rule = next((r for r in limits.rules if r.pattern.fullmatch(info.filename)), None)
            if rule is None:
                unknown.append(info.filename)
                continue
            if info.flag_bits & 0x1:
                raise UnsafeWorkbook("Tệp .xlsx được đặt mật khẩu; hãy lưu lại không mật khẩu. Không nhập.")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise UnsafeWorkbook("Tệp .xlsx nén theo cách lạ (không phải bảng tính thường). Không nhập.")
            if info.file_size > rule.max_bytes:
                raise UnsafeWorkbook(
                    f"Phần “{info.filename}” của tệp giải nén ra {_size(info.file_size)}, quá giới hạn "
                    f"{_size(rule.max_bytes)} của loại phần này; không nhập."
                )
            rules.append((info, rule))
        if unknown:
            shown = ", ".join(f"“{n[:60]}”" for n in unknown[:5])
            raise UnsafeWorkbook(
                f"Tệp có thành phần không thuộc {limits.what}: {shown}. Hãy dùng {limits.source}, "
                "chỉ sửa giá trị các ô (không chèn hình, biểu đồ, macro, liên kết). Không nhập."
            )
        rows = 0
        for info, rule in rules:
            if rule.max_elements is None and not rule.sheet:
                continue  # never read by anything
            rows += _scan_part(archive, info, rule, deadline, tick, limits)
        _check_links(archive, {info.filename: rule for info, rule in rules})
    return rows


_LINK_OF = re.compile(rb'(?:PartName|Target)="([^"]+)"')


def _check_links(archive: zipfile.ZipFile, rules: dict[str, PartRule]) -> None:
    """Refuse a workbook whose manifest or links point the reader at a part that was not scanned.

    The reader finds the sheets and the shared strings through these links, not by name: a link to a
    binary part (printer settings, never scanned) would have it parse that part as a sheet.
    """
    for manifest, base in (("[Content_Types].xml", ""), ("xl/_rels/workbook.xml.rels", "xl/")):
        if manifest not in rules:
            continue
        for raw in _LINK_OF.findall(archive.read(manifest)):
            target = raw.decode("utf-8", "replace")
            name = target.lstrip("/") if target.startswith("/") else posixpath.normpath(base + target)
            rule = rules.get(name)
            if rule is None or (rule.max_elements is None and not rule.sheet):
                raise UnsafeWorkbook(
                    f"Tệp dùng phần “{target[:60]}” theo cách một bảng tính thường không dùng; không nhập."
                )


def _scan_part(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    rule: PartRule,
    deadline: float,
    tick: Callable[[], None],
    limits: Limits,
) -> int:
    scan = _Scan(info.filename, rule, limits)
    try:
        with archive.open(info) as part:
            while chunk := part.read(_CHUNK):
                scan.parser.Parse(chunk, False)
                if time.monotonic() > deadline:
                    raise UnsafeWorkbook(limits.too_slow())
                tick()
            scan.parser.Parse(b"", True)
    except xml.parsers.expat.ExpatError:
        raise UnsafeWorkbook(f"Phần “{info.filename}” của tệp không phải XML hợp lệ; không nhập.") from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as exc:
        if isinstance(exc, UnsafeWorkbook):
            raise
        raise UnsafeWorkbook("Tệp .xlsx bị hỏng: không giải nén được.") from None
    return scan.rows


def bounded_rows(
    rows: Iterator[Any], deadline: float, tick: Callable[[int], None], limits: Limits = UPDATES
) -> Iterator[Any]:
    """Yield a reader's rows while counting everything it produces (padding included) against the limits."""
    cells = 0
    for produced, row in enumerate(rows, start=1):
        cells += len(row)
        if produced > limits.sheet_rows:
            raise UnsafeWorkbook(limits.too_many_rows())
        if len(row) > limits.columns or cells > limits.cells:
            raise UnsafeWorkbook(limits.too_many_cells())
        if produced % 100 == 0:
            if time.monotonic() > deadline:
                raise UnsafeWorkbook(limits.too_slow())
            tick(produced)
        yield row
