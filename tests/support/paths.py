"""Where the project is, for tests that run its files (app.py, the pages, the command line)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
