"""What one signed-in session with a draft pending holds in the server's memory
(`python -m bench.protocol.session_size`).

A coordinator signs in through Streamlit's AppTest (the app in this process, as tests/support/apptest.py
opens it), opens /nhiem-vu and edits one cell; then each entry of the session's state is sized, deeply
(objects reachable from it, modules, classes and functions left out; pandas frames by their own deep
memory usage), and tracemalloc tells how much Python memory a second and a third such session add
(caches are shared between sessions of a process, as on a server). AppTest keeps the element tree it
received too (a browser's copy, not the server's), so the tracemalloc figure is an upper bound.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import tracemalloc
import types
from pathlib import Path
from typing import Any

from bench.load.server import prepared_database


def deep_size(obj: Any, seen: set[int] | None = None) -> int:
    """Bytes of `obj` and of what it alone reaches (pympler's asizeof, roughly)."""
    import pandas as pd

    seen = set() if seen is None else seen
    todo, total = [obj], 0
    skip = (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType, types.MethodType)
    while todo:
        current = todo.pop()
        if id(current) in seen or isinstance(current, skip):
            continue
        seen.add(id(current))
        if isinstance(current, (pd.DataFrame, pd.Series)):
            total += int(current.memory_usage(deep=True).sum()) if isinstance(current, pd.DataFrame) else 0
            continue
        total += sys.getsizeof(current, 0)
        todo.extend(gc.get_referents(current))
    return total


def session_with_draft(username: str) -> Any:
    """A signed-in AppTest session on /nhiem-vu with one cell edited (a draft pending)."""
    from tests.support.apptest import edit, open_tasks, pending

    at = open_tasks(username)
    edit(at, {0: {"notes": "Bản nháp đo bộ nhớ"}})
    assert pending(at).startswith("**1 thay đổi"), pending(at)
    return at


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.protocol.session_size")
    parser.add_argument("--tasks", type=int, default=10_000)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="session-size-"))
    with prepared_database("sqlite", args.tasks, workdir) as url:
        os.environ.update({"DATABASE_URL": url, "DASHBOARD_ENV": "demo"})
        from streamlit.runtime.pages_manager import PagesManager

        original = PagesManager.__init__

        def init(self: PagesManager, *a: Any, **k: Any) -> None:  # as tests/conftest.py: app.py on every run
            original(self, *a, **k)
            PagesManager.uses_pages_directory = False

        PagesManager.__init__ = init  # type: ignore[method-assign]
        first = session_with_draft("dp.lucngan")
        state = first._session_state._state  # SafeSessionState → SessionState
        entries = {str(key): deep_size(value) for key, value in state.filtered_state.items()}
        print("One session with a draft pending: its session state, largest entries first")
        for key, size in sorted(entries.items(), key=lambda kv: -kv[1])[:15]:
            print(f"  {size / 1024:9.1f} KiB  {key[:90]}")
        print(f"  {sum(entries.values()) / 1024:9.1f} KiB  in all ({len(entries)} keyed entries)")
        print(f"  {deep_size(state) / 1024:9.1f} KiB  the whole SessionState (widget metadata included)")
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        more = [session_with_draft(u) for u in ("dp.yendung", "dp.vietyen")]
        gc.collect()
        after = tracemalloc.take_snapshot()
        added = sum(s.size_diff for s in after.compare_to(before, "filename"))
        print(
            f"Python memory added by {len(more)} more such sessions (tracemalloc, AppTest's element tree "
            f"included): {added / len(more) / 2**20:.2f} MB each"
        )
        for stat in after.compare_to(before, "lineno")[:8]:
            print(f"  {stat.size_diff / 1024:9.1f} KiB  {stat.traceback[0]}")


if __name__ == "__main__":
    main()
