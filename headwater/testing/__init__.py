"""Helpers for testing flows and tasks (Prefect's ``prefect.testing``)."""
