"""Data shapes shared by the client and the server.

``records`` and ``orchestration`` are plain Python (the engine's hot path uses them);
the pydantic models (``flow_runs``, ``task_runs``, ``logs``, ``filters``) are for reads
and the API, imported only where needed so ``import headwater`` stays light.
"""
