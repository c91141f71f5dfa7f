"""Turn raw cell values (JSON from the browser, text from a file) into typed values, or say why not.

Every message names the problem in Vietnamese; the caller adds the row and the column. Messages
quote at most a short, cleaned excerpt of the input, so a refusal can always be shown and stored.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lib.core.formatting import fmt_int

# C0 and C1 controls (tab and newlines are judged separately), bidi overrides, line separators.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# Unicode non-characters: U+FDD0–U+FDEF and the last two code points of every plane (U+FFFE, U+FFFF,
# U+1FFFE …). They are never text; U+FFFE and U+FFFF cannot even be written to XML (xlsx, docx).
_NONCHARACTER = re.compile(
    "[\ufdd0-\ufdef"
    + "".join(chr(plane | 0xFFFE) + chr(plane | 0xFFFF) for plane in range(0, 0x110000, 0x10000))
    + "]"
)
# What XML 1.0 cannot hold at all (its Char production): controls but tab and newlines, lone
# surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_MAX_NUMBER_TEXT = 30
_THOUSANDS = re.compile(r"-?\d{1,3}(\.\d{3})+")
_WHOLE = re.compile(r"-?\d+(?:[.,]0+)?")
_DECIMAL = re.compile(r"-?\d+[.,]\d+")


class Invalid(ValueError):
    """A value that cannot be stored; the message is Vietnamese."""


def quote(raw: Any, limit: int = _MAX_NUMBER_TEXT) -> str:
    """Return a short excerpt (at most `limit` characters) of an input that is safe to show and to store."""
    try:
        text = raw if isinstance(raw, str) else str(raw)
    except ValueError:  # e.g. an integer too long to print
        return "(giá trị quá dài)"
    text = text[:limit].encode("utf-8", "replace").decode("utf-8")
    return (
        _NONCHARACTER.sub("�", _CONTROL.sub("�", text))
        .replace("\n", " ")
        .replace("\r", " ")
        .replace("\t", " ")
    )


def xml_safe(text: str) -> str:
    """Replace what XML cannot hold (controls, lone surrogates, U+FFFE, U+FFFF) with U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def slug(text: str, max_length: int = 30) -> str:
    """Plain lower-case ASCII words joined by hyphens, for codes in URLs: “15/KH-CAT” → “15-kh-cat”."""
    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:max_length].strip("-")


def same_name(a: str, b: str) -> bool:
    """Tell whether two names are the same but for case, spacing and Unicode form."""
    return " ".join(unicodedata.normalize("NFC", a).split()).casefold() == (
        " ".join(unicodedata.normalize("NFC", b).split()).casefold()
    )


def missing(raw: Any) -> bool:
    """Tell whether a cell holds nothing: None, blank text, NaN, NaT, an empty list."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return True
    if not isinstance(raw, str) and hasattr(raw, "__len__"):  # a list of choices (an array too)
        return len(raw) == 0
    try:
        return bool(raw != raw)  # NaN and NaT are not equal to themselves
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Text:
    max_length: int
    multiline: bool = False

    def parse(self, raw: Any) -> str:
        if raw is None or (isinstance(raw, float) and math.isnan(raw)):
            return ""
        if not isinstance(raw, str):
            raise Invalid("phải là văn bản.")
        try:
            raw.encode("utf-8")
        except UnicodeEncodeError:
            raise Invalid("chứa ký tự không hợp lệ (mã Unicode lẻ).") from None
        value = unicodedata.normalize("NFC", raw).strip()
        if not self.multiline and ("\n" in value or "\r" in value):
            raise Invalid("không được xuống dòng.")
        if _CONTROL.search(value):
            raise Invalid("chứa ký tự điều khiển không hợp lệ.")
        bad = _NONCHARACTER.search(value)
        if bad:
            raise Invalid(
                f"chứa ký tự U+{ord(bad.group()):04X}, không phải chữ (ký tự Unicode không dùng được)."
            )
        if len(value) > self.max_length:
            raise Invalid(f"dài {len(value)} ký tự, tối đa {self.max_length}.")
        return value


@dataclass(frozen=True)
class Integer:
    minimum: int
    maximum: int
    unit: str = ""
    required: bool = True  # False: an empty cell stores None

    def parse(self, raw: Any) -> int | None:
        if not self.required and missing(raw):
            return None
        return self.parse_int(raw)

    def parse_int(self, raw: Any) -> int:
        if isinstance(raw, bool) or raw is None:
            raise Invalid("phải là số nguyên.")
        if isinstance(raw, float):
            if math.isnan(raw) or math.isinf(raw) or not raw.is_integer():
                raise Invalid("phải là số nguyên (không có phần lẻ).")
            raw = int(raw)
        if isinstance(raw, str):
            text = raw.strip().replace(" ", "")
            if len(text) > _MAX_NUMBER_TEXT:
                raise Invalid("số quá dài.")
            if _THOUSANDS.fullmatch(text):  # 1.250.000 written the Vietnamese way
                raw = int(text.replace(".", ""))
            elif _WHOLE.fullmatch(text):
                raw = int(re.split(r"[.,]", text)[0])
            elif _DECIMAL.fullmatch(text):
                raise Invalid("phải là số nguyên (không có phần lẻ).")
            else:
                raise Invalid(f"“{quote(raw)}” không phải số nguyên.")
        if not isinstance(raw, int):
            raise Invalid("phải là số nguyên.")
        if not self.minimum <= raw <= self.maximum:
            raise Invalid(f"phải nằm trong khoảng {self.minimum}–{self.maximum}{self.unit}.")
        return raw


@dataclass(frozen=True)
class Day:
    earliest: date
    latest: date
    required: bool = False

    def parse(self, raw: Any) -> date | None:
        if missing(raw):
            if self.required:
                raise Invalid("không được để trống.")
            return None
        if isinstance(raw, datetime):
            value = raw.date()
        elif isinstance(raw, date):
            value = raw
        elif isinstance(raw, str):
            value = _parse_date_text(raw)
        elif hasattr(raw, "to_pydatetime"):  # pandas Timestamp
            value = raw.to_pydatetime().date()
        else:
            raise Invalid("phải là ngày.")
        if not self.earliest <= value <= self.latest:
            raise Invalid(
                f"ngày {value:%d/%m/%Y} nằm ngoài khoảng {self.earliest:%d/%m/%Y}–{self.latest:%d/%m/%Y}."
            )
        return value


def _parse_date_text(text: str) -> date:
    raw = text.strip()
    if len(raw) <= 40:
        try:
            return datetime.fromisoformat(raw).date()  # 2026-11-20, …T00:00:00.000, …Z
        except ValueError:
            pass
        for fmt in ("%d/%m/%Y", "%d-%m-%Y"):
            try:
                return datetime.strptime(raw, fmt).date()
            except ValueError:
                continue
    raise Invalid(f"“{quote(raw)}” không phải ngày hợp lệ (dd/mm/yyyy).")


@dataclass(frozen=True)
class Choice:
    options: Sequence[str]
    labels: dict[str, str] | None = None

    def parse(self, raw: Any) -> str:
        if isinstance(raw, str):
            value = unicodedata.normalize("NFC", raw).strip()
            if value in self.options:
                return value
            for code, label in (self.labels or {}).items():  # accept the Vietnamese label too
                if value == label and code in self.options:
                    return code
        shown = ", ".join((self.labels or {}).get(o, o) for o in self.options)
        raise Invalid(f"“{quote(raw)}” không thuộc các giá trị cho phép: {shown}.")


_MONEY_SUFFIX = re.compile(r"\s*(đồng|đ|vnđ|vnd)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Money:
    """Whole đồng, from 0 up to a ceiling: 4500000000, "4.500.000.000", "4 500 000 000 đ"."""

    ceiling: int

    def parse(self, raw: Any) -> int:
        if isinstance(raw, bool) or missing(raw):
            raise Invalid("phải nhập số tiền (đồng); chưa có thì nhập 0.")
        if isinstance(raw, float):
            if math.isinf(raw):
                raise Invalid("số tiền quá lớn.")
            if not raw.is_integer():
                raise Invalid("phải là số đồng nguyên (không có phần lẻ).")
            raw = int(raw)
        if isinstance(raw, str):
            text = _MONEY_SUFFIX.sub("", unicodedata.normalize("NFC", raw)).strip().replace(" ", "")
            if len(text) > _MAX_NUMBER_TEXT:
                raise Invalid("số tiền quá dài.")
            if _THOUSANDS.fullmatch(text):  # 1.250.000.000 written the Vietnamese way
                raw = int(text.replace(".", ""))
            elif re.fullmatch(r"-?\d+", text):
                raw = int(text)
            elif _DECIMAL.fullmatch(text) or _WHOLE.fullmatch(text):
                raise Invalid("phải là số đồng nguyên (không có phần lẻ); nhập theo đơn vị đồng.")
            else:
                raise Invalid(f"“{quote(raw)}” không phải số tiền (nhập số đồng, ví dụ 4500000000).")
        if not isinstance(raw, int):
            raise Invalid("phải là số tiền (đồng).")
        if raw < 0:
            raise Invalid("số tiền không được âm.")
        if raw > self.ceiling:
            raise Invalid(
                f"vượt mức trần {fmt_int(self.ceiling)} đồng của một dự án; kiểm tra lại đơn vị (đồng)."
            )
        return raw


Parser = Text | Integer | Money | Day | Choice
