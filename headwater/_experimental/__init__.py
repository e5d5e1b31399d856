"""Prefect's ``prefect._experimental`` paths that Headwater answers (porting by import)."""
