"""``python -m headwater.engine RUN_ID [--retry] [--force]``: the process entry point
workers start.  It is ``headwater.launch.__main__`` (launching loads user code, which
sits above the engine); this name stays because workers and users call it."""

from __future__ import annotations

import sys

from headwater.launch.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
