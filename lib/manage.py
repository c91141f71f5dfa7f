"""`python -m lib.manage …`: the operator's command line, kept at this path for the README and scripts.

The commands live in lib/ops/manage.py.
"""

import sys

from lib.ops.manage import main

if __name__ == "__main__":
    sys.exit(main())
