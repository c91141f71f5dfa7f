"""Start the app server: `python -m lib.serve [streamlit run options]` (what `make run` does).

Because app.py sits next to a `pages/` folder, a plain `streamlit run app.py` starts every new
server process in Streamlit's legacy multipage mode until st.navigation has run once: the first
visitor of a deep link such as /nhiem-vu gets a "page not found" dialog. Starting through this
module turns that mode off before the server starts. (`streamlit run app.py` still works; app.py
then leaves the legacy mode on the first run.)
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

from lib.config import PROJECT_ROOT

# Safe settings that production never runs without, whatever .streamlit/config.toml says:
# command-line flags take precedence over the file.
PRODUCTION_OPTIONS = {
    "client.showErrorDetails": "none",  # no traceback or exception text in the page
    "client.toolbarMode": "viewer",
    "server.enableCORS": "true",
    "server.enableXsrfProtection": "true",
    "server.fileWatcherType": "none",
    "server.runOnSave": "false",
}


def server_flags(environ: Mapping[str, str]) -> list[str]:
    """The flags `python -m lib.serve` adds for the environment (production: the safe settings)."""
    if environ.get("DASHBOARD_ENV", "demo").strip() != "production":
        return []
    return [f"--{name}={value}" for name, value in PRODUCTION_OPTIONS.items()]


def main() -> None:
    """Run `streamlit run app.py` with the given options, in st.navigation mode from the start."""
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(PROJECT_ROOT / "app.py"), *server_flags(os.environ), *sys.argv[1:]]
    cli.main()


if __name__ == "__main__":
    main()
