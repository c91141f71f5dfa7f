"""lib/files: Excel out and in, the year-end report."""
