"""One coordinator's journey over the protocol: sign in through the real form, the overview, a filter
change, the task page, an edit of the notes of one of their rows, a save. Each step is one action
(the messages a browser would send), checked by what the page shows; a step that does not end as it
should raises ProtocolError with the kind Locust reports."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field

import pyarrow as pa

from bench.load.journeys import COORDINATORS, OVERVIEW_TITLE, TASKS_TITLE
from bench.protocol.client import (
    ProtocolError,
    Run,
    StreamlitSession,
    editor_state,
    multiselect_state,
    text_state,
)
from lib.core.catalogue import TASK
from lib.ops.directive import LOCALITIES
from lib.ops.seed import DEMO_PASSWORD

# What the app shows, as the browser harness reads it (bench/load/journeys.py).
SIGNED_IN = "({username})"
PENDING = "1 thay đổi chưa lưu"
NOTHING_PENDING = "Không có thay đổi chưa lưu."
SAVED = "Đã lưu 1 ô"
CONFLICT = "đã được người khác"
NOTES = "notes"  # the notes column of the task editor (its frame uses the model's field names)
FILTER_KEY = "overview_f_loc"
EDITOR_KEY = "tasks_editor"
SAVE_LABEL = "Lưu"
TASKS_PATH = "nhiem-vu"

# The labels of the sign-in form come from the app (lib/ui/auth.py); read here so a renamed field
# fails this client rather than silently sending nothing.
assert TASK[NOTES].name == NOTES


@dataclass
class Saved:
    """A save the app acknowledged: who, which task, the value typed."""

    username: str
    row_id: int
    value: str


@dataclass
class Coordinator:
    """A simulated coordinator (`index` picks the account and the row, as in the browser harness)."""

    base_url: str
    index: int
    marker: str
    timeout: float = 60.0
    new_session_per_page: bool = False  # True: each page load opens a new session, as a navigation does
    session: StreamlitSession = field(init=False)
    round: int = 0
    draft: Saved | None = None

    def __post_init__(self) -> None:
        self.session = StreamlitSession(self.base_url, self.timeout)

    @property
    def username(self) -> str:
        return COORDINATORS[self.index % len(COORDINATORS)]

    @property
    def row(self) -> int:
        """Which row of the coordinator's first page of tasks this session edits."""
        return self.index // len(COORDINATORS)

    def close(self) -> None:
        self.session.close()

    # -- steps ----------------------------------------------------------------------------------

    def open(self) -> None:
        """Open the app at / (the sign-in form)."""
        run = self.session.open("/")
        _check(run)
        self.session.widget("text_input", "Tên đăng nhập")

    def sign_in(self) -> None:
        """Fill the form and submit it (the form's submit button and its two fields' states)."""
        s = self.session
        name = s.widget("text_input", "Tên đăng nhập")
        password = s.widget("text_input", "Mật khẩu")
        submit = s.widget("button", "Đăng nhập")
        run = s.rerun(
            trigger=submit.id,
            extra={
                name.id: text_state(name.id, self.username),
                password.id: text_state(password.id, DEMO_PASSWORD),
            },
        )
        _check(run)
        if not s.shows(SIGNED_IN.format(username=self.username)):
            raise ProtocolError("sign-in refused", _first_alert(run))

    def load_overview(self) -> None:
        """The overview, from the navigation (a new session with the cookie, or a page switch)."""
        self._load("", OVERVIEW_TITLE)

    def change_filter(self) -> None:
        """Pick one locality in the overview's "Địa bàn" filter."""
        s = self.session
        widget = s.widget("multiselect", id_contains=FILTER_KEY)
        code, name, _kind = LOCALITIES[(self.index + self.round) % len(LOCALITIES)]
        if name not in widget.options:
            raise ProtocolError("widget missing", f"no locality “{name}” in the filter")
        run = s.rerun(extra={widget.id: multiselect_state(widget.id, [name])})
        _check(run)
        if f"dia_ban={code}" not in s.query_string:
            raise ProtocolError("filter not applied", s.query_string)

    def load_tasks(self) -> None:
        """The task page /nhiem-vu, its editor drawn."""
        self._load(TASKS_PATH, TASKS_TITLE)
        self.session.widget("dataframe", id_contains=EDITOR_KEY)

    def edit(self) -> None:
        """Type a note into this session's row of the editor; the page shows one pending change."""
        s = self.session
        editor = s.widget("dataframe", id_contains=EDITOR_KEY)
        ids = _column(editor.arrow_data.data, "id")
        if self.row >= len(ids):
            raise ProtocolError("row missing", f"row {self.row} of {len(ids)}")
        value = f"{self.marker} {self.username} s{self.index} r{self.round} {time.strftime('%H:%M:%S')}"
        run = s.rerun(extra={editor.id: editor_state(editor.id, {self.row: {NOTES: value}})})
        _check(run)
        if not s.shows(PENDING):
            raise ProtocolError("edit not taken", _first_alert(run))
        self.draft = Saved(self.username, int(ids[self.row]), value)

    def save(self) -> Saved:
        """Click "Lưu"; the app acknowledges the save (toast, nothing pending) or it is a failure."""
        s = self.session
        button = s.widget("button", SAVE_LABEL)
        run = s.rerun(trigger=button.id)
        _check(run)
        if s.shows(CONFLICT):
            raise ProtocolError("save refused", "conflict")
        if not (s.shows(SAVED) and s.shows(NOTHING_PENDING)) or self.draft is None:
            raise ProtocolError("save refused", _first_alert(run) or "no acknowledgement")
        saved, self.draft = self.draft, None
        self.round += 1
        return saved

    # -- helpers --------------------------------------------------------------------------------

    def _load(self, path: str, title: str) -> None:
        s = self.session
        if self.new_session_per_page:
            s.close_socket()
            run = s.open("/" + path)
        else:
            if path not in s.pages:
                raise ProtocolError("page not found", f"/{path} not among the pages")
            s.query_string = ""  # a link to a page drops the current page's query
            run = s.rerun(page_hash=s.pages[path])
        _check(run)
        if not any(title == h.body for h in run.of("heading")):
            raise ProtocolError("page not shown", f"no “{title}” on /{path}")


def _check(run: Run) -> None:
    if run.page_not_found:
        raise ProtocolError("page not found")
    problem = run.problem()
    if problem is not None:
        raise ProtocolError(*problem)


def _first_alert(run: Run) -> str:
    alerts = run.of("alert")
    return alerts[0].body[:200] if alerts else ""


def _column(arrow_ipc: bytes, name: str) -> list[object]:
    """One column of a dataframe element's Arrow data."""
    table = pa.ipc.open_stream(io.BytesIO(arrow_ipc)).read_all()
    if name not in table.column_names:
        raise ProtocolError("widget missing", f"no column {name} in the editor")
    return table.column(name).to_pylist()
