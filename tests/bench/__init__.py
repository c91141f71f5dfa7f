"""The benchmark's code paths (make bench)."""
