"""Prefect 1's ``prefect.engine``: ``state`` and ``signals``."""
