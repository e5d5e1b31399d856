"""The handler that stores run log records through the batching writer."""

from __future__ import annotations

import logging
import traceback
from uuid import UUID

from headwater.context import FlowRunContext
from headwater.utilities.ids import new_id

#: Longest message stored; longer ones are cut with a marker.
MAX_MESSAGE_CHARS = 50_000


def format_message(record: logging.LogRecord) -> str:
    """The message with its traceback, if any."""
    message = record.getMessage()
    if record.exc_info and record.exc_info[1] is not None:
        trace = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        message = f"{message}\n{trace}"
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[:MAX_MESSAGE_CHARS] + "\n… (message truncated)"
    return message


class StoreHandler(logging.Handler):
    """Queues records that belong to a run for the store (others are ignored)."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("headwater.writer"):
            return  # the writer's own complaints must not feed the writer
        try:
            ctx = FlowRunContext.get()
            flow_run_id = getattr(record, "flow_run_id", None)
            if flow_run_id is None:
                if ctx is None:
                    return
                flow_run_id = ctx.flow_run_id
            if ctx is not None:
                writer = ctx.backend.writer
            else:
                from headwater.client.backend import get_backend

                writer = get_backend().writer
            task_run_id = getattr(record, "task_run_id", None)
            if isinstance(flow_run_id, str):  # Prefect-style loggers carry ids as text
                flow_run_id = UUID(flow_run_id)
            if isinstance(task_run_id, str):
                task_run_id = UUID(task_run_id)
            writer.put_log(
                {
                    "id": new_id(),
                    "flow_run_id": flow_run_id,
                    "task_run_id": task_run_id,
                    "name": record.name,
                    "level": record.levelno,
                    "message": format_message(record),
                    "timestamp": record.created,
                }
            )
        except Exception:
            self.handleError(record)
