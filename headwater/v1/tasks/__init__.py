"""Prefect 1's built-in task library: ``core`` (collections, items) and
``control_flow`` (``case``, ``merge``, ``ifelse``, ``switch``)."""
