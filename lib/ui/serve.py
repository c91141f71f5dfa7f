"""Start the app server: `python -m lib.serve [streamlit run options]` (what `make run` does).

It serves app.py inside the web layer of lib/ui/web.py (security headers, who may upload, the
server-set re-login cookie), on Streamlit's own server (uvicorn), with the same options as
`streamlit run`. (A plain `streamlit run app.py` still works, but without that layer: use it for
development only.)

Because app.py sits next to a `pages/` folder, Streamlit would start every new server process in
its legacy multipage mode until st.navigation has run once: the first visitor of a deep link such
as /nhiem-vu would get a "page not found" dialog. Starting here turns that mode off first.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from streamlit import config as streamlit_config
from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import bootstrap, cli

from lib.core.config import PROJECT_ROOT

APP_SCRIPT = PROJECT_ROOT / "app.py"
WEB_APP = "lib.ui.web:app"

# Safe settings that production never runs without, whatever .streamlit/config.toml says:
# command-line flags take precedence over the file.
PRODUCTION_OPTIONS = {
    "client.showErrorDetails": "none",  # no traceback or exception text in the page
    "client.toolbarMode": "viewer",
    "server.enableCORS": "true",
    "server.enableXsrfProtection": "true",
    "server.fileWatcherType": "none",
    "server.runOnSave": "false",
    "server.enableAgentApi": "false",  # Streamlit's API for coding agents: not for users
}
# In production the app answers only the proxy in front of it (TLS, headers, rate limits): by
# default on this machine's loopback. STREAMLIT_SERVER_ADDRESS (or --server.address) names another
# address where the proxy runs elsewhere.
PRODUCTION_ADDRESS = "127.0.0.1"
# The proxies whose X-Forwarded-For and X-Forwarded-Proto uvicorn believes (the client's address for
# the sign-in throttles, https for Secure cookies): this machine, also as a dual-stack socket sees it.
TRUSTED_PROXIES = "127.0.0.1,::1,::ffff:127.0.0.1"


def server_flags(environ: Mapping[str, str]) -> list[str]:
    """The flags `python -m lib.serve` adds for the environment (production: the safe settings)."""
    if environ.get("DASHBOARD_ENV", "demo").strip() != "production":
        return []
    flags = [f"--{name}={value}" for name, value in PRODUCTION_OPTIONS.items()]
    if not environ.get("STREAMLIT_SERVER_ADDRESS", "").strip():
        flags.append(f"--server.address={PRODUCTION_ADDRESS}")
    return flags


def flag_options(argv: Sequence[str]) -> dict[str, Any]:
    """Parse `streamlit run` options (flags, then STREAMLIT_* variables) as the CLI itself does."""
    context = cli.main_run.make_context("run", [str(APP_SCRIPT), *argv])
    return {name: value for name, value in context.params.items() if name not in ("target", "args")}


def main() -> None:
    """Serve app.py inside lib/ui/web.py with the given options, in st.navigation mode from the start."""
    PagesManager.uses_pages_directory = False
    os.environ.setdefault("FORWARDED_ALLOW_IPS", TRUSTED_PROXIES)  # read by uvicorn
    options = flag_options([*server_flags(os.environ), *sys.argv[1:]])
    # What `streamlit run` does before it starts a server: config files are found next to app.py.
    streamlit_config._main_script_path = str(APP_SCRIPT)
    bootstrap.load_config_options(flag_options=options)
    if str(streamlit_config.get_option("server.baseUrlPath") or "").strip("/"):
        # lib/ui/web.py matches its routes and Streamlit's from the root of the host name.
        raise SystemExit("server.baseUrlPath không được hỗ trợ: hãy phục vụ ứng dụng ở gốc tên miền.")
    bootstrap.run_asgi_app(str(APP_SCRIPT), WEB_APP, [], options)


if __name__ == "__main__":
    main()
