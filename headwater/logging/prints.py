"""``log_prints``: ``print`` inside a flow or task becomes an INFO run log."""

from __future__ import annotations

import builtins
import sys
from typing import Any

from headwater.context import FlowRunContext, TaskRunContext

_original_print = builtins.print


def _print(
    *args: Any, sep: str | None = " ", end: str | None = "\n", file: Any = None, flush: bool = False
) -> None:
    if file is None or file is sys.stdout:
        ctx = TaskRunContext.get() or FlowRunContext.get()
        if ctx is not None and ctx.log_prints:
            from headwater.logging.loggers import get_run_logger

            get_run_logger().info((sep if sep is not None else " ").join(map(str, args)))
            return
    _original_print(*args, sep=sep, end=end, file=file, flush=flush)


def install_print_capture() -> None:
    """Route ``print`` through run loggers where ``log_prints`` is on (idempotent)."""
    if builtins.print is not _print:
        builtins.print = _print
