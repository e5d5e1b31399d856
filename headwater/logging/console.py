"""Readable run logs on the console.

On a terminal the lines are coloured with Rich (imported on the first record); when
stderr is a file or a pipe (cron, CI, ``| tee``) the same text is written plainly,
which also spares a short script the ~40 ms of importing Rich.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from headwater.logging.handlers import format_message
from headwater.utilities.tracebacks import mark_shown, was_shown

_LEVEL_STYLES = {
    "DEBUG": "dim",
    "INFO": "cyan",
    "WARNING": "yellow",
    "ERROR": "bold red",
    "CRITICAL": "bold white on red",
}


def run_label(record: logging.LogRecord) -> str:
    """``Task run 'load-0'`` / ``Flow run 'brisk-heron'`` / the logger name."""
    task_run_name = getattr(record, "task_run_name", None)
    if task_run_name:
        return f"Task run {task_run_name!r}"
    flow_run_name = getattr(record, "flow_run_name", None)
    if flow_run_name:
        return f"Flow run {flow_run_name!r}"
    return record.name


def console_text(record: logging.LogRecord) -> str:
    """The record's message with its traceback, unless the console showed that one
    already (a task run's error logged again by its flow run prints once)."""
    exc = record.exc_info[1] if record.exc_info else None
    if exc is None:
        return format_message(record)
    if was_shown(exc):
        return f"{record.getMessage()} (traceback above)"
    mark_shown(exc)
    return format_message(record)


class ConsoleHandler(logging.Handler):
    """``12:00:01.234 | INFO    | Flow run 'brisk-heron' - message`` on stderr."""

    def __init__(self) -> None:
        super().__init__()
        self._console: Any = None

    def _get_console(self) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True, highlight=False, soft_wrap=True)
        return self._console

    def emit(self, record: logging.LogRecord) -> None:
        try:
            clock = time.strftime("%H:%M:%S", time.localtime(record.created))
            millis = int(record.msecs)
            level = record.levelname
            stream = sys.stderr
            if not stream.isatty():
                stream.write(
                    f"{clock}.{millis:03d} | {level:<8} | "
                    f"{run_label(record)} - {console_text(record)}\n"
                )
                stream.flush()
                return
            from rich.markup import escape

            console = self._get_console()
            style = _LEVEL_STYLES.get(level, "")
            console.print(
                f"[dim]{clock}.{millis:03d}[/dim] | [{style}]{level:<8}[/{style}] | "
                f"{escape(run_label(record))} - {escape(console_text(record))}",
                markup=True,
            )
        except Exception:
            self.handleError(record)
