"""Measurements: step durations and failures, percentiles, the server's memory and CPU, the
exceptions in its log."""

from __future__ import annotations

import contextlib
import math
import os
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

ERROR_ALERT = "[data-testid='stAlertContentError']"
EXCEPTION = "[data-testid='stException']"
MEMORY_INTERVAL = 0.2  # s


class StepFailed(Exception):
    """A step ended in something other than success (an error shown, a conflict, …)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


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
