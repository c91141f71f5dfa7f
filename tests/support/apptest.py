"""The app through Streamlit's AppTest, signed in as a demo user, and the tasks page's editor."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

from tests.support.demo import AS_OF, DEMO_PASSWORD
from tests.support.paths import APP

TASKS_PAGE = "pages/tasks.py"


def sign_in(at: Any, username: str, password: str = DEMO_PASSWORD) -> Any:
    """Run an AppTest to the sign-in form, sign in, and check the app opened without error."""
    at.run()
    assert not at.exception, at.exception
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def open_page(user: str, page: str | None = None, **params: str) -> AppTest:
    """Open the app at the demo's date (`ngay`) with `params` in the URL and sign in as `user`;
    then switch to `page` (a file under pages/), if given, as if its own URL were opened."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params.update({"ngay": AS_OF.isoformat(), **params})
    sign_in(at, user)
    if page:
        at.query_params.update(params)  # as if the page's own URL were opened
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def open_tasks(user: str) -> AppTest:
    """The tasks page, signed in as `user`."""
    return open_page(user, TASKS_PAGE)


def edit(at: AppTest, edited_rows: dict[int, dict[str, Any]], **extra: Any) -> AppTest:
    """Send the tasks editor's state as the grid does after edits, and rerun."""
    at.session_state["tasks_editor"] = {
        "edited_rows": edited_rows,
        "added_rows": [],
        "deleted_rows": [],
        **extra,
    }
    at.run()
    assert not at.exception
    return at


def save(at: AppTest) -> AppTest:
    """Click the tasks page's "Lưu"."""
    at.button(key="tasks_save").click().run()
    assert not at.exception
    return at


def pending(at: AppTest) -> str:
    """The line that counts the unsaved changes."""
    return next(m.value for m in at.markdown if "thay đổi chưa lưu" in m.value)


def keyed(elements: Any, stem: str) -> Any:
    """The one widget among `elements` (`at.text_input`, `at.selectbox`, …) whose key is `stem` or
    starts with `stem_`: fields drawn anew take new keys (`lib.ui.widgets.stored_key`, `fresh_key`)."""
    found = [w for w in elements if w.key == stem or str(w.key or "").startswith(f"{stem}_")]
    assert len(found) == 1, (stem, [w.key for w in found])
    return found[0]
