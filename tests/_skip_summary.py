"""Skipped tests listed once at the end, grouped by reason with a count, instead of
``-rs``'s line per test (``make test`` skips ~200 when PostgreSQL or Chromium is
missing).  A plugin of its own so that tests/test_skip_summary.py can load it into a
pytest run of its own; tests/conftest.py imports the hook.
"""

from __future__ import annotations

import collections
from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Skips grouped by reason with a count (instead of ``-rs``'s line per test)."""
    reasons: collections.Counter[str] = collections.Counter()
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, (tuple, list)) else str(longrepr)
        reasons[reason.removeprefix("Skipped: ")] += 1
    if not reasons:
        return
    terminalreporter.section(f"{sum(reasons.values())} skipped", sep="-")
    for reason, count in reasons.most_common():
        terminalreporter.write_line(f"{count:5d}  {reason}")
