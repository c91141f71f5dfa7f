"""Vietnamese number, money and date formats: 1.250.000.000 đ, 1,25 tỷ đồng, 29/11/2026."""

from __future__ import annotations

from datetime import date, datetime


def fmt_int(value: int) -> str:
    """Format an integer with dot thousands separators."""
    return f"{value:,}".replace(",", ".")


def fmt_decimal(value: float, digits: int = 1) -> str:
    """Format a number with a decimal comma and dot thousands separators."""
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def fmt_vnd(value: int) -> str:
    """Format whole đồng: 1.250.000.000 đ."""
    return f"{fmt_int(value)} đ"


def fmt_billion(value: int) -> str:
    """Format đồng as tỷ đồng with two decimals and a decimal comma, without the unit: 1,25."""
    return fmt_decimal(value / 1_000_000_000, 2)


def fmt_money_short(value: int) -> str:
    """Format đồng in tỷ or triệu with a decimal comma: 1,25 tỷ đồng."""
    if abs(value) >= 1_000_000_000:
        return f"{fmt_decimal(value / 1_000_000_000, 2)} tỷ đồng"
    if abs(value) >= 1_000_000:
        return f"{fmt_decimal(value / 1_000_000, 1)} triệu đồng"
    return fmt_vnd(value)


def fmt_pct(rate: float | None, digits: int = 1) -> str:
    """Format a share (0–1) as a Vietnamese percentage, or an en dash when undefined."""
    if rate is None:
        return "–"
    return f"{fmt_decimal(rate * 100, digits)}%"


def fmt_date(value: date | datetime | None) -> str:
    """Format a date as dd/mm/yyyy, or an empty string."""
    if value is None:
        return ""
    return value.strftime("%d/%m/%Y")


def fmt_datetime(value: datetime | None) -> str:
    """Format a timestamp as HH:MM dd/mm/yyyy."""
    if value is None:
        return ""
    return value.strftime("%H:%M %d/%m/%Y")


def fmt_document_number(number: str) -> str:
    """A document's number as people cite it: one whose number was left blank ("/UBND-NC", the
    province's letter) is named by its kind ("Công văn /UBND-NC")."""
    return f"Công văn {number}" if number.startswith("/") else number
