"""Small shared pieces every page draws: the as-of caption, refusals, running an action, and the keys
of fields that must be drawn anew."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

import streamlit as st

from lib.core.figures import Funding
from lib.core.filters import AS_OF_LABEL, EARLIEST_AS_OF, LATEST_AS_OF
from lib.core.formatting import fmt_billion, fmt_date, fmt_pct, fmt_vnd
from lib.core.roles import Refused
from lib.data.db import DatabaseError
from lib.editing.actions import perform
from lib.editing.changeset import ValidationFailed
from lib.ui.shell import RunContext

T = TypeVar("T")


def show_refusal(exc: Refused) -> None:
    """Show why an action was refused (invalid values one per line, each naming its field)."""
    if isinstance(exc, ValidationFailed) and len(exc.errors) > 1:
        st.error("Chưa lưu gì vì có ô không hợp lệ:\n\n" + "\n".join(f"- {e}" for e in exc.errors), icon="🚫")
    elif isinstance(exc, ValidationFailed):
        st.error(f"Chưa lưu gì: {exc.errors[0]}", icon="🚫")
    else:
        st.error(exc.message, icon="🚫")


def as_of_caption(as_of: date) -> None:
    """Show the date every quoted figure refers to."""
    st.markdown(f"**Số liệu tính đến ngày {fmt_date(as_of)}**")


@dataclass(frozen=True)
class Done(Generic[T]):
    """An action that went through, with what it returned."""

    value: T


def attempt(ctx: RunContext, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Done[T] | Refused | None:
    """Run one audited action for this user; return what it returned, or the refusal (unshown, for
    the caller to explain), or None after saying why the database failed.

    Nothing is written when it fails (one transaction); a refusal is recorded in the audit trail.
    """
    assert ctx.actor is not None
    try:
        return Done(perform(ctx.engine, ctx.actor, fn, *args, **kwargs))
    except Refused as exc:
        return exc
    except DatabaseError as exc:
        st.error(str(exc), icon="⚠️")
    return None


def run_action(ctx: RunContext, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Done[T] | None:
    """Run one audited action for this user; on a refusal or a database failure, say why and return None.

    Nothing is written when it fails (one transaction); a refusal is recorded in the audit trail.
    """
    outcome = attempt(ctx, fn, *args, **kwargs)
    if isinstance(outcome, Refused):
        show_refusal(outcome)
        return None
    return outcome


def funding_metrics(columns: Sequence[Any], f: Funding) -> None:
    """Four tiles of headquarters money: planned, allocated, disbursed (billions), and the rate."""
    planned = f"{fmt_vnd(f.planned)} cho {f.projects} dự án trụ sở."
    columns[0].metric("Dự toán (tỷ đồng)", fmt_billion(f.planned), border=True, help=planned)
    columns[1].metric(
        "Đã bố trí vốn (tỷ đồng)", fmt_billion(f.allocated), border=True, help=fmt_vnd(f.allocated)
    )
    columns[2].metric(
        "Đã giải ngân (tỷ đồng)", fmt_billion(f.disbursed), border=True, help=fmt_vnd(f.disbursed)
    )
    columns[3].metric(
        "Tỷ lệ giải ngân", fmt_pct(f.disbursement_rate), border=True, help="Đã giải ngân / vốn đã bố trí."
    )


# --- keys of fields drawn anew -----------------------------------------------------------------------
# A browser keeps what a field holds under its key and sends it back with the next run, whatever the
# server's session state says: popping the key, or passing another `value=`/`index=`/`default=`, does
# not change what it shows (AppTest does not behave like this). Checked in Chromium: after picking
# another user, the role box still showed the first user's role, and "Lưu vai trò" would have saved it
# for the second; after a letter was issued, its number stayed in the box. A field is drawn anew, with
# its starting value, only under a new key.


def stored_key(stem: str, *stored: object) -> str:
    """The key of a field whose starting value comes from stored data (the row or user picked, its
    stored values): new whenever that data changes, so the field shows it."""
    digest = hashlib.blake2s(repr(stored).encode(), digest_size=5).hexdigest()
    return f"{stem}_{digest}"


def fresh_key(group: str, name: str) -> str:
    """The key of field `name` of a form that starts again after it was used (see `start_again`)."""
    generation = int(st.session_state.get(f"{group}_gen", 0))
    return f"{group}_{name}" + (f"_{generation}" if generation else "")


def start_again(group: str) -> None:
    """Draw the fields of `group` anew with their starting values on the next run (after a form went
    through). The old fields are not drawn again, and Streamlit drops their state."""
    st.session_state[f"{group}_gen"] = int(st.session_state.get(f"{group}_gen", 0)) + 1


def days_input(label: str, maximum: int, value: int, key: str) -> int:
    """A whole number of days, from 1 to `maximum`."""
    return int(st.number_input(label, min_value=1, max_value=maximum, value=value, step=1, key=key))


def as_of_input(value: date, today: date, key: str | None = None) -> date:
    """The date every figure is computed for (today when the box is cleared)."""
    chosen = st.date_input(
        AS_OF_LABEL,
        value=value,
        key=key,
        format="DD/MM/YYYY",
        min_value=EARLIEST_AS_OF,
        max_value=LATEST_AS_OF,
    )
    return chosen if isinstance(chosen, date) else today


def plain(text: str, *, lines: bool = False) -> str:
    """Text a user typed, shown as itself in Markdown (no links, images, emphasis or HTML); its line
    breaks kept as breaks (`lines`) or folded into spaces."""
    escaped = "".join("\\" + c if c in "\\`*_{}[]()<>#+-.!|~:$" else c for c in text)
    return escaped.replace("\n", "  \n" if lines else " ")
