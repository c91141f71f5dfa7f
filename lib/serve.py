"""Start the app server: `python -m lib.serve [streamlit run options]` (what `make run` does).

Because app.py sits next to a `pages/` folder, a plain `streamlit run app.py` starts every new
server process in Streamlit's legacy multipage mode until st.navigation has run once: the first
visitor of a deep link such as /nhiem-vu gets a "page not found" dialog. Starting through this
module turns that mode off before the server starts. (`streamlit run app.py` still works; app.py
then leaves the legacy mode on the first run.)
"""

from __future__ import annotations

import sys

from streamlit.runtime.pages_manager import PagesManager
from streamlit.web import cli

from lib.config import PROJECT_ROOT


def main() -> None:
    """Run `streamlit run app.py` with the given options, in st.navigation mode from the start."""
    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(PROJECT_ROOT / "app.py"), *sys.argv[1:]]
    cli.main()


if __name__ == "__main__":
    main()
