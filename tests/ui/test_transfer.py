"""Downloads built when clicked: the run the click starts learns whether the file could be built."""

import contextlib
import threading
import time

import pytest

from lib.data.db import DatabaseError
from lib.ui import transfer

WHO = ("session-1", "tasks_xlsx")


def _click(builds, build, delay=0.2):
    """What the browser does after a click: ask for the file a moment later, on another thread."""

    def run():
        time.sleep(delay)
        # Streamlit's own handler catches what the build raises; the page learns it from the registry.
        with contextlib.suppress(ZeroDivisionError, DatabaseError):
            builds.run(WHO, build)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_build_that_fails_is_reported_in_vietnamese_to_the_run_that_waits():
    builds = transfer._Builds()
    since = time.monotonic()

    def unreachable():
        raise DatabaseError("Không kết nối được cơ sở dữ liệu.")

    thread = _click(builds, unreachable)
    assert builds.wait(WHO, since) == "Không kết nối được cơ sở dữ liệu."
    thread.join()


def test_an_unexpected_error_is_reported_without_its_details():
    builds = transfer._Builds()
    since = time.monotonic()
    thread = _click(builds, lambda: 1 / 0)
    error = builds.wait(WHO, since)
    thread.join()
    assert error is not None and error.startswith("lỗi không mong đợi") and "division" not in error


def test_a_build_that_works_reports_nothing_and_is_forgotten():
    builds = transfer._Builds()
    since = time.monotonic()
    thread = _click(builds, lambda: b"PK")
    assert builds.wait(WHO, since) is None
    thread.join()
    assert builds._builds == {}


def test_an_older_build_is_not_taken_for_this_click():
    builds = transfer._Builds()
    with pytest.raises(ZeroDivisionError):
        builds.run(WHO, lambda: 1 / 0)
    started = time.monotonic()
    assert builds.wait(WHO, since=started, start_within=0.3) is None  # no new build: nothing to say
    assert time.monotonic() - started < 2
