"""The code's layers (README, "Code layout") as import-linter contracts in pyproject.toml (`make lint`).

These tests check that the contracts hold on the real tree and that they catch the breaches they
are meant to catch: a page importing a data module in either import style, a core module importing
Streamlit, a lower layer importing a higher one.
"""

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(where: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=where, capture_output=True, text=True, timeout=120
    )


def test_the_tree_keeps_every_contract():
    out = lint_imports(ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "4 kept, 0 broken" in out.stdout


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for name in ("lib", "pages"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("path", "line", "broken"),
    [
        ("pages/sneaky.py", "from lib.data import queries\n", "Pages hold no SQL"),
        ("pages/sneaky.py", "from lib.data.queries import list_tasks\n", "Pages hold no SQL"),
        ("pages/sneaky.py", "import sqlalchemy\n", "Pages hold no SQL"),
        ("lib/core/sneaky.py", "import streamlit\n", "Only lib/ui, the pages and app.py import Streamlit"),
        ("lib/files/sneaky.py", "from streamlit import session_state\n", "import Streamlit"),
        ("lib/data/sneaky.py", "from lib.editing import changeset\n", "Imports flow one way"),
        ("lib/core/sneaky.py", "from lib.ui import loaders\n", "Imports flow one way"),
        ("lib/core/sneaky.py", "import sqlalchemy\n", "The core is pure"),
    ],
)
def test_a_breach_breaks_a_contract(copy: Path, path: str, line: str, broken: str):
    (copy / path).write_text(f'"""A module that should not be."""\n\n{line}', encoding="utf-8")
    out = lint_imports(copy)
    assert out.returncode != 0
    assert re.search(rf"{re.escape(broken)}.*BROKEN", out.stdout), out.stdout


def test_app_py_imports_only_streamlit_and_the_ui_layer():
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    modules = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert modules == {"streamlit", "lib.ui"}


def test_pages_hold_no_sql_text():
    pattern = re.compile(r"\b(sqlalchemy|select\(|session\.|execute\(|lib\.data)\b", re.IGNORECASE)
    for page in (ROOT / "pages").glob("*.py"):
        assert not pattern.search(page.read_text(encoding="utf-8")), page.name
