"""The store a run reports to: ``headwater.client.backend`` (logging writes through it
too, so it sits in the client layer); the engine's names stay importable here."""

from headwater.client.backend import Backend, forget_backends, get_backend

__all__ = ["Backend", "forget_backends", "get_backend"]
