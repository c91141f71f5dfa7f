"""Facts of the demo data that tests compare against."""

from datetime import date

from lib.ops.seed import DEMO_PASSWORD, DEMO_TODAY

AS_OF = DEMO_TODAY
AS_OF_DATES = (date(2024, 6, 30), date(2024, 12, 15), date(2025, 12, 16), DEMO_TODAY)

__all__ = ["AS_OF", "AS_OF_DATES", "DEMO_PASSWORD", "DEMO_TODAY"]
