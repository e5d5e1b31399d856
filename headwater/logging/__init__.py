"""Run logs: ``get_run_logger()`` inside flows and tasks, shown and stored."""

from headwater.logging.loggers import disable_run_logger, get_logger, get_run_logger

__all__ = ["disable_run_logger", "get_logger", "get_run_logger"]
