"""The layers of DESIGN.md: the pure core of lib/ never imports streamlit; pages hold no SQL."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STREAMLIT_FACING = {"ui", "loaders", "auth", "editor", "serve", "transfer", "web"}
CORE = sorted(p.stem for p in (ROOT / "lib").glob("*.py") if p.stem not in STREAMLIT_FACING | {"__init__"})


def test_the_core_list_is_not_empty():
    assert {
        "config",
        "db",
        "models",
        "queries",
        "rules",
        "charts",
        "seed",
        "manage",
        "accounts",
        "edits",
        "audit",
        "security",
        "roles",
        "actions",
        "validation",
        "projects",
        "followup",
        "report",
        "export",
        "importer",
    } <= set(CORE)


def test_pure_core_imports_no_streamlit():
    code = (
        "import sys, importlib\n"
        f"for name in {CORE!r}:\n"
        "    importlib.import_module('lib.' + name)\n"
        "bad = sorted(m for m in sys.modules if m == 'streamlit' or m.startswith('streamlit.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_pages_hold_no_sql_and_no_database_access():
    pattern = re.compile(r"\b(sqlalchemy|select\(|session\.|execute\(|lib\.db|lib\.queries)\b")
    for page in (ROOT / "pages").glob("*.py"):
        assert not pattern.search(page.read_text(encoding="utf-8")), page.name
