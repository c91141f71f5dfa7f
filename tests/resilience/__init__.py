"""Outages, crash safety, concurrency and input limits."""
