"""The editor's and the tables' column settings, read from the entity catalogues (lib/core/catalogue.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from lib.core.catalogue import Entity, Field
from lib.core.validation import Integer, Money, Text

DATE_FORMAT, DATETIME_FORMAT = "DD/MM/YYYY", "HH:mm DD/MM/YYYY"


def column(f: Field, *, bar: bool = False) -> Any:
    """One column's settings: its label, and for an editable field the limits the browser enforces first."""
    label, width, parser = f.label, f.width, f.parser
    if bar and f.kind == "int":  # a share shown as a bar in read-only lists
        return st.column_config.ProgressColumn(label, min_value=0, max_value=100, format=f.number_format)
    if f.kind == "pct":
        return st.column_config.ProgressColumn(label, min_value=0, max_value=100, format="%.0f%%")
    if f.kind == "score":
        return st.column_config.ProgressColumn(label, min_value=0, max_value=f.high, format=f"%d/{f.high}")
    if f.kind == "bool":
        return st.column_config.CheckboxColumn(label)
    if f.kind == "date":
        return st.column_config.DateColumn(label, format=DATE_FORMAT)
    if f.kind == "datetime":
        return st.column_config.DatetimeColumn(label, format=f.number_format or DATETIME_FORMAT)
    if f.kind == "choice" and parser is not None and f.choices is not None:
        return st.column_config.SelectboxColumn(
            label, options=list(f.choices.values()), required=True, width=width
        )
    if isinstance(parser, Money):
        return st.column_config.NumberColumn(
            label, min_value=0, max_value=parser.ceiling, step=1, format=f.number_format, help=f.help or None
        )
    if isinstance(parser, Integer):
        return st.column_config.NumberColumn(
            label, min_value=parser.minimum, max_value=parser.maximum, step=1, format=f.number_format
        )
    if f.kind in ("int", "money"):
        return st.column_config.NumberColumn(label, format=f.number_format)
    if isinstance(parser, Text):
        return st.column_config.TextColumn(label, max_chars=parser.max_length, width=width)
    return st.column_config.TextColumn(label, width=width)


def column_config(entity: Entity, names: Sequence[str], *, bars: Sequence[str] = ()) -> dict[str, Any]:
    """Settings for the listed columns of an entity, in that order (`bars`: numbers drawn as bars)."""
    return {n: column(entity[n], bar=n in bars) for n in names}
