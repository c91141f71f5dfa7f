"""Protocol-level load test: Locust users that speak Streamlit's own WebSocket protocol, no browser.

`make load` (`python -m bench.protocol`) prepares a database with synthetic tasks and starts the app
server exactly as the Chromium harness does (bench/load/server.py, tests/support/server.py), then runs
Locust headless in a subprocess (locustfile.py): each simulated coordinator opens the app, signs in
through the real form (the widget ids come from the deltas it receives), and repeats the overview, a
filter change, /nhiem-vu (a page switch), an edit of the notes of one of its rows and a save, one
action per `--think` seconds. Each action is timed from the BackMsg sent to the script_finished
ForwardMsg and reported to Locust (type "ws", named after the action; failures by kind).

Reported: p50/p95/p99 per action, failures by kind, throughput, the server's CPU and RSS over time
and per further signed-in session (`--hold-drafts`: each with a draft pending), the server log's
uncaught exceptions, and the audit-trail check (every acknowledged save is there, nothing else).
Output in `--out` (default bench-results-load/): Locust's HTML report and CSV stats, summary.json.

    .venv/bin/python -m bench.protocol --users 50 --think 5 --run-time 120
    .venv/bin/python -m bench.protocol --users 100 --hold-drafts --spawn-rate 5 --run-time 90

The code: client.py (the protocol), journey.py (one coordinator's steps), locustfile.py (Locust's
user class), audit.py, report.py, __main__.py. The Chromium harness (bench/load, `make load-browser`)
stays as the end-to-end check.
"""
