"""Domain helpers that both sides of the client boundary import.

The client side (blocks, deployments, the CLI) and the server side (store, services,
UI) share a few pieces of Headwater logic: the encryption of block secrets at rest,
schedule maths, the idempotency key of a scheduled run and the check of a
deployment's pull steps.  They live here so that neither side imports the other.

Rules for this package: plain functions and small classes; it imports only
``headwater.exceptions``, ``headwater.settings`` and ``headwater.utilities`` (the
layers contract in ``pyproject.toml`` holds it); no I/O beyond what a helper is for
(the encryption key file).  Public names keep their old paths as re-exports
(``headwater.schedules``, ``headwater.blocks.encryption``).
"""
