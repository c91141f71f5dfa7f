"""The effective Streamlit configuration, read the way a server reads it: the committed
.streamlit/config.toml plus the flags `python -m lib.serve` adds, in a fresh process."""

import json
import subprocess
import sys

import pytest

from lib.core.config import PROJECT_ROOT
from lib.ui import serve

OPTIONS = (
    "client.showErrorDetails",
    "client.toolbarMode",
    "server.enableCORS",
    "server.enableXsrfProtection",
    "server.fileWatcherType",
    "server.runOnSave",
    "server.maxUploadSize",
    "server.maxWidgetStateSize",
    "server.maxMessageSize",
    "server.address",
)


def effective(env: str) -> dict:
    flags = {}
    for flag in serve.server_flags({"DASHBOARD_ENV": env}):
        name, value = flag.removeprefix("--").split("=", 1)
        # as the command line hands them over: flag names with "_", booleans typed
        flags[name.replace(".", "_")] = {"true": True, "false": False}.get(value, value)
    code = (
        "import json, sys\n"
        "from streamlit import config\n"
        "from streamlit.web.bootstrap import load_config_options\n"
        f"load_config_options(flag_options={flags!r})\n"
        f"print(json.dumps({{n: config.get_option(n) for n in {OPTIONS!r}}}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_production_runs_with_safe_settings_whatever_the_file_says():
    got = effective("production")
    assert got == {
        "client.showErrorDetails": "none",
        "client.toolbarMode": "viewer",
        "server.enableCORS": True,
        "server.enableXsrfProtection": True,
        "server.fileWatcherType": "none",
        "server.runOnSave": False,
        "server.maxUploadSize": 10,  # an evidence file; each uploader sets its own lower limit
        "server.maxWidgetStateSize": 8,  # what one browser may send per rerun, in MB
        "server.maxMessageSize": 20,
        "server.address": "127.0.0.1",  # only the proxy on this machine reaches the app
    }


def test_production_listens_where_the_operator_says_if_they_say_it():
    flags = serve.server_flags({"DASHBOARD_ENV": "production", "STREAMLIT_SERVER_ADDRESS": "10.0.0.5"})
    assert not any(f.startswith("--server.address") for f in flags)
    assert serve.flag_options(["--server.address=10.0.0.5", "--server.port", "8502"])["server_port"] == 8502


@pytest.mark.parametrize(
    "name", ["server.enableCORS", "server.enableXsrfProtection", "server.fileWatcherType"]
)
def test_the_committed_file_is_safe_for_demos_too(name):
    assert effective("demo")[name] == {"server.fileWatcherType": "none"}.get(name, True)


def test_the_pinned_streamlit_is_past_the_known_advisories():
    """Streamlit releases before 1.54.0 carry published security advisories."""
    pins = dict(
        line.split("==", 1)
        for line in (PROJECT_ROOT / "requirements.txt").read_text().splitlines()
        if "==" in line
    )
    version = tuple(int(p) for p in pins["streamlit"].split(".")[:3])
    assert version >= (1, 54, 0), pins["streamlit"]
