"""The year-end report's written sections: their names and limits, the themes obstacles and proposals are
sorted into, and how the period entries' texts are grouped by theme and addressee. Pure: no database.

A text (one line of an entry's "Khó khăn, vướng mắc" or "Kiến nghị, đề xuất") is about the first theme
of THEMES whose keywords it holds — in Vietnamese with its diacritics, or, when typed without any,
in plain letters — else "Khác". Its addressee is the body it names (the earliest name found among the
bodies given and GENERIC_BODIES: "Đề nghị UBND tỉnh …" is for UBND tỉnh), else the body the entry is
about (the task's unit, else its locality, else its lead agency). The same text (case, spacing and
Unicode form aside) from several tasks of one addressee is one line with the number of tasks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lib.core.formatting import fmt_int
from lib.core.names import name_key, plain
from lib.core.validation import Text

# The sections the office writes, in the order the report prints them.
GENERAL, OBSTACLES, PROPOSALS, OUTLOOK = "general", "obstacles", "proposals", "outlook"
SECTIONS = (GENERAL, OBSTACLES, OUTLOOK, PROPOSALS)
SECTION_LABELS = {
    GENERAL: "Đánh giá chung",
    OBSTACLES: "Khó khăn, vướng mắc",
    OUTLOOK: "Phương hướng năm tới",
    PROPOSALS: "Kiến nghị, đề xuất",
}
SECTION_TEXT = Text(20_000, multiline=True)
NOTE_LIMIT = 200
PROVINCE_SCOPE = "toan-tinh"  # a draft's scope for the province's report (else a locality code)

OTHER = "khac"
# (code, label, keywords): the first theme whose keywords a text holds is its theme. Money and land come
# before headquarters, which most texts mention in passing.
THEMES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "kinh_phi",
        "Kinh phí",
        ("kinh phí", "ngân sách", "vốn", "dự toán", "giải ngân", "tài chính", "nguồn lực tài chính"),
    ),
    (
        "dat_dai",
        "Đất đai, mặt bằng",
        ("đất", "đất đai", "quỹ đất", "mặt bằng", "giải phóng mặt bằng", "diện tích", "quy hoạch"),
    ),
    ("tru_so", "Trụ sở, xây dựng", ("trụ sở", "xây dựng", "xây mới", "cải tạo", "sửa chữa", "công trình")),
    ("nhan_luc", "Nhân lực, biên chế", ("nhân lực", "biên chế", "cán bộ", "chiến sĩ", "nhân sự")),
    (
        "thiet_bi",
        "Trang thiết bị, phương tiện",
        ("trang thiết bị", "thiết bị", "phương tiện", "trang bị", "máy móc", "xe"),
    ),
    ("dao_tao", "Đào tạo, tập huấn", ("đào tạo", "tập huấn", "bồi dưỡng", "huấn luyện")),
    (
        "thu_tuc",
        "Thủ tục, văn bản",
        ("thủ tục", "văn bản", "hồ sơ", "hướng dẫn", "thẩm định", "phê duyệt", "quy định", "cơ chế"),
    ),
    (OTHER, "Khác", ()),
)
THEME_LABELS = {code: label for code, label, _words in THEMES}
# Bodies a text may name without a place ("Đề nghị UBND tỉnh …"), matched like the agencies' names.
GENERIC_BODIES = (
    "Bộ Công an",
    "Chính phủ",
    "Tỉnh ủy",
    "HĐND tỉnh",
    "UBND tỉnh",
    "Ủy ban nhân dân tỉnh",
    "Công an tỉnh",
    "Sở Tài chính",
    "Sở Nội vụ",
    "Sở Xây dựng",
    "Sở Tài nguyên và Môi trường",
    "Sở Nông nghiệp và Môi trường",
    "Sở Kế hoạch và Đầu tư",
    "Sở Tư pháp",
)
ALIASES = {"ủy ban nhân dân tỉnh": "UBND tỉnh"}


def _marked(text: str) -> bool:
    """The text carries Vietnamese marks (then a keyword must match with its marks)."""
    return plain(text) != name_key(text)


def _pattern(word: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")


_THEME_PATTERNS = [
    (code, [(_pattern(name_key(w)), _pattern(plain(w))) for w in words]) for code, _label, words in THEMES
]


def theme_of(text: str) -> str:
    """The theme code of a text: the first of THEMES whose keywords it holds, else OTHER."""
    marked = _marked(text)
    folded = name_key(text) if marked else plain(text)
    for code, patterns in _THEME_PATTERNS:
        if any((keyed if marked else bare).search(folded) for keyed, bare in patterns):
            return code
    return OTHER


@dataclass(frozen=True)
class BodyNames:
    """The names of bodies a text may address, as one pattern with their marks and one without (the
    longest names first, so that at one place the longest one matches)."""

    keyed: dict[str, str]  # folded name → name
    bare: dict[str, str]  # plain name → name
    keyed_pattern: re.Pattern[str]
    bare_pattern: re.Pattern[str]

    @classmethod
    def of(cls, names: Iterable[str]) -> BodyNames:
        unique = {name_key(n): n for n in (*GENERIC_BODIES, *names) if n.strip()}
        bare: dict[str, str] = {}
        for key, name in unique.items():
            bare.setdefault(plain(key), name)

        def alternation(forms: Iterable[str]) -> re.Pattern[str]:
            ordered = sorted(forms, key=lambda f: (-len(f), f))
            return re.compile(r"(?<!\w)(" + "|".join(re.escape(f) for f in ordered) + r")(?!\w)")

        return cls(unique, bare, alternation(unique), alternation(bare))

    def find(self, text: str) -> str | None:
        """The body the text names first (at the same place, the longest name), shown as catalogued."""
        if _marked(text):
            found, names = self.keyed_pattern.search(name_key(text)), self.keyed
        else:
            found, names = self.bare_pattern.search(plain(text)), self.bare
        if found is None:
            return None
        name = names[found.group(1)]
        return ALIASES.get(name_key(name), name)


@dataclass(frozen=True)
class Item:
    """One line an entry wrote: its text, the task it came from, the body the entry is about."""

    text: str
    task_id: int
    source: str  # the task's unit, else its locality, else its lead agency


_BULLET = re.compile(r"^\s*(?:[-+*•–—]|\d+[.)]|[a-zđ][)])\s*", re.IGNORECASE)


def split_lines(text: str) -> list[str]:
    """The separate points of an entry's text: one per line, bullets and numbering removed."""
    found = []
    for line in (text or "").splitlines():
        clean = " ".join(_BULLET.sub("", line).split())
        if clean:
            found.append(clean)
    return found


@dataclass
class Line:
    """A text as the report prints it, with the tasks (and their bodies) that wrote it."""

    text: str
    tasks: list[int] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


@dataclass
class AddresseeGroup:
    name: str
    lines: list[Line] = field(default_factory=list)


@dataclass
class ThemeGroup:
    code: str
    label: str
    addressees: list[AddresseeGroup] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(line.tasks) for a in self.addressees for line in a.lines)


def _text_key(text: str) -> str:
    return name_key(text).rstrip(".;,: ")


def group(items: Sequence[Item], bodies: BodyNames) -> list[ThemeGroup]:
    """Group texts by theme (in THEMES' order) then addressee (in order of first appearance), merging
    the same text of several tasks of one addressee into one line."""
    themes: dict[str, dict[str, dict[str, Line]]] = {}
    seen: dict[str, tuple[str, str | None]] = {}  # a text's theme and named body, worked out once
    for item in items:
        for text in split_lines(item.text):
            if text not in seen:
                seen[text] = (theme_of(text), bodies.find(text))
            theme, named = seen[text]
            addressee = named or item.source or "Chưa rõ cơ quan"
            lines = themes.setdefault(theme, {}).setdefault(addressee, {})
            line = lines.setdefault(_text_key(text), Line(text.rstrip(".;, ")))
            if item.task_id not in line.tasks:
                line.tasks.append(item.task_id)
                line.sources.append(item.source)
    return [
        ThemeGroup(
            code,
            label,
            [AddresseeGroup(name, list(lines.values())) for name, lines in themes[code].items()],
        )
        for code, label, _words in THEMES
        if code in themes
    ]


def _sources(line: Line, addressee: str) -> str:
    """ "3 nhiệm vụ" or "3 nhiệm vụ: Huyện Lục Ngạn 2, Thị xã Việt Yên 1" when others wrote it."""
    counts: dict[str, int] = {}
    for s in line.sources:
        counts[s] = counts.get(s, 0) + 1
    said = f"{fmt_int(len(line.tasks))} nhiệm vụ"
    if list(counts) == [addressee] or not counts:
        return said
    return said + ": " + ", ".join(f"{s} {fmt_int(n)}" if n > 1 else s for s, n in counts.items())


def grouped_text(groups: Sequence[ThemeGroup], none: str) -> str:
    """The groups as the report's plain text: a numbered theme, its addressees, each text with its count."""
    if not groups:
        return none
    out: list[str] = []
    for i, g in enumerate(groups, start=1):
        out.append(f"{i}. {g.label}")
        for a in g.addressees:
            for line in a.lines:
                out.append(f"- {a.name}: {line.text} ({_sources(line, a.name)}).")
    return "\n".join(out)


def check_scope(scope: str, localities: Iterable[str]) -> str | None:
    """A problem with a draft's scope, or None: the province or a known locality code."""
    if scope == PROVINCE_SCOPE or scope in set(localities):
        return None
    return f"không có phạm vi báo cáo “{scope[:40]}”."
