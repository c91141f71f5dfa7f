"""Directive-tracking dashboard for Bắc Giang province: shared library."""
