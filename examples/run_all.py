"""Run every example flow (each in its own process, as a user would) and show the runs.

This is what ``make run`` does: ``python examples/<name>.py`` for each example,
then ``headwater flow-run ls`` to print the recorded runs as a table.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLES = ["hello.py", "pass_dict.py", "etl.py", "monthly_subflows.py"]


def main() -> int:
    for name in EXAMPLES:
        print(f"\n=== python examples/{name}", flush=True)
        done = subprocess.run([sys.executable, str(HERE / name)])
        if done.returncode != 0:
            print(f"examples/{name} failed (exit {done.returncode})", file=sys.stderr)
            return done.returncode
    print(flush=True)
    return subprocess.run(
        [sys.executable, "-m", "headwater.cli", "flow-run", "ls", "--limit", "20"]
    ).returncode


if __name__ == "__main__":
    sys.exit(main())
