"""Load harness: N real Chromium sessions against one app server, in the spirit of Streamlit's own.

What it measures
----------------
One app server (`python -m lib.serve`, what `make run` starts, launched by tests/support/server.py
as for the browser tests) serves a fresh database filled by `python -m lib.manage synth --tasks N`.
One headless Chromium opens N browser contexts (separate cookies, separate Streamlit sessions)
through Playwright's asyncio API. Each session signs in as a coordinator (the four `dp.*` demo
accounts in turn; sign-in is timed too) and then, every round:

1. **initial load** of the overview `/`: from navigation until the title is visible and the script is
   idle (`[data-testid='stApp'][data-test-script-state='notRunning']`). A navigation starts a new
   Streamlit session, so this includes the re-login from the cookie.
2. **filter rerun**: pick one locality in the sidebar's "Địa bàn" filter; from the click on the option
   until the URL carries `dia_ban=…` and the script is idle again.
3. **load of `/nhiem-vu`** until its table has drawn (reported on its own), then one **cell edit** of
   the notes column (found by its header, "Ghi chú") of one of the coordinator's rows: from the
   Enter that commits the cell until "1 thay đổi chưa lưu" shows and the script is idle (reported
   on its own).
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

The code: `server.py` (the database and the app server), `journeys.py` (the browser sessions),
`measure.py` (timings, memory, CPU, the server log), `report.py` (JSON and table), `__main__.py`.

On a small machine the browsers need far more CPU than the server (see the CPU line): the times are
those of users whose browsers share the server's cores; `--browser-nice 10` gives the server the
first claim on the CPU, closer to users on their own machines.
"""
