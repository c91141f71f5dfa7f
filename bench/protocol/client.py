"""A Streamlit session spoken over the app's own WebSocket protocol, without a browser.

What a browser's page does, reduced to what the server sees: an HTTP GET of the page (cookies), the
WebSocket `/_stcore/stream` with the XSRF token as its second subprotocol, `BackMsg.rerun_script`
carrying the page, the query string and every widget's state, and `ForwardMsg`s back until the run's
`script_finished`. Widgets are found by what they show (a label, a key's class) in the deltas of the
last run; their ids are the server's. Images the page shows under /auth/ are fetched as a browser
would (the re-login cookie is set that way).

Blocking sockets only (websocket-client, requests), so that Locust's gevent can switch between
sessions; nothing here imports gevent.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import ssl
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import requests
import urllib3
import websocket
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
FINISHED = {
    ForwardMsg.FINISHED_SUCCESSFULLY,
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR,
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY,
}
_IMAGE = re.compile(r'<img src="([^"]+)"')


# The kinds of failure where the app's answer never came: the run timed out, or the connection was
# refused or lost.
TRANSPORT_FAILURES = frozenset({"timeout", "refused"})


class ProtocolError(Exception):
    """An action did not end as it should; `kind` is what Locust reports it under."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail

    @property
    def unanswered(self) -> bool:
        """True when the app never answered (a save that failed so may have been written); False when
        it answered (refused, an error or exception shown: nothing may be written) or the request was
        never sent (a widget missing)."""
        return self.kind in TRANSPORT_FAILURES


@dataclass
class Run:
    """What one action brought back: the elements drawn (in order), the toasts, the run's status."""

    elements: list[Element] = field(default_factory=list)
    status: int | None = None
    page_not_found: bool = False
    runs: int = 0  # script runs started (a st.rerun() adds one)
    fragment: str = ""  # the fragment this run reran alone, as a browser asks when a widget in it changes
    compile_error: str = ""
    toasts: list[str] = field(default_factory=list)  # of every run of the action (st.rerun() keeps them)
    earlier: list[Element] = field(default_factory=list)  # what the action's earlier runs drew

    def of(self, kind: str) -> list[Any]:
        """The elements of one type (e.g. "button"), as their protos."""
        return [getattr(e, kind) for e in self.elements if e.WhichOneof("type") == kind]

    def texts(self) -> list[str]:
        """Markdown, heading and alert texts shown, in order."""
        found = []
        for e in self.elements:
            kind = e.WhichOneof("type")
            if kind in ("markdown", "heading", "alert", "text"):
                found.append(getattr(e, kind).body)
        return found + self.toasts

    def problem(self) -> tuple[str, str] | None:
        """(kind, text) of an exception box or an error alert shown, if any."""
        if self.compile_error:
            return "exception", self.compile_error
        for e in self.elements:
            kind = e.WhichOneof("type")
            if kind == "exception":
                return "exception", f"{e.exception.type}: {e.exception.message}"[:200]
            if kind == "alert" and e.alert.format == e.alert.ERROR:
                return "error shown", e.alert.body[:200]
        return None


class StreamlitSession:
    """One browser tab's worth of Streamlit session over the protocol."""

    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()
        self.ws: websocket.WebSocket | None = None
        self.session_id = ""
        self.query_string = ""
        self.page_hash = ""
        self.pages: dict[str, str] = {}  # url path ("" for the main page) → page_script_hash
        self.widgets: dict[str, WidgetState] = {}  # the states a browser would send again
        self.fragments: dict[str, str] = {}  # widget id → the id of the st.fragment it is drawn in
        self.reported: set[str] = set()  # the cookie components that told this session their value
        self.last = Run()

    # -- connection ---------------------------------------------------------------------------

    def open(self, path: str = "/") -> Run:
        """GET the page (its cookies), open the WebSocket and run the app at `path`."""
        try:
            self._get(path).raise_for_status()
            self._get("/_stcore/health").raise_for_status()
        except requests.RequestException as exc:
            raise ProtocolError("refused", str(exc)) from exc
        xsrf = self.http.cookies.get("_streamlit_xsrf", "")
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)
        ws_url = self.base_url.replace("http", "ws", 1) + "/_stcore/stream"
        try:
            self.ws = websocket.create_connection(
                ws_url,
                timeout=self.timeout,
                origin=self.base_url,
                header=[f"Cookie: {cookie}"],
                subprotocols=["streamlit", xsrf] if xsrf else ["streamlit"],
                enable_multithread=False,
                sslopt={"cert_reqs": ssl.CERT_NONE, "check_hostname": False},
            )
        except (OSError, websocket.WebSocketException) as exc:
            raise ProtocolError("refused", str(exc)) from exc
        path_part, _, query = path.partition("?")
        self.query_string = query
        return self.rerun(page_name=path_part.strip("/"))

    def close_socket(self) -> None:
        """Close the WebSocket (the server ends the session); the cookies stay, as in a browser."""
        if self.ws is not None:
            with contextlib.suppress(OSError, websocket.WebSocketException):
                self.ws.close()
            self.ws = None
        self.widgets = {}
        self.reported = set()

    def close(self) -> None:
        """Close the WebSocket and the HTTP connections."""
        self.close_socket()
        self.http.close()

    # -- one action ---------------------------------------------------------------------------

    def rerun(
        self,
        *,
        page_name: str | None = None,
        page_hash: str | None = None,
        trigger: str | None = None,
        extra: dict[str, WidgetState] | None = None,
    ) -> Run:
        """Send one rerun_script (the widgets' states, a button's trigger) and read until the run ends.

        As a browser does, a change of widgets that all stand in one st.fragment asks for a rerun of
        that fragment alone (`fragment_id`). Reads past runs stopped for a rerun (st.rerun()) until a
        run finishes for good.
        """
        if self.ws is None:
            raise ProtocolError("refused", "no connection")
        message = BackMsg()
        client = message.rerun_script
        client.query_string = self.query_string
        if page_hash is not None:
            client.page_script_hash = page_hash
        elif page_name is not None:
            client.page_name = page_name
        else:
            client.page_script_hash = self.page_hash
        states = dict(self.widgets)
        states.update(extra or {})
        if trigger is not None:
            state = WidgetState(id=trigger, trigger_value=True)
            states[trigger] = state
        client.widget_states.widgets.extend(states.values())
        changed = set(extra or {}) | ({trigger} if trigger is not None else set())
        in_fragments = {self.fragments.get(w, "") for w in changed}
        fragment = in_fragments.pop() if len(in_fragments) == 1 and page_name is None else ""
        client.fragment_id = fragment
        self.widgets.update({k: v for k, v in (extra or {}).items()})
        self._send(message)
        self.last = self._read_until_finished(fragment)
        self._report_cookies()
        return self.last

    def _report_cookies(self) -> None:
        """Answer a cookie component drawn for the first time in this session, as a browser's does.

        streamlit-authenticator's CookieManager (extra_streamlit_components, method getAll) reads
        `document.cookie` once it is mounted and sends it as its value: a second script run of the
        same action, seen on every new session in the Chromium harness. The answer holds the cookies
        a page's script can read (not the HttpOnly ones)."""
        for element in self.last.of("component_instance"):
            if element.id in self.reported or '"getAll"' not in element.json_args:
                continue
            self.reported.add(element.id)
            readable = {c.name: c.value for c in self.http.cookies if not c.has_nonstandard_attr("HttpOnly")}
            first = self.last
            state = WidgetState(id=element.id, json_value=json.dumps(readable))
            self.rerun(extra={element.id: state})
            self.last.runs += first.runs
            self.last.toasts[:0] = first.toasts
            return

    def _send(self, message: BackMsg) -> None:
        assert self.ws is not None
        try:
            self.ws.send_binary(message.SerializeToString())
        except (OSError, websocket.WebSocketException) as exc:
            raise ProtocolError("refused", f"send: {exc}") from exc

    def _read_until_finished(self, fragment: str = "") -> Run:
        assert self.ws is not None
        run = Run(fragment=fragment)
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ProtocolError("timeout", f"no script_finished within {self.timeout:.0f} s")
            self.ws.settimeout(left)
            try:
                raw = self.ws.recv()
            except websocket.WebSocketTimeoutException as exc:
                raise ProtocolError("timeout", f"no script_finished within {self.timeout:.0f} s") from exc
            except (OSError, websocket.WebSocketException) as exc:
                raise ProtocolError("refused", f"connection lost: {exc}") from exc
            if isinstance(raw, str):
                continue
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                # A fragment's run that ends in st.rerun() goes on as a run of the whole app.
                whole = fragment and not msg.metadata.run.fragment_ids
                run = Run(
                    runs=run.runs + 1,
                    toasts=run.toasts,
                    fragment="" if whole else run.fragment,
                    earlier=run.earlier + run.elements,
                )
                self.session_id = msg.new_session.initialize.session_id or self.session_id
                self.page_hash = msg.new_session.page_script_hash or self.page_hash
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                run.elements.append(msg.delta.new_element)
                drawn = _widget(msg.delta.new_element)
                if drawn is not None:
                    self.fragments[drawn.id] = msg.delta.fragment_id
                if msg.delta.new_element.WhichOneof("type") == "toast":
                    run.toasts.append(msg.delta.new_element.toast.body)
            elif kind == "page_info_changed":
                self.query_string = msg.page_info_changed.query_string
            elif kind == "navigation":
                for page in msg.navigation.app_pages:
                    self.pages[page.url_pathname] = page.page_script_hash
                self.page_hash = msg.navigation.page_script_hash or self.page_hash
            elif kind == "page_not_found":
                run.page_not_found = True
            elif kind == "session_event" and msg.session_event.HasField("script_compilation_exception"):
                exc = msg.session_event.script_compilation_exception
                run.compile_error = f"{exc.type}: {exc.message}"[:200]
            elif kind == "script_finished":
                run.status = msg.script_finished
                if msg.script_finished in FINISHED:
                    self._after_run(run)
                    return run

    def _after_run(self, run: Run) -> None:
        """Keep only the states of widgets still on the page; fetch the page's /auth/ images.

        A fragment's run redraws that fragment only: the widgets outside it stay as they were."""
        present = {w.id for e in run.elements for w in [_widget(e)] if w is not None}
        self.widgets = {
            k: v
            for k, v in self.widgets.items()
            if k in present or (run.fragment and self.fragments.get(k, "") != run.fragment)
        }
        for body in run.of("html"):
            for src in _IMAGE.findall(body.body):
                url = html.unescape(src)
                if url.startswith("/auth/"):
                    self._get(url)

    def _get(self, path: str) -> requests.Response:
        # verify=False on each request: a session-wide setting loses to REQUESTS_CA_BUNDLE. Only the
        # trial proxy's own self-signed certificate is ever met here.
        return self.http.get(self.base_url + path, timeout=self.timeout, verify=False)

    # -- finding widgets ------------------------------------------------------------------------

    def widget(self, kind: str, label: str | None = None, id_contains: str | None = None) -> Any:
        """The element of type `kind` with this label (or whose id holds `id_contains`, e.g. a key)."""
        for proto in self.last.of(kind):
            if (label is None or proto.label == label) and (id_contains is None or id_contains in proto.id):
                return proto
        wanted = label if label is not None else id_contains
        raise ProtocolError("widget missing", f"no {kind} “{wanted}” on the page")

    def shows(self, text: str) -> bool:
        """Whether a markdown, heading, alert or toast of the last action contains `text`."""
        return any(text in t for t in self.last.texts())

    @property
    def cookies(self) -> dict[str, str]:
        """The cookies this session's browser would hold now."""
        return {c.name: c.value for c in self.http.cookies}


def _widget(element: Element) -> Any:
    kind = element.WhichOneof("type")
    proto = getattr(element, kind) if kind else None
    return proto if proto is not None and getattr(proto, "id", "") else None


def text_state(widget_id: str, value: str) -> WidgetState:
    """A text input's state."""
    return WidgetState(id=widget_id, string_value=value)


def multiselect_state(widget_id: str, values: list[str]) -> WidgetState:
    """A multiselect's state: the options picked, as shown."""
    state = WidgetState(id=widget_id)
    state.string_array_value.data.extend(values)
    return state


def editor_state(widget_id: str, edited_rows: dict[int, dict[str, Any]]) -> WidgetState:
    """A data editor's state: the cells edited, by row position and column name."""
    value = {
        "edited_rows": {str(row): cells for row, cells in edited_rows.items()},
        "added_rows": [],
        "deleted_rows": [],
    }
    return WidgetState(id=widget_id, string_value=json.dumps(value, ensure_ascii=False))


def query_value(query_string: str, name: str) -> str:
    """One parameter of a query string ("" when absent)."""
    return urllib.parse.parse_qs(query_string).get(name, [""])[0]
