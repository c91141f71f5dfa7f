"""Placeholder of the attachments panel of a row (issue 17); filled by its owner."""

from __future__ import annotations

from lib.ui.shell import RunContext


def panel(ctx: RunContext, entity: str, row_id: int) -> None:
    """Draw the attachments of one row (nothing yet)."""
