"""lib/core: pure rules, filters, formatting, validation, security."""
