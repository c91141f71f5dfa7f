"""Reading a reorganisation from CSV: the reference layouts, and every bad input named by its line."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from lib.core.arrangement import MERGED, SAME, ArrangementInvalid, combine
from lib.core.config import PROJECT_ROOT
from lib.files.arrangement import read_arrangement

DATA = PROJECT_ROOT / "data"
HEAD_01 = (
    "old_name,old_kind,old_locality,new_name,new_kind,new_locality,change,resolution,effective,source_url"
)
RES = "NQ 1/NQ-UBTVQH15 (2/1/2025)"


def csv_of(*rows: str, head: str = HEAD_01) -> bytes:
    return ("\n".join([head, *rows]) + "\n").encode()


def problems(data: bytes, **kw: object) -> str:
    with pytest.raises(ArrangementInvalid) as caught:
        read_arrangement(data, "thu.csv", **kw)  # type: ignore[arg-type]
    return caught.value.message


def test_the_january_2025_file_reads_as_one_arrangement_of_80_units():
    parsed = read_arrangement((DATA / "units-2025-01.csv").read_bytes(), "units-2025-01.csv")
    assert (parsed.resolution, parsed.resolution_on, parsed.effective_on) == (
        "NQ 1191/NQ-UBTVQH15",
        date(2024, 9, 28),
        date(2025, 1, 1),
    )
    assert len(parsed.lines) == 80
    assert Counter(line.change for line in parsed.lines) == {
        "same": 42,
        "upgraded": 20,
        "moved": 15,
        "merged": 3,
    }
    lao_ho = next(line for line in parsed.lines if line.old_name == "Lão Hộ")
    assert (lao_ho.line_no, lao_ho.new_name, lao_ho.new_kind, lao_ho.new_locality) == (
        43,
        "Tân An",
        "phuong",
        "Thành phố Bắc Giang",
    )
    assert parsed.problems() == []


def test_the_july_2025_file_groups_each_new_unit_under_the_district_that_gave_most_parts():
    parsed = read_arrangement((DATA / "units-2025-07.csv").read_bytes(), "units-2025-07.csv")
    assert parsed.effective_on == date(2025, 7, 1) and len(parsed.lines) == 77
    new = {(line.new_name, line.new_kind, line.new_locality) for line in parsed.lines}
    assert len(new) == 23
    assert Counter(kind for _, kind, _ in new) == {"phuong": 13, "xa": 10}
    # Nam Dương: one part from thị xã Chũ (its first line), one from Lục Ngạn: the first line's wins.
    assert ("Nam Dương", "xa", "Thị xã Chũ") in new
    assert ("Lục Ngạn", "xa", "Huyện Lục Ngạn") in new
    # Every old unit becomes part of a new one.
    assert {line.change for line in parsed.lines} == {MERGED}
    assert parsed.problems() == []


def test_a_bom_and_windows_line_ends_are_read_like_plain_utf8():
    body = csv_of(f"Một,xa,Huyện An,Hai,xa,Huyện An,merged,{RES},2025-01-02,")
    parsed = read_arrangement(b"\xef\xbb\xbf" + body.replace(b"\n", b"\r\n"))
    assert [(line.old_name, line.new_name, line.change) for line in parsed.lines] == [("Một", "Hai", MERGED)]
    assert parsed.resolution_on == date(2025, 1, 2)


def test_the_bodies_layout_picks_one_day_and_resolution_of_a_file_of_several():
    data = (DATA / "agencies-2025.csv").read_bytes()
    departments = read_arrangement(data, only_effective=date(2025, 3, 1))
    assert {(line.old_code, line.new_code, line.change) for line in departments.lines} >= {
        ("skhdt", "stc", MERGED),
        ("stnmt", "snnmt", MERGED),
        ("stttt", "skhcn", MERGED),
        ("sxd", "sxd", SAME),
    }
    police = read_arrangement(data, only_effective=date(2025, 7, 1), only_resolution="NQ 202/2025/QH15")
    got = [(line.old_code, line.new_code, line.new_name, line.superior, line.place) for line in police.lines]
    assert got == [
        ("cat", "cat-bn", "Công an tỉnh Bắc Ninh", "Bộ Công an", "Bắc Ninh"),
        ("ubnd-tinh-bg", "ubnd-tinh-bn", "UBND tỉnh Bắc Ninh", "", "Bắc Ninh"),
    ]
    assert {line.change for line in police.lines} == {MERGED}
    with pytest.raises(ArrangementInvalid, match="mỗi tệp chỉ một lần sắp xếp"):
        read_arrangement(data)


def test_files_of_one_resolution_combine_and_the_second_file_counts_lines_from_1000():
    units = read_arrangement((DATA / "units-2025-07.csv").read_bytes(), "units-2025-07.csv")
    bodies = read_arrangement(
        (DATA / "agencies-2025.csv").read_bytes(),
        "agencies-2025.csv",
        only_effective=date(2025, 7, 1),
        only_resolution="NQ 1658/NQ-UBTVQH15",
    )
    both = combine([units, bodies])
    assert len(both.lines) == 77 + 4 + 23
    assert both.lines[77].line_no > 1000 and both.sources == ("units-2025-07.csv", "agencies-2025.csv")
    with pytest.raises(ArrangementInvalid, match="văn bản khác nhau"):
        combine([units, read_arrangement((DATA / "units-2025-01.csv").read_bytes())])


GOOD = f"Một,xa,Huyện An,Hai,xa,Huyện An,merged,{RES},2025-01-02,"


def row(**changes: str) -> str:
    """GOOD with some cells replaced (by column name)."""
    cells = dict(zip(HEAD_01.split(","), GOOD.split(","), strict=True))
    cells.update(changes)
    return ",".join(cells.values())


NO_CHANGE_HEAD = HEAD_01.replace("change,", "")
NO_CHANGE_ROW = GOOD.replace("merged,", "")
BAD_INPUTS = {
    "unknown-column": (csv_of(GOOD, head=HEAD_01 + ",ghi_chu"), "Dòng 1: cột “ghi_chu” không thuộc mẫu"),
    "missing-column": (csv_of(NO_CHANGE_ROW, head=NO_CHANGE_HEAD), "Dòng 1: thiếu cột “change”"),
    "missing-value": (csv_of(GOOD, row(old_name="")), "Dòng 3: thiếu giá trị ở cột “old_name”"),
    "bad-date": (csv_of(row(effective="2025-13-02")), "Dòng 2: ngày hiệu lực “2025-13-02” không hợp lệ"),
    "bad-change": (csv_of(row(change="nhap")), "Dòng 2: từ thay đổi “nhap” không hợp lệ"),
    "bad-kind": (csv_of(row(new_kind="làng")), "Dòng 2: loại “làng” ở cột “new_kind” không hợp lệ"),
    "mixed-resolutions": (
        csv_of(GOOD, row(resolution="NQ 2/NQ-UBTVQH15 (2/1/2025)")),
        "Dòng 3: nghị quyết/ngày hiệu lực “NQ 2/NQ-UBTVQH15”",
    ),
    "mixed-dates": (
        csv_of(GOOD, row(effective="02/02/2025")),
        "Dòng 3: nghị quyết/ngày hiệu lực “NQ 1/NQ-UBTVQH15”, 02/02/2025 khác dòng 2",
    ),
    "no-resolution": (csv_of(row(resolution="")), "Dòng 2: thiếu giá trị ở cột “resolution”"),
    "not-utf8": ("old_name,x\n".encode("utf-16"), "không phải văn bản UTF-8"),
    "empty": (b"", "tệp trống"),
    "no-lines": (csv_of(), "không có dòng ánh xạ nào"),
}


@pytest.mark.parametrize(("data", "expected"), list(BAD_INPUTS.values()), ids=list(BAD_INPUTS))
def test_bad_input_is_refused_naming_the_line(data, expected):
    assert expected in problems(data)


def test_every_bad_line_is_named_not_only_the_first():
    message = problems(
        csv_of(
            f"Một,xa,Huyện An,Hai,xa,Huyện An,merged,{RES},hôm qua,",
            f"Ba,xa,Huyện An,Hai,xa,Huyện An,gop,{RES},2025-01-02,",
        )
    )
    assert "Dòng 2: ngày hiệu lực “hôm qua”" in message and "Dòng 3: từ thay đổi “gop”" in message
