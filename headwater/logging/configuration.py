"""Attaching Headwater's handlers, once per process (again if settings change)."""

from __future__ import annotations

import logging

from headwater.logging.console import ConsoleHandler
from headwater.logging.handlers import StoreHandler
from headwater.settings import Settings

_applied: tuple[object, ...] | None = None


def setup_logging(settings: Settings) -> None:
    global _applied
    key = (
        settings.logging_level,
        settings.logging_console,
        settings.logging_to_store,
        tuple(settings.logging_extra_loggers),
    )
    if key == _applied:
        return
    root = logging.getLogger("headwater")
    for logger_name in ("headwater", *settings.logging_extra_loggers):
        logger = logging.getLogger(logger_name)
        for handler in list(logger.handlers):
            if isinstance(handler, (ConsoleHandler, StoreHandler)):
                logger.removeHandler(handler)
        if settings.logging_console:
            logger.addHandler(ConsoleHandler())
        if settings.logging_to_store:
            logger.addHandler(StoreHandler())
        if logger_name != "headwater":
            logger.setLevel(settings.logging_level)
    root.setLevel(settings.logging_level)
    # Our handlers show and store these records; the root logger would repeat them.
    root.propagate = False
    _applied = key
