"""Load harness: N real Chromium sessions against one app server, in the spirit of Streamlit's own.

What it measures
----------------
One app server (`python -m lib.serve`, what `make run` starts) serves a fresh database filled by
`python -m lib.manage synth --tasks N`. One headless Chromium opens N browser contexts (separate
cookies, separate Streamlit sessions) through Playwright's asyncio API. Each session signs in as a
coordinator (the four `dp.*` demo accounts in turn; sign-in is timed too) and then, every round:

1. **initial load** of the overview `/`: from navigation until the title is visible and the script is
   idle (`[data-testid='stApp'][data-test-script-state='notRunning']`). A navigation starts a new
   Streamlit session, so this includes the re-login from the cookie.
2. **filter rerun**: pick one locality in the sidebar's "Địa bàn" filter; from the click on the option
   until the URL carries `dia_ban=…` and the script is idle again.
3. **load of `/nhiem-vu`** until its table has drawn (reported on its own), then one **cell edit** of
   the notes column ("Ghi chú") of one of the coordinator's rows: from the Enter that commits the
   cell until "1 thay đổi chưa lưu" shows and the script is idle (reported on its own).
4. **save rerun**: click "Lưu"; from the first click until the outcome shows ("Không có thay đổi chưa
   lưu." = saved, "đã được người khác thay đổi" = conflict, or an error) and the script is idle.

"Rerun (all)" pools the filter reruns and the saves. End conditions are checked in the page on every
animation frame, so a time is exact to a frame (Playwright's own `expect` polls up to a second apart).

Sessions sharing an account edit different rows, so a conflict means something went wrong. Every
wait has a generous timeout (60 s by default: the machine may have two cores for the server and all
the browsers). A timeout, an error alert (`[data-testid='stAlertContentError']`), an exception box
(`[data-testid='stException']`) or a missing re-login cookie after signing in is counted as a
failure of that step, and the session goes on (a failed sign-in is tried once more). Hiccups of the
browser side that a user would simply redo are redone and counted as retries, not failures: a
dropped click on "Đăng nhập" or "Lưu" (nothing happens for 20 s), a grid that did not open its
cell editor, text that landed in the neighbouring cell.

Alongside: the server's resident memory (VmRSS of the process and any children) sampled every
0.2 s — at start (after startup, before any session), after sign-in, the peak and the end; CPU
seconds of the server and of the load generator (Chromium, Playwright, this harness) and how busy
the machine was (PostgreSQL's own processes count only in the latter); the server log's uncaught
exceptions; and, afterwards, the database: one audit event per successful save, and the audit hash
chain verifies (`python -m lib.manage verify-audit`).

Run it
------
    .venv/bin/python -m bench.load                       # 10 sessions, 10,000 tasks, SQLite, 3 rounds
    .venv/bin/python -m bench.load --sessions 2 --tasks 1000 --rounds 1
    .venv/bin/python -m bench.load --engine postgresql   # needs postgres@127.0.0.1:5432 (trust auth)
    .venv/bin/python -m bench.load --browser-nice 10     # browsers yield the CPU to the server

It prints a table and writes the numbers as JSON (`--out`, default `bench-results-load.json`);
`--screenshots DIR` keeps a screenshot of every failure and `--keep-log FILE` the server's log.
SQLite uses a file in a temporary folder; PostgreSQL a database `bench_load`, dropped and created
again, and dropped at the end. Chromium is `/usr/bin/chromium` (or `CHROMIUM_PATH`). The exit status
is 1 when any step failed.

On a small machine the browsers need far more CPU than the server (see the CPU line): the times are
those of users whose browsers share the server's cores; `--browser-nice 10` gives the server the
first claim on the CPU, closer to users on their own machines.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect
from playwright.async_api import Error as PlaywrightError
from sqlalchemy import create_engine, func, select, text

from lib.data.models import AuditEvent
from lib.ops.directive import LOCALITIES

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [  # the same as tests/browser/conftest.py
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DATABASE = "bench_load"
PASSWORD = "bacgiang2024"
COORDINATORS = ("dp.lucngan", "dp.yendung", "dp.vietyen", "dp.bacgiang")
AUTH_COOKIE = "bg_dashboard_auth"
VIEWPORT = {"width": 1600, "height": 1000}

OVERVIEW_TITLE = "Tiến độ thực hiện Đề án 30/ĐA-BCA và Đề án 885"
TASKS_TITLE = "Danh sách nhiệm vụ"
ERROR_ALERT = "[data-testid='stAlertContentError']"
EXCEPTION = "[data-testid='stException']"
NOTES_COLUMN = 13  # position of "notes" in the task editor's column order (pages/tasks.py ORDER)
ROW_HEIGHT = 35  # px, glide-data-grid's default row (and header) height in Streamlit
SAVE_RECLICK_AFTER = 20.0  # s without any outcome on an idle page: the click was dropped
MEMORY_INTERVAL = 0.2  # s

# The headline numbers and the order of the table.
TIMING_KINDS = {
    "sign_in": "sign-in (form → signed in)",
    "load_overview": "initial load /",
    "load_tasks": "initial load /nhiem-vu",
    "filter": "rerun: filter change",
    "cell_edit": "rerun: cell edit (not in 'all')",
    "save": "rerun: save",
}
RERUN_KINDS = ("filter", "save")


class StepFailed(Exception):
    """A step ended in something other than success (an error shown, a conflict, …)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


# ---------------------------------------------------------------------------------------------
# Measurements


def percentile(values: list[float], pct: float) -> float | None:
    """Return the nearest-rank percentile of `values` (None when there are none)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values: list[float]) -> dict[str, Any]:
    """Count, p50/p95/p99, mean and max of durations in seconds (rounded to milliseconds)."""

    def r(v: float | None) -> float | None:
        return None if v is None else round(v, 3)

    return {
        "n": len(values),
        "p50": r(percentile(values, 50)),
        "p95": r(percentile(values, 95)),
        "p99": r(percentile(values, 99)),
        "mean": r(sum(values) / len(values)) if values else None,
        "max": r(max(values)) if values else None,
    }


@dataclass
class Recorder:
    """Durations of successful steps, operations attempted, failures per kind (with examples)."""

    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    operations: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    notes: Counter[str] = field(default_factory=Counter)
    screenshots: Path | None = None  # where to save a screenshot of each failure, if anywhere

    def success(self, kind: str, seconds: float) -> None:
        """Record one successful step."""
        self.timings[kind].append(seconds)

    def failure(self, kind: str, reason: str, detail: str = "") -> None:
        """Record one failed step (a few details per kind are kept for the report)."""
        key = f"{kind}: {reason}"
        self.failures[key] += 1
        if detail and len(self.examples[key]) < 3:
            self.examples[key].append(detail[:300])

    async def step(self, kind: str, page: Page, action: Callable[[], Awaitable[float]]) -> bool:
        """Run one measured step; record its duration, or its failure. Return whether it succeeded.

        `action` returns the measured seconds, or raises. After it, an exception box or an error alert
        on the page turns the step into a failure too.
        """
        self.operations[kind] += 1
        try:
            seconds = await action()
            problem = await page_problem(page)
            if problem:
                raise StepFailed(*problem)
        except StepFailed as exc:
            self.failure(kind, exc.reason, exc.detail)
        except (AssertionError, PlaywrightError, TimeoutError) as exc:
            # Playwright reports a wait that ran out as an AssertionError (expect) or a TimeoutError.
            problem = await page_problem(page)
            if problem:
                self.failure(kind, *problem)
            else:
                self.failure(
                    kind, "timeout" if "timeout" in str(exc).lower() else "browser", _first_line(str(exc))
                )
        else:
            self.success(kind, seconds)
            return True
        await self._screenshot(kind, page)
        return False

    async def _screenshot(self, kind: str, page: Page) -> None:
        if self.screenshots is None:
            return
        self.screenshots.mkdir(parents=True, exist_ok=True)
        path = self.screenshots / f"{kind}-{sum(self.failures.values()):03d}.png"
        with contextlib.suppress(PlaywrightError):
            await page.screenshot(path=path, full_page=True, timeout=10_000)


def _first_line(message: str) -> str:
    return next((line.strip() for line in message.splitlines() if line.strip()), message)


class MemorySampler:
    """Sample the resident memory (VmRSS) of a process and its descendants every 0.2 s in a thread."""

    def __init__(self, pid: int, interval: float = MEMORY_INTERVAL) -> None:
        self.pid = pid
        self.interval = interval
        self.samples: list[tuple[float, int]] = []  # (monotonic time, bytes)
        self.start_bytes: int | None = None
        self.marks: dict[str, int] = {}  # readings at named moments
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def start(self) -> None:
        """Take the start reading now, then sample until stopped."""
        self.start_bytes = tree_rss(self.pid)
        self._thread.start()

    def mark(self, name: str) -> None:
        """Take a reading now and keep it under `name`."""
        self.marks[name] = tree_rss(self.pid)

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic(), tree_rss(self.pid)))
            self._stop.wait(self.interval)

    @property
    def peak_bytes(self) -> int:
        """The largest reading (the start reading included)."""
        return max([self.start_bytes or 0, *(b for _, b in self.samples)])

    @property
    def end_bytes(self) -> int:
        """The last reading."""
        return self.samples[-1][1] if self.samples else self.start_bytes or 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(c) for c in (task / "children").read_text().split()]
    return found


def descendants(pid: int, skip: int | None = None) -> list[int]:
    """Return `pid` and all its descendants, leaving out the subtree of `skip`."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        if current == skip or current in found:
            continue
        found.append(current)
        todo += _children(current)
    return found


def tree_rss(pid: int) -> int:
    """Return VmRSS in bytes of `pid` plus all its descendants (0 for a process that is gone)."""
    total = 0
    for current in descendants(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
                    break
    return total


def tree_cpu_seconds(pid: int, skip: int | None = None) -> float:
    """Return the CPU seconds used so far by the live processes of `pid`'s tree (without `skip`'s)."""
    return sum(cpu_seconds(p) for p in descendants(pid, skip))


def machine_cpu() -> tuple[float, float]:
    """Return (busy, total) jiffies of the whole machine so far, from /proc/stat."""
    values = [float(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU time a process has used so far, in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def busy_percent(before: tuple[float, float], after: tuple[float, float]) -> float:
    """Share of the machine's CPU time spent busy between two `machine_cpu()` readings, in %."""
    total = after[1] - before[1]
    return round(100 * (after[0] - before[0]) / total, 1) if total else 0.0


def busy_seconds(before: tuple[float, float], after: tuple[float, float]) -> float:
    """CPU seconds the whole machine spent busy between two `machine_cpu()` readings."""
    return (after[0] - before[0]) / os.sysconf("SC_CLK_TCK")


EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_][\w.]*)(?:Error|Exception|Exit)\b.*$")


def log_errors(log: str) -> dict[str, int]:
    """Count the distinct exceptions the server logged: the last line of each traceback, leaving out
    the causes of chained exceptions (counted once, under the exception that surfaced)."""
    found: Counter[str] = Counter()
    lines = log.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("Traceback (most recent call last)"):
            continue
        j = next((k for k in range(i + 1, len(lines)) if EXCEPTION_LINE.match(lines[k])), None)
        if j is None:
            continue
        after = lines[j + 1 : j + 5]
        if any(x.startswith(("The above exception", "During handling of the above")) for x in after):
            continue
        found[lines[j][:300]] += 1
    return dict(found)


# ---------------------------------------------------------------------------------------------
# Database and server


def run_manage(database_url: str, *args: str) -> str:
    """Run `python -m lib.manage ARGS` against `database_url`; return its output (raise on failure)."""
    env = {**os.environ, "DATABASE_URL": database_url, "DASHBOARD_ENV": "demo"}
    done = subprocess.run(
        [sys.executable, "-m", "lib.manage", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"lib.manage {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return (done.stdout + done.stderr).strip()


@contextlib.contextmanager
def prepared_database(engine: str, tasks: int, workdir: Path) -> Iterator[str]:
    """Create a fresh database, upgrade it and fill it with `tasks` synthetic tasks; yield its URL.

    SQLite: a file in `workdir` (removed with it). PostgreSQL: the database `bench_load`, dropped
    and created again, and dropped when done.
    """
    if engine == "sqlite":
        url = f"sqlite:///{workdir / 'load.db'}"
    else:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {PG_DATABASE}"))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{PG_DATABASE}"
    try:
        print(run_manage(url, "init-db"))
        started = time.monotonic()
        print(run_manage(url, "synth", "--tasks", str(tasks)))
        print(f"  (synth took {time.monotonic() - started:.1f} s)")
        yield url
    finally:
        if engine == "postgresql":
            with admin.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
            admin.dispose()


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """One running app server."""

    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    @property
    def pid(self) -> int:
        """The server's process id."""
        return self.process.pid

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's output."""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@contextlib.contextmanager
def running_server(database_url: str, workdir: Path, startup_timeout: float = 120) -> Iterator[Server]:
    """Start `python -m lib.serve` in demo mode on a free port; wait for /_stcore/health; stop at exit."""
    port = free_port()
    log_path = workdir / "server.log"
    env = {**os.environ, "DATABASE_URL": database_url, "DASHBOARD_ENV": "demo"}
    command = [
        sys.executable,
        "-m",
        "lib.serve",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Server(process, f"http://127.0.0.1:{port}", log_path)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            try:
                with urllib.request.urlopen(f"{server.base_url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the app did not start:\n{server.log_tail()}") from None
                time.sleep(0.3)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def check_database(database_url: str, marker: str) -> dict[str, Any]:
    """Count the saves that reached the database (audit events of the notes we typed) and verify
    the audit trail's hash chain."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            saved = conn.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.field == "notes", AuditEvent.new_value.like(f"{marker}%"))
            )
    finally:
        engine.dispose()
    try:
        verdict = run_manage(database_url, "verify-audit")
        chain_ok = True
    except RuntimeError as exc:
        verdict, chain_ok = str(exc), False
    return {"saves_in_audit_trail": int(saved or 0), "audit_chain_ok": chain_ok, "verify_audit": verdict}


# ---------------------------------------------------------------------------------------------
# One browser session


async def page_problem(page: Page) -> tuple[str, str] | None:
    """Return (kind, text) of an exception box or error alert on the page, if there is one."""
    for selector, kind in ((EXCEPTION, "exception"), (ERROR_ALERT, "error alert")):
        try:
            boxes = page.locator(selector)
            if await boxes.count():
                return kind, _first_line(await boxes.first.inner_text(timeout=2_000))
        except PlaywrightError:
            continue
    return None


# Predicates evaluated in the page on every animation frame (`wait_for_function(polling="raf")`), so
# that a measured step ends within a frame of the page reaching its state. (Playwright's `expect`
# retries at 100, 250, 500, 1000 ms, which would add up to a second to a measurement.)
PAGE_HELPERS = """
window.__bench = {
  idle() {
    return document.querySelector("[data-testid='stApp'][data-test-script-state='notRunning']") !== null;
  },
  visible(selector, test) {
    return [...document.querySelectorAll(selector)].some(
      (e) => (!test || test(e.textContent.trim())) && e.checkVisibility()
    );
  },
  heading(text) { return this.visible("h1, h2, h3", (t) => t === text); },
  markdown(test) { return this.visible("[data-testid='stMarkdownContainer']", test); },
  pending() { return this.markdown((t) => /^\\d+ thay đổi chưa lưu$/.test(t)); },
  saved() { return this.markdown((t) => t === "Không có thay đổi chưa lưu."); },
  conflict() {
    return this.visible("[data-testid='stAlertContentWarning']", (t) => t.includes("đã được người khác"));
  },
  broken() {
    return document.querySelector("[data-testid='stException'], [data-testid='stAlertContentError']")
      !== null;
  },
};
"""
JS_OVERVIEW_READY = "(title) => __bench.heading(title) && __bench.idle()"
# The table counts as loaded once the grid has drawn its first cell (the grid's code loads lazily:
# its container shows before the grid takes clicks).
JS_TASKS_READY = (
    "(title) => __bench.heading(title) && __bench.idle()"
    " && document.querySelector(\".st-key-tasks_editor [data-testid='glide-cell-0-0']\") !== null"
)
JS_FILTERED = (
    "(code) => (new URLSearchParams(location.search).get('dia_ban') || '').split(',').includes(code)"
    " && __bench.idle()"
)
JS_PENDING = "() => __bench.pending() && __bench.idle()"
JS_SAVED = "() => __bench.saved() && __bench.idle()"
JS_SAVE_OUTCOME = "() => (__bench.saved() || __bench.conflict() || __bench.broken()) && __bench.idle()"
JS_DROPPED_CLICK = "() => __bench.pending() && __bench.idle()"


@dataclass
class Session:
    """One simulated coordinator: a browser context, a page, and the row it edits."""

    index: int
    username: str
    row: int  # which row of the coordinator's task table it edits
    context: BrowserContext
    page: Page
    base_url: str
    timeout_ms: int
    recorder: Recorder

    async def until(self, predicate: str, arg: Any = None, timeout_ms: float | None = None) -> None:
        """Wait until the JavaScript `predicate(arg)` holds in the page (checked every frame), or the
        page shows an exception or an error and is idle (the caller's check then finds it)."""
        await self.page.wait_for_function(
            f"(arg) => ({predicate})(arg) || (__bench.broken() && __bench.idle())",
            arg=arg,
            polling="raf",
            timeout=self.timeout_ms if timeout_ms is None else timeout_ms,
        )

    async def wait_idle(self) -> None:
        """Wait until the script has finished its run."""
        await self.until("() => __bench.idle()")

    # -- sign-in ------------------------------------------------------------------------------

    async def sign_in(self) -> float:
        """Open `/` and sign in through the form; return the seconds from the first submit to signed in.

        A submit that shows an exception or an error is counted as a failure and submitted again (up
        to three times), as a user would. A submit during a rerun can be dropped by the frontend
        (the form stays, nothing shows): submit again (counted in the retries). Then wait for the
        re-login cookie (the page shows a one-pixel image whose answer sets it).
        """
        page = self.page
        await page.goto(self.base_url + "/", wait_until="commit", timeout=self.timeout_ms)
        name_field = page.get_by_label("Tên đăng nhập")
        await expect(name_field).to_be_visible(timeout=self.timeout_ms)
        signed_in = "(name) => document.body.innerText.includes(`(${name})`)"
        started: float | None = None
        for attempt in range(3):
            await self.wait_idle()
            await name_field.fill(self.username)
            await page.get_by_label("Mật khẩu").fill(PASSWORD)
            started = started or time.perf_counter()
            await page.get_by_role("button", name="Đăng nhập").click()
            with contextlib.suppress(PlaywrightError):
                await self.until(signed_in, self.username, self.timeout_ms / 2)
            if await page.evaluate(signed_in, self.username):
                break
            problem = await page_problem(page)
            if problem:
                self.recorder.failure("sign_in", f"{problem[0]} (submitted again)", problem[1])
            elif not await name_field.is_visible():
                break  # it went through, only slowly
            else:
                self.recorder.notes["sign-in submit dropped, submitted again"] += 1
            if attempt == 2:
                raise StepFailed("never signed in")
        await self.until(signed_in, self.username)
        seconds = time.perf_counter() - (started or 0.0)
        deadline = time.monotonic() + self.timeout_ms / 1000
        while not any(c["name"] == AUTH_COOKIE for c in await self.context.cookies()):
            if time.monotonic() > deadline:
                raise StepFailed("no re-login cookie")
            await page.wait_for_timeout(100)
        await page.wait_for_timeout(300)
        await self.wait_idle()
        return seconds

    # -- the overview -------------------------------------------------------------------------

    async def load(self, path: str, ready: str, title: str) -> float:
        """Navigate to `path`; return the seconds until `ready(title)` holds (which includes idle)."""
        started = time.perf_counter()
        await self.page.goto(self.base_url + path, wait_until="commit", timeout=self.timeout_ms)
        await self.until(ready, title)
        return time.perf_counter() - started

    async def change_filter(self, round_no: int) -> float:
        """Pick one locality in the overview's "Địa bàn" filter; return click → URL updated and idle."""
        code, name, _kind = LOCALITIES[(self.index + round_no) % len(LOCALITIES)]
        page = self.page
        await page.locator(".st-key-overview_f_loc").get_by_role("combobox").click()
        option = page.get_by_role("option", name=name, exact=True)
        await expect(option).to_be_visible(timeout=self.timeout_ms)
        started = time.perf_counter()
        await option.click()
        await page.keyboard.press("Escape")
        await self.until(JS_FILTERED, code)
        return time.perf_counter() - started

    # -- the task table -----------------------------------------------------------------------

    async def _go_to_cell(self, column: int) -> None:
        """Select this session's row's cell in `column`: click the row's first cell, move right."""
        editor = self.page.locator(".st-key-tasks_editor")
        box = await editor.bounding_box()
        if box is None:
            raise StepFailed("no task table")
        await self.page.mouse.click(box["x"] + 15, box["y"] + ROW_HEIGHT * (self.row + 1) + 17)
        await self.next_frames()
        for _ in range(column):
            await self.page.keyboard.press("ArrowRight")
            await self.next_frames()

    async def next_frames(self) -> None:
        """Let the page draw twice: the grid computes a key's move from the selection it last drew,
        so a key pressed before that can be lost on a busy machine (the text then lands one column
        to the left)."""
        await self.page.evaluate(
            "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
        )

    async def _cell_text(self, column: int) -> str:
        """Read this session's row's cell in `column` (the grid only renders the columns in view:
        scroll there by selecting the cell if needed)."""
        cell = self.page.locator(f".st-key-tasks_editor [data-testid='glide-cell-{column}-{self.row}']")
        if not await cell.count():
            await self._go_to_cell(column)
            await self.page.keyboard.press("Escape")
        return await cell.inner_text(timeout=10_000)

    async def edit_notes(self, value: str) -> float:
        """Type `value` into the notes cell of this session's row; return Enter → draft shown, idle.

        The grid under load can miss the click that selects the cell (no cell editor opens: select
        again) or drop an arrow key (the text lands in the neighbouring cell: discard it with "Hủy"
        and type again). Both are counted in the retries; the time is that of the edit that landed.
        """
        page = self.page
        text_field = page.locator("[data-testid='portal'] textarea, [data-testid='portal'] input").first
        for _attempt in range(3):
            await self._go_to_cell(NOTES_COLUMN)
            await page.keyboard.press("Enter")  # open the cell's editor
            try:
                await expect(text_field).to_be_visible(timeout=10_000)
            except AssertionError:
                self.recorder.notes["cell editor did not open, selected again"] += 1
                await page.keyboard.press("Escape")
                continue
            await text_field.fill(value)
            started = time.perf_counter()
            await page.keyboard.press("Enter")
            await page.get_by_role("heading", name=TASKS_TITLE).click()  # leave the grid
            await self.until(JS_PENDING)
            seconds = time.perf_counter() - started
            if await self._cell_text(NOTES_COLUMN) == value:
                return seconds
            self.recorder.notes["cell edit landed in the wrong cell, redone"] += 1
            await page.wait_for_timeout(1000)
            await page.get_by_role("button", name="Hủy", exact=True).click()
            await self.until(JS_SAVED)
        raise StepFailed("the edit never landed in the notes cell")

    async def save(self) -> float:
        """Click "Lưu"; return the seconds from the first click to the outcome shown and idle.

        Raises StepFailed for a conflict (errors are caught by the recorder). Waits a second first
        so that the grid's late value report (after losing focus) does not race the click. A click
        that left the page idle with the draft for 20 s was dropped: click again (counted).
        """
        page = self.page
        await page.wait_for_timeout(1000)
        await self.wait_idle()
        button = page.get_by_role("button", name="Lưu", exact=True)
        started = time.perf_counter()
        deadline = started + self.timeout_ms / 1000
        await button.click()
        while True:
            left_ms = (deadline - time.perf_counter()) * 1000
            try:
                await self.until(
                    JS_SAVE_OUTCOME, timeout_ms=max(1000, min(SAVE_RECLICK_AFTER * 1000, left_ms))
                )
                break
            except PlaywrightError:
                if time.perf_counter() >= deadline:
                    raise
                if await page.evaluate(JS_DROPPED_CLICK):
                    self.recorder.notes["save click dropped, clicked again"] += 1
                    await button.click()
        seconds = time.perf_counter() - started
        if await page.evaluate("() => __bench.conflict()"):
            raise StepFailed("conflict")
        return seconds

    # -- one round ----------------------------------------------------------------------------

    async def run_round(self, round_no: int, marker: str) -> None:
        """Overview, a filter change, the task page, an edit of the notes, a save."""
        rec, page = self.recorder, self.page
        if await rec.step("load_overview", page, lambda: self.load("/", JS_OVERVIEW_READY, OVERVIEW_TITLE)):
            await rec.step("filter", page, lambda: self.change_filter(round_no))
        if not await rec.step(
            "load_tasks", page, lambda: self.load("/nhiem-vu", JS_TASKS_READY, TASKS_TITLE)
        ):
            return
        value = f"{marker} s{self.index} v{round_no} {time.strftime('%H:%M:%S')}"
        if await rec.step("cell_edit", page, lambda: self.edit_notes(value)):
            await rec.step("save", page, self.save)


async def open_session(
    browser: Browser, index: int, base_url: str, timeout_ms: int, recorder: Recorder
) -> Session:
    """A new browser context and page for session `index` (coordinator `index mod 4`)."""
    context = await browser.new_context(viewport=VIEWPORT, locale="vi-VN")
    await context.add_init_script(PAGE_HELPERS)
    page = await context.new_page()
    return Session(
        index=index,
        username=COORDINATORS[index % len(COORDINATORS)],
        row=index // len(COORDINATORS),
        context=context,
        page=page,
        base_url=base_url,
        timeout_ms=timeout_ms,
        recorder=recorder,
    )


async def drive_sessions(
    base_url: str,
    sessions: int,
    rounds: int,
    timeout_ms: int,
    marker: str,
    recorder: Recorder,
    memory: MemorySampler,
    browser_nice: int = 0,
) -> dict[str, float]:
    """Sign every session in (concurrently), then run all rounds of all signed-in sessions concurrently.

    Returns the wall time of both phases and the CPU time of the load generator (this process,
    Playwright's driver and Chromium: everything in this process's tree but the server).
    """
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        if browser_nice:
            # Processes Chromium starts later (renderers) inherit the priority of their parent.
            for pid in descendants(os.getpid(), skip=memory.pid)[1:]:
                with contextlib.suppress(OSError):
                    os.setpriority(os.PRIO_PROCESS, pid, browser_nice)
        try:
            opened = [await open_session(browser, i, base_url, timeout_ms, recorder) for i in range(sessions)]
            client_cpu = tree_cpu_seconds(os.getpid(), skip=memory.pid)
            started = time.monotonic()

            async def sign_in(session: Session) -> bool:
                # A failed sign-in is counted; the user then tries once more from a fresh page.
                for _ in range(2):
                    if await recorder.step("sign_in", session.page, session.sign_in):
                        return True
                return False

            signed = await asyncio.gather(*(sign_in(s) for s in opened))
            sign_in_wall = time.monotonic() - started
            memory.mark("after_sign_in")
            active = [s for s, ok in zip(opened, signed, strict=True) if ok]
            print(
                f"  {len(active)}/{sessions} sessions signed in ({sign_in_wall:.1f} s); "
                f"running {rounds} round(s)"
            )

            async def all_rounds(session: Session) -> None:
                for round_no in range(rounds):
                    await session.run_round(round_no, marker)

            started = time.monotonic()
            await asyncio.gather(*(all_rounds(s) for s in active))
            rounds_wall = time.monotonic() - started
            memory.mark("after_rounds")
            client_cpu = tree_cpu_seconds(os.getpid(), skip=memory.pid) - client_cpu
            for s in opened:
                await s.context.close()
        finally:
            await browser.close()
    return {
        "sign_in_wall_s": round(sign_in_wall, 2),
        "rounds_wall_s": round(rounds_wall, 2),
        "client_cpu_s": round(client_cpu, 1),
    }


# ---------------------------------------------------------------------------------------------
# Report


def build_report(
    args: argparse.Namespace,
    recorder: Recorder,
    memory: MemorySampler,
    phases: dict[str, float],
    extra: dict[str, Any],
) -> dict[str, Any]:
    """Everything measured, as one JSON-ready dictionary."""
    mb = 1024 * 1024
    reruns = [t for kind in RERUN_KINDS for t in recorder.timings[kind]]
    return {
        "engine": args.engine,
        "sessions": args.sessions,
        "tasks": args.tasks,
        "rounds": args.rounds,
        "timeout_s": args.timeout,
        "browser_nice": args.browser_nice,
        "initial_load_s": summary(recorder.timings["load_overview"]),
        "rerun_s": summary(reruns),
        "timings_s": {kind: summary(recorder.timings[kind]) for kind in TIMING_KINDS},
        "operations": dict(recorder.operations),
        "operations_total": sum(recorder.operations.values()),
        "failures": dict(recorder.failures),
        "failures_total": sum(recorder.failures.values()),
        "failure_examples": dict(recorder.examples),
        "retries": dict(recorder.notes),
        "memory_mb": {
            "start": round((memory.start_bytes or 0) / mb, 1),
            "peak": round(memory.peak_bytes / mb, 1),
            "end": round(memory.end_bytes / mb, 1),
            **{name: round(value / mb, 1) for name, value in memory.marks.items()},
            "samples": len(memory.samples),
        },
        **phases,
        **extra,
    }


def print_report(report: dict[str, Any]) -> None:
    """Print the report as a readable table."""
    print()
    print(
        f"Load: {report['sessions']} sessions × {report['rounds']} rounds, {report['tasks']:,} tasks, "
        f"{report['engine']}, wall {report['wall_s']:.1f} s (sign-in {report['sign_in_wall_s']:.1f} s, "
        f"rounds {report['rounds_wall_s']:.1f} s)"
    )
    header = f"{'step':34} {'ok':>4} {'fail':>4} {'p50 s':>7} {'p95 s':>7} {'p99 s':>7} {'max s':>7}"
    print(header)
    print("-" * len(header))

    def fmt(v: float | None) -> str:
        return "-" if v is None else f"{v:.2f}"

    def row(label: str, stats: dict[str, Any], failed: int) -> None:
        print(
            f"{label:34} {stats['n']:>4} {failed:>4} {fmt(stats['p50']):>7} {fmt(stats['p95']):>7} "
            f"{fmt(stats['p99']):>7} {fmt(stats['max']):>7}"
        )

    def failed_of(*kinds: str) -> int:
        return sum(n for key, n in report["failures"].items() if key.split(":")[0] in kinds)

    for kind, label in TIMING_KINDS.items():
        row(label, report["timings_s"][kind], failed_of(kind))
    row("rerun (all: filter + save)", report["rerun_s"], failed_of(*RERUN_KINDS))
    m = report["memory_mb"]
    print(
        f"server RSS: start {m['start']:.1f} MB, after sign-in {m.get('after_sign_in', 0):.1f} MB, "
        f"peak {m['peak']:.1f} MB, end {m['end']:.1f} MB"
    )
    print(
        f"CPU while the sessions ran ({report['sessions_wall_s']:.1f} s × {report['cpu_count']} cores): "
        f"server {report['server_cpu_s']:.1f} s, "
        f"Chromium + Playwright + harness {report['client_cpu_s']:.1f} s, "
        f"the rest (PostgreSQL, other programs) {report['other_cpu_s']:.1f} s; "
        f"machine busy {report['machine_cpu_busy_pct']:.0f} %; load average at start "
        + "/".join(f"{x:.1f}" for x in report["load_average_at_start"])
    )
    print(f"operations: {report['operations_total']}, failures: {report['failures_total']}")
    for key, n in sorted(report["failures"].items()):
        print(f"  {n:4} × {key}")
        for example in report["failure_examples"].get(key, []):
            print(f"         e.g. {example}")
    for key, n in sorted(report["retries"].items()):
        print(f"  {n:4} × (retried) {key}")
    db = report["database_check"]
    print(
        f"database: {db['saves_in_audit_trail']} saves in the audit trail "
        f"({report['timings_s']['save']['n']} saves succeeded in the browsers); "
        f"audit chain {'verifies' if db['audit_chain_ok'] else 'BROKEN: ' + db['verify_audit']}"
    )
    if report["server_log_errors"]:
        print(f"server log: {sum(report['server_log_errors'].values())} uncaught exception(s):")
        for line, n in report["server_log_errors"].items():
            print(f"  {n:4} × {line}")


# ---------------------------------------------------------------------------------------------
# Main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10, help="concurrent browser sessions (10)")
    parser.add_argument("--tasks", type=int, default=10_000, help="synthetic tasks in the database (10000)")
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per session (3)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a step may take (60)")
    parser.add_argument("--out", type=Path, default=Path("bench-results-load.json"), help="JSON output")
    parser.add_argument("--keep-log", type=Path, help="copy the server's log here")
    parser.add_argument(
        "--browser-nice",
        type=int,
        default=0,
        help="run Playwright and Chromium at this nice level (e.g. 10: the server gets the CPU first, "
        "closer to users on their own machines); 0 = same priority as the server",
    )
    parser.add_argument("--screenshots", type=Path, help="save a screenshot of every failure in this folder")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Prepare, serve, drive the sessions, report, clean up. Exit status 1 if anything failed."""
    args = parse_args(argv)
    if not Path(CHROMIUM).exists():
        sys.exit(f"Chromium not found at {CHROMIUM} (set CHROMIUM_PATH)")
    wall_started = time.monotonic()
    recorder = Recorder(screenshots=args.screenshots)
    marker = "Tải thử"  # the notes typed start with it; the database check counts them
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    try:
        print(f"Preparing a {args.engine} database with {args.tasks:,} tasks …")
        with prepared_database(args.engine, args.tasks, workdir) as url:
            print("Starting the app server …")
            with running_server(url, workdir) as server:
                memory = MemorySampler(server.pid)
                memory.start()
                server_cpu_before, machine_before = tree_cpu_seconds(server.pid), machine_cpu()
                load_at_start = [round(x, 2) for x in os.getloadavg()]
                sessions_started = time.monotonic()
                print(
                    f"  {server.base_url} (pid {server.pid}), RSS {(memory.start_bytes or 0) / 2**20:.1f} MB"
                )
                try:
                    phases = asyncio.run(
                        drive_sessions(
                            server.base_url,
                            args.sessions,
                            args.rounds,
                            int(args.timeout * 1000),
                            marker,
                            recorder,
                            memory,
                            args.browser_nice,
                        )
                    )
                finally:
                    memory.stop()
                machine_after = machine_cpu()
                cpu = {
                    "sessions_wall_s": round(time.monotonic() - sessions_started, 1),
                    "server_cpu_s": round(tree_cpu_seconds(server.pid) - server_cpu_before, 1),
                    "machine_cpu_busy_pct": busy_percent(machine_before, machine_after),
                    "machine_cpu_busy_s": round(busy_seconds(machine_before, machine_after), 1),
                    "cpu_count": os.cpu_count(),
                    "load_average_at_start": load_at_start,
                }
                log = server.log_path.read_text(errors="replace")
                if args.keep_log:
                    shutil.copyfile(server.log_path, args.keep_log)
            extra = {
                **cpu,
                "server_log_errors": log_errors(log),
                "database_check": check_database(url, marker),
            }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    extra["wall_s"] = round(time.monotonic() - wall_started, 1)
    # Busy CPU time of the machine not spent by the server or the load generator: PostgreSQL's
    # processes and anything else running (another test run skews every number above).
    extra["other_cpu_s"] = round(
        extra["machine_cpu_busy_s"] - extra["server_cpu_s"] - phases["client_cpu_s"], 1
    )
    report = build_report(args, recorder, memory, phases, extra)
    print_report(report)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"Wrote {args.out}")
    return 1 if report["failures_total"] else 0


if __name__ == "__main__":
    sys.exit(main())
