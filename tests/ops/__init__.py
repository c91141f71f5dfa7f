"""lib/ops: backups, demo data and the command line."""
