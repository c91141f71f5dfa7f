"""Placeholder of the reminders panel of a task (issue 17); filled by its owner."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lib.ui.shell import RunContext


def panel(ctx: RunContext, row: Mapping[str, Any]) -> None:
    """Draw the reminders of one task (nothing yet)."""
