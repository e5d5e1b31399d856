"""Prefect 1's ``prefect.core``: ``Flow``, ``Task``, ``Parameter``, ``Edge``."""
