"""Which browser sessions of this server process may send files, and how often.

Streamlit accepts a file on `PUT /_stcore/upload_file/<session>/<file>` for any of its sessions, a
visitor who never signed in included, and keeps it in memory for the life of the session. The web
layer (lib/ui/web.py) asks this gate first: only sessions the app has admitted (signed-in users who may
edit) get through, at most a few files a minute each. Sessions live in one process, so the gate
does too; it holds no truth of its own (the app admits a session again on every run).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field

MAX_UPLOADS = 10  # files one session may send ...
PER_SECONDS = 60.0  # ... in this many seconds
ADMISSION_SECONDS = 12 * 3600.0  # an admission not renewed by a run for this long lapses


@dataclass
class _Admission:
    until: float
    sent: deque[float] = field(default_factory=deque)


class UploadGate:
    """The sessions admitted to upload, each with its recent uploads (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._admitted: dict[str, _Admission] = {}

    def admit(self, session_id: str, now: float | None = None) -> None:
        """Let a session send files (renewed on each run of a signed-in editor)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            entry = self._admitted.get(session_id)
            if entry is None:
                for lapsed in [k for k, v in self._admitted.items() if v.until < now]:
                    del self._admitted[lapsed]
                entry = self._admitted[session_id] = _Admission(now)
            entry.until = now + ADMISSION_SECONDS

    def revoke(self, session_id: str) -> None:
        """Stop a session from sending files (signed out, or not allowed to edit)."""
        with self._lock:
            self._admitted.pop(session_id, None)

    def refusal(self, session_id: str, now: float | None = None) -> tuple[int, str] | None:
        """Count an upload of a session; return (HTTP status, reason) if it is refused."""
        now = time.monotonic() if now is None else now
        with self._lock:
            entry = self._admitted.get(session_id)
            if entry is None or entry.until < now:
                return 403, "Chỉ người dùng đã đăng nhập và được sửa dữ liệu mới gửi được tệp."
            while entry.sent and now - entry.sent[0] > PER_SECONDS:
                entry.sent.popleft()
            if len(entry.sent) >= MAX_UPLOADS:
                return 429, f"Gửi quá {MAX_UPLOADS} tệp trong {int(PER_SECONDS)} giây; hãy thử lại sau."
            entry.sent.append(now)
            return None


GATE = UploadGate()
