"""Launching an existing flow run in this process: ``python -m headwater.engine RUN_ID``
(what workers and ``serve`` start) and ``headwater flow-run retry``.

This package loads user code (a flow's entrypoint, a deployment's pull steps) and then
calls the engine, so it sits above ``flows``, ``deployments`` and ``engine`` in the
layers (see CONTRIBUTING.md, "How the code is layered"): ``runs`` (run or retry one
flow run by id), ``deployment_flows`` (a deployment's flow after its pull steps, and
the heartbeat of its process) and ``__main__`` (the process entry point).
"""
