"""Turn raw cell values (JSON from the browser, text from a file) into typed values, or say why not.

Every message names the problem in Vietnamese; the caller adds the row and the column.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


class Invalid(ValueError):
    """A value that cannot be stored; the message is Vietnamese."""


@dataclass(frozen=True)
class Text:
    max_length: int
    multiline: bool = False

    def parse(self, raw: Any) -> str:
        if raw is None or (isinstance(raw, float) and math.isnan(raw)):
            return ""
        if not isinstance(raw, str):
            raise Invalid("phải là văn bản.")
        value = unicodedata.normalize("NFC", raw).strip()
        if not self.multiline and ("\n" in value or "\r" in value):
            raise Invalid("không được xuống dòng.")
        if _CONTROL.search(value):
            raise Invalid("chứa ký tự điều khiển không hợp lệ.")
        if len(value) > self.max_length:
            raise Invalid(f"dài {len(value)} ký tự, tối đa {self.max_length}.")
        return value


@dataclass(frozen=True)
class Integer:
    minimum: int
    maximum: int
    unit: str = ""

    def parse(self, raw: Any) -> int:
        if isinstance(raw, bool) or raw is None:
            raise Invalid("phải là số nguyên.")
        if isinstance(raw, float):
            if math.isnan(raw) or not raw.is_integer():
                raise Invalid("phải là số nguyên (không có phần lẻ).")
            raw = int(raw)
        if isinstance(raw, str):
            text = raw.strip().replace(".", "").replace(" ", "")
            if not re.fullmatch(r"-?\d+", text):
                raise Invalid(f"“{raw[:30]}” không phải số nguyên.")
            raw = int(text)
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
        if raw is None or raw == "" or (isinstance(raw, float) and math.isnan(raw)):
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
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f"):
        try:
            return datetime.strptime(raw[:26], fmt).date()
        except ValueError:
            continue
    raise Invalid(f"“{raw[:30]}” không phải ngày hợp lệ (dd/mm/yyyy).")


@dataclass(frozen=True)
class Choice:
    options: Sequence[str]
    labels: dict[str, str] | None = None

    def parse(self, raw: Any) -> str:
        if isinstance(raw, str):
            if raw in self.options:
                return raw
            if self.labels:  # accept the Vietnamese label too
                for code, label in self.labels.items():
                    if raw.strip() == label and code in self.options:
                        return code
        shown = ", ".join((self.labels or {}).get(o, o) for o in self.options)
        raise Invalid(f"“{str(raw)[:30]}” không thuộc các giá trị cho phép: {shown}.")


Parser = Text | Integer | Day | Choice
