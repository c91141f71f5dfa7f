"""Read a reorganisation from a CSV file (UTF-8, with or without BOM).

Three layouts, told apart by their header:

- units on 1/1/2025 (data/units-2025-01.csv): old_name, old_kind, old_locality, new_name, new_kind,
  new_locality, change, resolution, effective, source_url — a unit (xã, phường, thị trấn) per line.
- units on 1/7/2025 (data/units-2025-07.csv): old_name, old_kind, old_locality_2025, new_name,
  new_kind, resolution, effective, source_url — no new district (the district level ended: the new
  unit is grouped under the former district that gave it most of its parts) and no change word (every
  old unit becomes part of a new one: `merged` when several join, else `renamed`/`upgraded`).
- bodies (data/agencies-2025.csv): body (locality / unit / agency), old_name, new_name, change,
  resolution, effective; optional old_code, new_code (an agency's stable code), old_kind, new_kind,
  old_locality, new_locality, main (1/x on a split's seat), superior, place (a new agency's header and
  place), source_url, note. `change = ended` with an empty new_name ends a body without successor.

Kinds are stored words (phuong, xa, thi_tran; huyen, thi_xa, thanh_pho; cong_an, so_nganh, ubnd,
bao_chi) or their Vietnamese names. `resolution` is the number with its date in brackets
(“NQ 1191/NQ-UBTVQH15 (28/9/2024)”), or “none (…)” on a `same` line the resolution leaves alone;
`effective` is YYYY-MM-DD or DD/MM/YYYY. Every line must carry the same resolution and effective
date, unless `only_effective` picks the lines of one day (a file of several reorganisations, such as
data/agencies-2025.csv; `only_resolution` picks one resolution's). Every problem names its line.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

from lib.core.arrangement import (
    BODY_WORDS,
    CHANGE_WORDS,
    ENDED,
    KIND_WORDS,
    MERGED,
    RENAMED,
    SAME,
    UPGRADED,
    ArrangementInvalid,
    Line,
    Parsed,
    Problem,
    group_localities,
    norm,
)
from lib.core.organisation import UNIT

MAX_BYTES = 2 * 1024 * 1024
MAX_LINES = 5_000
UNITS_01 = ("old_name", "old_kind", "old_locality", "new_name", "new_kind", "new_locality", "change",
            "resolution", "effective", "source_url")  # fmt: skip
UNITS_07 = ("old_name", "old_kind", "old_locality_2025", "new_name", "new_kind", "resolution", "effective",
            "source_url")  # fmt: skip
BODIES = ("body", "old_name", "new_name", "change", "resolution", "effective")
BODIES_OPTIONAL = ("old_code", "new_code", "old_kind", "new_kind", "old_locality", "new_locality", "main",
                   "superior", "place", "source_url", "note")  # fmt: skip
_RESOLUTION = re.compile(r"^(?P<number>.*?)\s*\((?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})\)\s*$")
_TRUE = {"1", "x", "true", "có", "co", "yes", "main", "chính"}


def parse_resolution(text: str) -> tuple[str, date | None]:
    """ "NQ 1191/NQ-UBTVQH15 (28/9/2024)" → ("NQ 1191/NQ-UBTVQH15", 28/9/2024)."""
    text = " ".join(text.split())
    match = _RESOLUTION.match(text)
    if match is None:
        return text, None
    try:
        return match["number"], date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return text, None


def parse_day(text: str) -> date | None:
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
        match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
        if match:
            return date(int(match[3]), int(match[2]), int(match[1]))
    except ValueError:
        return None
    return None


def read_arrangement(
    data: bytes,
    name: str = "tệp",
    *,
    only_effective: date | None = None,
    only_resolution: str | None = None,
) -> Parsed:
    """Read one file; raise ArrangementInvalid naming every bad line (nothing is half read)."""
    if len(data) > MAX_BYTES:
        raise ArrangementInvalid(
            [Problem(0, f"{name}: tệp quá lớn (tối đa {MAX_BYTES // 1024 // 1024} MB).")]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArrangementInvalid(
            [
                Problem(
                    0,
                    f"{name}: không phải văn bản UTF-8 (byte {exc.start}); hãy lưu lại dưới dạng CSV UTF-8.",
                )
            ]
        ) from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise ArrangementInvalid([Problem(0, f"{name}: tệp trống, không có dòng tiêu đề.")])
    if len(rows) > MAX_LINES + 1:
        raise ArrangementInvalid([Problem(0, f"{name}: quá {MAX_LINES} dòng.")])
    header = [cell.strip().lower() for cell in rows[0]]
    layout, problems = _layout(header)
    if problems:
        raise ArrangementInvalid(problems)
    lines: list[Line] = []
    dates: dict[tuple[str, date], int] = {}
    resolutions: dict[str, tuple[str, date | None]] = {}
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            problems.append(Problem(number, f"có {len(cells)} cột, nhiều hơn {len(header)} cột của tiêu đề."))
            continue
        row = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}
        effective = parse_day(row["effective"]) if row["effective"] else None
        if not row["effective"]:
            problems.append(Problem(number, "thiếu giá trị ở cột “effective” (ngày hiệu lực)."))
        elif effective is None:
            problems.append(
                Problem(
                    number,
                    f"ngày hiệu lực “{row['effective'][:40]}” không hợp lệ (YYYY-MM-DD hoặc DD/MM/YYYY).",
                )
            )
        if only_effective is not None and effective != only_effective:
            continue
        # A unit the resolution leaves as it was may say so: "none (unit not changed by …)".
        unchanged = row["resolution"].lower().startswith("none") and norm(row.get("change", "")) == SAME
        if (
            only_resolution is not None
            and not unchanged
            and parse_resolution(row["resolution"])[0] != only_resolution
        ):
            continue
        line = _line(layout, number, row, problems)
        if not row["resolution"]:
            problems.append(Problem(number, "thiếu giá trị ở cột “resolution” (nghị quyết)."))
        if line is None or effective is None or not row["resolution"]:
            continue
        if unchanged:
            lines.append(line)
            continue
        number_text, issued = parse_resolution(row["resolution"])
        resolutions.setdefault(number_text, (number_text, issued))
        dates.setdefault((number_text, effective), number)
        lines.append(line)
    if len(dates) > 1:
        (first_res, first_day), first_line = next(iter(dates.items()))
        for (res, day), at in list(dates.items())[1:]:
            problems.append(
                Problem(
                    at,
                    f"nghị quyết/ngày hiệu lực “{res}”, {day:%d/%m/%Y} khác dòng {first_line} "
                    f"(“{first_res}”, {first_day:%d/%m/%Y}); mỗi tệp chỉ một lần sắp xếp.",
                )
            )
    if not dates and not problems:
        problems.append(Problem(0, f"{name}: không có dòng ánh xạ nào có nghị quyết."))
    if problems:
        raise ArrangementInvalid(sorted(problems, key=lambda p: p.line_no))
    (resolution, effective_on) = next(iter(dates))
    if layout == "units-07":
        lines = _derive_07(group_localities(lines))
    return Parsed(
        resolution=resolution,
        resolution_on=resolutions[resolution][1],
        effective_on=effective_on,
        lines=tuple(lines),
        sources=(name,),
    )


def _layout(header: list[str]) -> tuple[str, list[Problem]]:
    required: tuple[str, ...]
    optional: tuple[str, ...]
    if "body" in header:
        layout, required, optional = "bodies", BODIES, BODIES_OPTIONAL
    elif "old_locality_2025" in header:
        layout, required, optional = "units-07", UNITS_07, ("change", "main", "note")
    else:
        layout, required, optional = "units-01", UNITS_01, ("main", "note")
    problems = [
        Problem(1, f"cột “{h}” không thuộc mẫu; các cột: {', '.join(required + optional)}.")
        for h in header
        if h not in required and h not in optional
    ]
    problems += [Problem(1, f"thiếu cột “{h}”.") for h in required if h not in header and h != "source_url"]
    seen: set[str] = set()
    for h in header:
        if h in seen:
            problems.append(Problem(1, f"cột “{h}” có hai lần."))
        seen.add(h)
    return layout, problems


def _kind(body: str, value: str, column: str, number: int, problems: list[Problem]) -> str:
    if not value:
        return ""
    kind = KIND_WORDS[body].get(norm(value))
    if kind is None:
        problems.append(
            Problem(
                number,
                f"loại “{value[:40]}” ở cột “{column}” không hợp lệ; dùng: "
                f"{', '.join(sorted(set(KIND_WORDS[body].values())))}.",
            )
        )
        return ""
    return kind


def _line(layout: str, number: int, row: dict[str, str], problems: list[Problem]) -> Line | None:
    before = len(problems)
    body = UNIT
    if layout == "bodies":
        body = BODY_WORDS.get(norm(row["body"]), "")
        if not row["body"]:
            problems.append(Problem(number, "thiếu giá trị ở cột “body” (locality, unit hoặc agency)."))
        elif not body:
            problems.append(
                Problem(
                    number,
                    f"loại cơ quan/đơn vị “{row['body'][:40]}” không hợp lệ; "
                    "dùng locality, unit hoặc agency.",
                )
            )
    change_text = row.get("change", "")
    change = CHANGE_WORDS.get(norm(change_text), "") if change_text else ""
    if layout != "units-07" and not change_text:
        problems.append(
            Problem(
                number, "thiếu giá trị ở cột “change” (same, merged, split, renamed, moved, upgraded, ended)."
            )
        )
    elif change_text and not change:
        problems.append(
            Problem(
                number,
                f"từ thay đổi “{change_text[:40]}” không hợp lệ; dùng same, merged, split, renamed, "
                "moved, upgraded hoặc ended.",
            )
        )
    if not row["old_name"]:
        problems.append(Problem(number, "thiếu giá trị ở cột “old_name” (tên cũ)."))
    if not row["new_name"] and change != ENDED:
        problems.append(Problem(number, "thiếu giá trị ở cột “new_name” (tên mới)."))
    if row["new_name"] and change == ENDED:
        problems.append(Problem(number, "“ended” (kết thúc, không có đơn vị kế tục) nhưng có tên mới."))
    old_locality = row.get("old_locality", row.get("old_locality_2025", ""))
    if layout != "bodies":
        for column in (
            "old_kind",
            "new_kind",
            "old_locality_2025" if layout == "units-07" else "old_locality",
        ):
            if not row.get(column):
                problems.append(Problem(number, f"thiếu giá trị ở cột “{column}”."))
        if layout == "units-01" and not row["new_locality"]:
            problems.append(Problem(number, "thiếu giá trị ở cột “new_locality”."))
    if not body:
        return None
    old_kind = _kind(body, row.get("old_kind", ""), "old_kind", number, problems)
    new_kind = _kind(body, row.get("new_kind", ""), "new_kind", number, problems)
    if len(problems) > before:
        return None
    return Line(
        line_no=number,
        body_kind=body,
        old_name=row["old_name"],
        new_name=row["new_name"],
        change=change,
        old_kind=old_kind,
        old_locality=old_locality,
        old_code=row.get("old_code", ""),
        new_kind=new_kind,
        new_locality=row.get("new_locality", ""),
        new_code=row.get("new_code", ""),
        main=(row["main"].strip().lower() in _TRUE) if row.get("main") else None,
        superior=row.get("superior", ""),
        place=row.get("place", ""),
        source=row.get("source_url", ""),
    )


def _derive_07(lines: list[Line]) -> list[Line]:
    """The change of each line of the 1/7/2025 layout: every old unit becomes part of a new one."""
    parts: dict[tuple[str, str, str], int] = {}
    for line in lines:
        key = (norm(line.new_name), line.new_kind, norm(line.new_locality))
        parts[key] = parts.get(key, 0) + 1
    derived = []
    for line in lines:
        if line.change:
            derived.append(line)
            continue
        if parts[(norm(line.new_name), line.new_kind, norm(line.new_locality))] > 1:
            change = MERGED
        elif norm(line.new_name) != norm(line.old_name):
            change = RENAMED
        elif line.new_kind != line.old_kind:
            change = UPGRADED
        else:
            change = SAME if norm(line.new_locality) == norm(line.old_locality) else MERGED
        derived.append(Line(**{**line.__dict__, "change": change}))
    return derived
