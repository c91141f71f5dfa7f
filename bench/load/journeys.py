"""One simulated coordinator per browser context: sign in, then rounds of the overview, a filter
change, the task table, an edit of the notes and a save; all sessions driven concurrently."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass, field
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect
from playwright.async_api import Error as PlaywrightError

from bench.load.measure import (
    MemorySampler,
    Recorder,
    StepFailed,
    descendants,
    page_problem,
    tree_cpu_seconds,
)
from lib.core.catalogue import TASK
from lib.ops.directive import LOCALITIES
from lib.ops.seed import DEMO_PASSWORD
from tests.support.browser import AUTH_COOKIE, CHROMIUM, CHROMIUM_ARGS

COORDINATORS = ("dp.lucngan", "dp.yendung", "dp.vietyen", "dp.bacgiang")
VIEWPORT = {"width": 1600, "height": 1000}

OVERVIEW_TITLE = "Tiến độ thực hiện Đề án 30/ĐA-BCA và Đề án 885"
TASKS_TITLE = "Danh sách nhiệm vụ"
TASKS_GRID = ".st-key-tasks_editor"
NOTES_HEADER = TASK["notes"].label  # the notes column's header in the task editor (from the catalogue)
ROW_HEIGHT = 35  # px, glide-data-grid's default row (and header) height in Streamlit
SAVE_RECLICK_AFTER = 20.0  # s without any outcome on an idle page: the click was dropped


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
  // Scroll the data grid `grid` across to `left` pixels. The grid draws on a canvas; its accessible
  // table (th, td) holds the columns in view only, and follows a scroll a few frames later: resolve
  // once it has.
  async scrollTo(grid, left) {
    const root = document.querySelector(grid);
    const scroller = root && root.querySelector(".dvn-scroller");
    if (!scroller || scroller.scrollLeft === left) return;
    const frame = () => new Promise((done) => requestAnimationFrame(done));
    const first = () => root.querySelector("th")?.getAttribute("aria-colindex");
    const before = first();
    scroller.scrollLeft = left;
    for (let i = 0; i < 120 && first() === before; i++) await frame();
  },
  // The index of the column titled `header` in the data grid `grid`, or -1: scroll across until
  // the header is in the accessible table, then scroll back.
  async column(grid, header) {
    const root = document.querySelector(grid);
    const scroller = root && root.querySelector(".dvn-scroller");
    if (!scroller) return -1;
    const find = () => [...root.querySelectorAll("th")].find((th) => th.textContent.trim() === header);
    const back = scroller.scrollLeft;
    const last = scroller.scrollWidth - scroller.clientWidth;
    let th = find();
    for (let left = 0; !th && left < last + scroller.clientWidth / 2; left += scroller.clientWidth / 2) {
      await this.scrollTo(grid, Math.min(left, last));
      th = find();
    }
    const at = th && th.getAttribute("aria-colindex");
    const cell = at && root.querySelector(`td[aria-colindex="${at}"]`);
    const match = cell && /^glide-cell-(\\d+)-/.exec(cell.getAttribute("data-testid") || "");
    await this.scrollTo(grid, back);
    return match ? Number(match[1]) : at ? Number(at) - 1 : -1;
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
    columns: dict[str, int] = field(default_factory=dict)  # the task grid's columns found by header

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
            await page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
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

    async def column(self, header: str) -> int:
        """The index of the task grid's column titled `header` (looked up once per session)."""
        if header not in self.columns:
            index = await self.page.evaluate(
                "([grid, header]) => __bench.column(grid, header)", [TASKS_GRID, header]
            )
            if index < 0:
                raise StepFailed(f"no column “{header}” in the task table")
            self.columns[header] = int(index)
        return self.columns[header]

    async def _go_to_cell(self, column: int) -> None:
        """Select this session's row's cell in `column`: click the row's first cell, move right.

        The grid keeps its scroll across a rerun: scrolled right (to the notes, by the last edit), a
        click at its left edge would land on a later column and the moves right would pass the
        notes, out of view. Scroll back to the first column first."""
        await self.page.evaluate("(grid) => __bench.scrollTo(grid, 0)", TASKS_GRID)
        editor = self.page.locator(TASKS_GRID)
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

    async def _cell_text(self, column: int) -> str | None:
        """Read this session's row's cell in `column` (the grid only renders the columns in view:
        scroll there by selecting the cell if needed); None if the cell is not in the grid's
        accessible table within 1.5 s. After an edit that table can stop following the
        grid's scroll until the next rerun: the canvas shows the cell, the table does not have it."""
        cell = self.page.locator(f"{TASKS_GRID} [data-testid='glide-cell-{column}-{self.row}']")
        if not await cell.count():
            await self._go_to_cell(column)
            await self.page.keyboard.press("Escape")
        try:
            return await cell.inner_text(timeout=1_500)
        except PlaywrightError:
            return None

    async def edit_notes(self, value: str) -> float:
        """Type `value` into the notes cell ("Ghi chú") of this session's row; return Enter → draft
        shown, idle.

        The grid under load can miss the click that selects the cell (no cell editor opens: select
        again) or drop an arrow key (the text lands in the neighbouring cell: discard it with "Hủy"
        and type again). Both are counted in the retries; the time is that of the edit that landed.
        """
        page = self.page
        text_field = page.locator("[data-testid='portal'] textarea, [data-testid='portal'] input").first
        notes = await self.column(NOTES_HEADER)
        for _attempt in range(3):
            await self._go_to_cell(notes)
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
            landed = await self._cell_text(notes)
            if landed == value:
                return seconds
            if landed is None:
                # Not readable here; a text typed into another column would be saved under another
                # field, and the audit trail's count of saved notes (database_check) would fall short.
                self.recorder.notes["notes cell not readable after the edit (the audit trail checks)"] += 1
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
