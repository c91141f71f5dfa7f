"""A reorganisation (sắp xếp) as entered, before it touches the database: its lines, and the checks
that need nothing but the lines themselves.

A line maps one old body (a locality, a unit or an agency) to one new body with a change word:
`same` (nothing changes), `merged` (into an existing body, or a new one), `split` (one old body on
several lines; one of them the main part, the seat), `renamed`, `upgraded`, `moved` (the row ends and
a successor row starts). A line with no new body (`ended`) ends a body without successor: the
district level, abolished on 1/7/2025 (its finished history stays; its units carry on grouped under
it).

Which body a line names is found later (lib/editing/arrangements.py): a unit by name, kind and
district, a locality by name, an agency by code (if given) or name, valid the day before the
effective date.
"""

from __future__ import annotations

import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from lib.core.formatting import fmt_date
from lib.core.organisation import AGENCY, LOCALITY, UNIT

SAME, MERGED, SPLIT, RENAMED, MOVED, UPGRADED = "same", "merged", "split", "renamed", "moved", "upgraded"
ENDED = "ended"  # no successor
CHANGE_WORDS = {
    SAME: SAME,
    "giữ nguyên": SAME,
    "không đổi": SAME,
    MERGED: MERGED,
    "sáp nhập": MERGED,
    "hợp nhất": MERGED,
    SPLIT: SPLIT,
    "chia tách": SPLIT,
    "tách": SPLIT,
    RENAMED: RENAMED,
    "đổi tên": RENAMED,
    MOVED: MOVED,
    "chuyển": MOVED,
    "điều chỉnh địa giới": MOVED,
    UPGRADED: UPGRADED,
    "nâng cấp": UPGRADED,
    "thành lập phường": UPGRADED,
    ENDED: ENDED,
    "giải thể": ENDED,
    "kết thúc": ENDED,
}
BODY_WORDS = {
    LOCALITY: LOCALITY,
    "địa phương": LOCALITY,
    "cấp huyện": LOCALITY,
    UNIT: UNIT,
    "đơn vị": UNIT,
    "xã, phường": UNIT,
    AGENCY: AGENCY,
    "cơ quan": AGENCY,
}
BODY_LABELS = {LOCALITY: "địa phương", UNIT: "đơn vị hành chính", AGENCY: "cơ quan"}
# How a line's change and an arrangement's state read on the page.
CHANGE_LABELS = {
    SAME: "giữ nguyên",
    MERGED: "nhập vào",
    SPLIT: "chia tách",
    RENAMED: "đổi tên",
    MOVED: "chuyển địa bàn",
    UPGRADED: "nâng cấp",
    ENDED: "kết thúc",
}
STATE_LABELS = {"draft": "Chưa áp dụng", "applied": "Đã áp dụng"}
# Kinds, as stored (lib/data/models.py) or as people write them.
KIND_WORDS = {
    UNIT: {"phuong": "phuong", "phường": "phuong", "xa": "xa", "xã": "xa", "thi_tran": "thi_tran",
           "thị trấn": "thi_tran"},
    LOCALITY: {"huyen": "huyen", "huyện": "huyen", "thi_xa": "thi_xa", "thị xã": "thi_xa",
               "thanh_pho": "thanh_pho", "thành phố": "thanh_pho"},
    AGENCY: {"cong_an": "cong_an", "công an": "cong_an", "so_nganh": "so_nganh", "sở, ngành": "so_nganh",
             "ubnd": "ubnd", "bao_chi": "bao_chi", "báo chí": "bao_chi"},
}  # fmt: skip
UNIT_PREFIX = {"phuong": "phường", "xa": "xã", "thi_tran": "thị trấn"}


def norm(text: str) -> str:
    """A name as compared: Unicode NFC, single spaces, case folded."""
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


@dataclass(frozen=True)
class Line:
    """One old → new line, as read (names; kinds as stored; `line_no` is the file's line)."""

    line_no: int
    body_kind: str
    old_name: str
    new_name: str
    change: str
    old_kind: str = ""
    old_locality: str = ""
    old_code: str = ""
    new_kind: str = ""
    new_locality: str = ""
    new_code: str = ""
    main: bool | None = None  # a split's seat, if the file says
    superior: str = ""  # a new agency's header (“Bộ Công an”) and place (“Bắc Ninh”)
    place: str = ""
    source: str = ""

    @property
    def ends_without_successor(self) -> bool:
        return self.change == ENDED

    def old_key(self) -> tuple[str, ...]:
        return body_key(self.body_kind, self.old_name, self.old_kind, self.old_locality, self.old_code)

    def new_key(self) -> tuple[str, ...]:
        return body_key(
            self.body_kind,
            self.new_name,
            self.new_kind or self.old_kind,
            self.new_locality or self.old_locality,
            self.new_code,
        )

    def describe_old(self) -> str:
        return describe(self.body_kind, self.old_name, self.old_kind, self.old_locality)

    def describe_new(self) -> str:
        return describe(
            self.body_kind,
            self.new_name,
            self.new_kind or self.old_kind,
            self.new_locality or self.old_locality,
        )


def body_key(kind: str, name: str, body_type: str, locality: str, code: str = "") -> tuple[str, ...]:
    """What identifies a body in a file: a unit its name, kind and district; an agency its code or
    name; a locality its name."""
    if kind == UNIT:
        return (UNIT, norm(name), body_type, norm(locality))
    if kind == AGENCY and code:
        return (AGENCY, "#" + code.strip().lower())
    return (kind, norm(name))


def describe(kind: str, name: str, body_type: str = "", locality: str = "") -> str:
    """ "xã Đồng Phúc (Huyện Yên Dũng)", "cơ quan “Sở Tài chính”"."""
    if kind == UNIT:
        prefix = UNIT_PREFIX.get(body_type, "đơn vị")
        return f"{prefix} {name}" + (f" ({locality})" if locality else "")
    return f"{BODY_LABELS.get(kind, kind)} “{name}”"


@dataclass(frozen=True)
class Parsed:
    """A reorganisation read from one or more files: one resolution, one effective date."""

    resolution: str
    resolution_on: date | None
    effective_on: date
    lines: tuple[Line, ...]
    sources: tuple[str, ...] = field(default=())

    def problems(self) -> list[Problem]:
        return check_lines(self.lines)


@dataclass(frozen=True)
class Problem:
    line_no: int  # 0: the whole file or arrangement
    message: str

    def __str__(self) -> str:
        return f"Dòng {self.line_no}: {self.message}" if self.line_no else self.message


class ArrangementInvalid(ValueError):
    """Input that cannot be recorded or applied; every problem names its line (Vietnamese)."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__(self.message)

    @property
    def message(self) -> str:
        shown = [str(p) for p in self.problems[:20]]
        more = len(self.problems) - len(shown)
        return "\n".join(shown + ([f"… và {more} lỗi khác."] if more > 0 else []))


FILE_OFFSET = 1000  # a combined arrangement's line numbers: the second file's line 5 is line 1005


def combine(parts: Sequence[Parsed]) -> Parsed:
    """Several files of one reorganisation (units, localities, agencies) as one, in the given order;
    the second file's lines are numbered from 1000 on, the third's from 2000 (see `sources`)."""
    if not parts:
        raise ArrangementInvalid([Problem(0, "Không có dòng nào.")])
    first = parts[0]
    for part in parts[1:]:
        if (part.resolution, part.effective_on) != (first.resolution, first.effective_on):
            raise ArrangementInvalid(
                [
                    Problem(
                        0,
                        f"Các tệp thuộc các văn bản khác nhau: “{first.resolution}” hiệu lực "
                        f"{fmt_date(first.effective_on)} và “{part.resolution}” hiệu lực "
                        f"{fmt_date(part.effective_on)}.",
                    )
                ]
            )
    return replace(
        first,
        resolution_on=next((p.resolution_on for p in parts if p.resolution_on), None),
        lines=tuple(
            replace(line, line_no=line.line_no + FILE_OFFSET * index)
            for index, p in enumerate(parts)
            for line in p.lines
        ),
        sources=tuple(s for p in parts for s in p.sources),
    )


def group_localities(lines: Iterable[Line]) -> list[Line]:
    """Fill a unit line's missing new district (after the district level ended): the former district
    that gave the new unit most of its parts; on a tie, that of its first line."""
    lines = list(lines)
    parts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    first: dict[tuple[str, str], str] = {}
    for line in lines:
        if line.body_kind == UNIT and not line.new_locality and line.new_name:
            target = (norm(line.new_name), line.new_kind or line.old_kind)
            parts[target][line.old_locality] += 1
            first.setdefault(target, line.old_locality)
    chosen: dict[tuple[str, str], str] = {}
    for target, counter in parts.items():
        best = max(counter.values())
        tied = [loc for loc, n in counter.items() if n == best]
        chosen[target] = first[target] if first[target] in tied else tied[0]
    return [
        replace(line, new_locality=chosen[(norm(line.new_name), line.new_kind or line.old_kind)])
        if line.body_kind == UNIT and not line.new_locality and line.new_name
        else line
        for line in lines
    ]


def split_main(lines: Sequence[Line]) -> int:
    """The line number of a split's main part: the one marked main, else the one keeping the old
    name, else the first."""
    for line in lines:
        if line.main:
            return line.line_no
    for line in lines:
        if norm(line.new_name) == norm(line.old_name):
            return line.line_no
    return lines[0].line_no


def check_lines(lines: Sequence[Line]) -> list[Problem]:
    """What is wrong with the lines themselves: a body mapped twice, mappings in a loop, a `same`
    line naming another body, a split marked with two seats."""
    problems: list[Problem] = []
    by_old: dict[tuple[str, ...], list[Line]] = defaultdict(list)
    for line in lines:
        by_old[line.old_key()].append(line)
        if line.change == SAME and line.new_name and norm(line.new_name) != norm(line.old_name):
            problems.append(
                Problem(
                    line.line_no,
                    f"“same” (giữ nguyên) nhưng tên mới “{line.new_name}” khác tên cũ “{line.old_name}”.",
                )
            )
        if line.change == ENDED and line.body_kind == UNIT:
            problems.append(
                Problem(
                    line.line_no,
                    f"{line.describe_old()}: xã, phường không thể kết thúc mà không có đơn vị kế tục.",
                )
            )
    for group in by_old.values():
        if len(group) == 1:
            continue
        splits = [line for line in group if line.change == SPLIT]
        first = group[0]
        if len(splits) == len(group):
            seen: dict[tuple[str, ...], int] = {}
            for line in group:
                if line.new_key() in seen:
                    problems.append(
                        Problem(
                            line.line_no,
                            f"{line.describe_old()} được tách vào {line.describe_new()} hai lần "
                            f"(đã có ở dòng {seen[line.new_key()]}).",
                        )
                    )
                seen.setdefault(line.new_key(), line.line_no)
            marked = [line.line_no for line in group if line.main]
            if len(marked) > 1:
                problems.append(
                    Problem(
                        marked[1],
                        f"{first.describe_old()} có hai phần chính (dòng {marked[0]} và {marked[1]}).",
                    )
                )
            continue
        for line in group[1:]:
            problems.append(
                Problem(
                    line.line_no,
                    f"{line.describe_old()} đã được ánh xạ ở dòng {first.line_no}; một đơn vị chỉ "
                    "được ánh xạ một lần (trừ khi chia tách: change = split trên mọi dòng).",
                )
            )
    problems += _loops(lines)
    return sorted(problems, key=lambda p: p.line_no)


def _loops(lines: Sequence[Line]) -> list[Problem]:
    edges: dict[tuple[str, ...], list[Line]] = defaultdict(list)
    for line in lines:
        if line.change in (SAME, ENDED) or line.old_key() == line.new_key():
            continue
        edges[line.old_key()].append(line)
    problems: list[Problem] = []
    reported: set[int] = set()
    state: dict[tuple[str, ...], int] = {}  # 1: on the path, 2: done

    def visit(key: tuple[str, ...], path: list[Line]) -> None:
        state[key] = 1
        for line in edges.get(key, ()):
            nxt = line.new_key()
            if state.get(nxt) == 1:
                start = next(i for i, p in enumerate([*path, line]) if p.old_key() == nxt)
                cycle = ([*path, line])[start:]
                if not reported & {c.line_no for c in cycle}:
                    names = " → ".join([c.old_name for c in cycle] + [cycle[0].old_name])
                    numbers = ", ".join(str(c.line_no) for c in cycle)
                    problems.append(
                        Problem(
                            cycle[-1].line_no, f"ánh xạ tạo thành vòng lặp: {names} (các dòng {numbers})."
                        )
                    )
                    reported.update(c.line_no for c in cycle)
            elif nxt not in state:
                visit(nxt, [*path, line])
        state[key] = 2

    for key in list(edges):
        if key not in state:
            visit(key, [])
    return problems
