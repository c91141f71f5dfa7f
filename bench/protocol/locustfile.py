"""Locust's user class for the protocol-level load test (`make load` runs it through bench.protocol).

Each Locust user is one coordinator's browser tab spoken over Streamlit's WebSocket protocol (see
client.py and journey.py): it opens the app and signs in (in `on_start`), then repeats the overview,
a filter change, the task page, an edit and a save, one action per `--think` seconds on average.
Pacing (`--pacing`): "random" (the default) draws each interval from 0.5 to 1.5 × think and starts a
session's first round at a random moment of its first interval, as independent people do; "constant"
(Locust's constant pacing) keeps every interval at think, so sessions that signed in together act in
step, a wave of the same action at once (the five actions differ fivefold in cost).

Every action is a Locust request of type "ws" named after the action, timed from the BackMsg sent
to the run's script_finished; a failure is reported under its kind (timeout, exception, error
shown, save refused, …). After a failure the session starts the round again from
the overview (a failed sign-in is tried again on a new connection).

Memory marks: the first user signs in (or, with --hold-drafts, gets as far as a pending draft) before
the others start; the server's RSS is read then ("one") and once every user has got as far ("all").
With --hold-drafts a user stops after its edit and keeps its draft pending until the end.

At the end the locust process writes --results (JSON): exact durations per action, failures by kind
with examples, the saves the app acknowledged, the memory marks. Run as a subprocess: gevent's
monkey-patching stays in that process.
"""

from __future__ import annotations

import itertools
import json
import random
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import gevent
import gevent.event
from locust import User, events, task
from locust.env import Environment

from bench.load.measure import tree_rss
from bench.protocol.client import ProtocolError
from bench.protocol.journey import Coordinator

ROUND = ("load_overview", "filter", "load_tasks", "edit", "save")


class Failure(Exception):
    """What Locust shows in its failure table: the kind only (examples go to the results file)."""


class Shared:
    """What the users of this process share: counters, the saves, the memory marks."""

    def __init__(self) -> None:
        self.ids = itertools.count()
        self.durations: dict[str, list[float]] = defaultdict(list)
        self.failures: Counter[str] = Counter()
        self.examples: dict[str, list[str]] = defaultdict(list)
        self.saves: list[dict[str, Any]] = []
        # Saves sent that the app neither acknowledged nor refused: in flight when the run stopped its
        # users (Locust kills a user in the middle of an action at the end), or lost to a timeout or a
        # closed socket. The server may have written any of them.
        self.unanswered: dict[tuple[int, str], dict[str, Any]] = {}
        self.marks: dict[str, Any] = {}
        self.first_ready = gevent.event.Event()
        self.ready = 0
        self.started = time.time()


SHARED = Shared()


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    parser.add_argument(
        "--think", type=float, default=5.0, help="seconds from one action's start to the next's"
    )
    parser.add_argument(
        "--pacing",
        choices=("random", "constant"),
        default="random",
        help="intervals drawn from 0.5-1.5 × think, first round offset at random; or think exactly",
    )
    parser.add_argument("--action-timeout", type=float, default=60.0, help="seconds an action may take")
    parser.add_argument("--marker", default="Tải thử", help="the notes typed start with it")
    parser.add_argument("--results", default="", help="write exact timings, failures and saves here (JSON)")
    parser.add_argument("--server-pids", default="", help="the app servers' pids, comma-separated (memory)")
    parser.add_argument("--hold-drafts", action="store_true", help="stop after the edit, draft pending")
    parser.add_argument(
        "--new-session-per-page",
        action="store_true",
        help="load each page in a new session (as a browser's navigation does) instead of a page switch",
    )


def _mark(environment: Environment, name: str) -> None:
    pids = [int(p) for p in environment.parsed_options.server_pids.split(",") if p]
    if pids:
        rss = sum(tree_rss(pid) for pid in pids)
        SHARED.marks[name] = {"rss_bytes": rss, "t": round(time.time() - SHARED.started, 2)}


class StreamlitUser(User):
    """A coordinator in a browser tab, without the browser."""

    def wait_time(self) -> float:
        # One action per interval (see `_interval`), however long the action took.
        return max(0.0, self._interval() - (time.perf_counter() - self._action_started))

    def _interval(self) -> float:
        options = self.environment.parsed_options
        if options.pacing == "constant":
            return float(options.think)
        return float(options.think) * self.rng.uniform(0.5, 1.5)

    def on_start(self) -> None:
        options = self.environment.parsed_options
        self._action_started = time.perf_counter()
        self.index = next(SHARED.ids)
        self.rng = random.Random(self.index)  # the same intervals for the same session on every run
        if self.index:
            SHARED.first_ready.wait()  # the first session's memory is read alone
        self.coordinator = Coordinator(
            self.environment.host,
            self.index,
            options.marker,
            timeout=options.action_timeout,
            new_session_per_page=options.new_session_per_page,
        )
        self.step = 0
        self.counted = False
        for _attempt in range(3):
            if self._act("open", self.coordinator.open) and self._act("sign_in", self.coordinator.sign_in):
                break
            self.coordinator.close()
            self.coordinator = Coordinator(
                self.environment.host,
                self.index,
                options.marker,
                options.action_timeout,
                options.new_session_per_page,
            )
        else:
            self._arrived()  # counted, so that the marks do not wait for a user that gave up
            raise_stop()
        if not options.hold_drafts:
            self._arrived()
        if options.pacing == "random":  # sessions that signed in together do not act in step
            gevent.sleep(self.rng.uniform(0.0, float(options.think)))

    def on_stop(self) -> None:
        self.coordinator.close()

    @task
    def next_action(self) -> None:
        options = self.environment.parsed_options
        self._action_started = time.perf_counter()
        if options.hold_drafts and self.coordinator.draft is not None:
            return  # the draft stays pending until the end
        name = ROUND[self.step]
        c = self.coordinator
        ok = self._act(
            name,
            {
                "load_overview": c.load_overview,
                "filter": c.change_filter,
                "load_tasks": c.load_tasks,
                "edit": c.edit,
                "save": self._save,
            }[name],
        )
        self.step = (self.step + 1) % len(ROUND) if ok else 0
        if options.hold_drafts and c.draft is not None:
            self._arrived()

    def _save(self) -> None:
        draft = self.coordinator.draft
        key = (self.index, draft.value if draft else "")
        if draft is not None:
            SHARED.unanswered[key] = dict(vars(draft))
        try:
            saved = self.coordinator.save()
        except ProtocolError as exc:
            if not exc.unanswered:  # the app answered, or the click was never sent
                SHARED.unanswered.pop(key, None)
            raise
        SHARED.unanswered.pop(key, None)
        SHARED.saves.append(vars(saved))

    def _arrived(self) -> None:
        """This user has got as far as the memory marks need (signed in, or a draft pending)."""
        if self.counted:
            return
        self.counted = True
        SHARED.ready += 1
        if self.index == 0:
            _mark(self.environment, "one")
            SHARED.first_ready.set()
        target = self.environment.runner.target_user_count if self.environment.runner else 0
        if SHARED.ready == target:
            _mark(self.environment, "all")
            SHARED.marks["all"]["sessions"] = target

    def _act(self, name: str, action: Any) -> bool:
        """Run one action and report it to Locust (request type "ws"); True when it succeeded."""
        started = time.perf_counter()
        error: Exception | None = None
        try:
            action()
        except ProtocolError as exc:
            error = exc
            kind, detail = exc.kind, exc.detail
        except Exception as exc:  # noqa: BLE001 - a bug in the client is a failure of the action too
            error = exc
            kind, detail = "client error", f"{type(exc).__name__}: {exc}"
        elapsed = time.perf_counter() - started
        if error is None:
            SHARED.durations[name].append(elapsed)
        else:
            key = f"{name}: {kind}"
            SHARED.failures[key] += 1
            if len(SHARED.examples[key]) < 3:
                SHARED.examples[key].append(detail[:200])
        self.environment.events.request.fire(
            request_type="ws",
            name=name,
            response_time=elapsed * 1000,
            response_length=0,
            exception=None if error is None else Failure(kind),
            context={},
        )
        return error is None


def raise_stop() -> None:
    from locust.exception import StopUser

    raise StopUser()


@events.quitting.add_listener
def _write_results(environment: Environment, **_kwargs: Any) -> None:
    path = environment.parsed_options.results
    if not path:
        return
    Path(path).write_text(
        json.dumps(
            {
                "durations_s": SHARED.durations,
                "failures": SHARED.failures,
                "failure_examples": SHARED.examples,
                "saves": SHARED.saves,
                "unanswered_saves": list(SHARED.unanswered.values()),
                "marks": SHARED.marks,
                "users_started": next(SHARED.ids),
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
