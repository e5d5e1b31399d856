"""Scheduled-run keys: moved to ``headwater.core.run_keys`` (the server's scheduler
uses them too); the name stays importable from here."""

from headwater.core.run_keys import scheduled_key

__all__ = ["scheduled_key"]
