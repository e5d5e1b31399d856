"""Run logs: ``get_run_logger()`` inside flows and tasks, shown and stored."""

from headwater.logging.loggers import get_logger, get_run_logger

__all__ = ["get_logger", "get_run_logger"]
