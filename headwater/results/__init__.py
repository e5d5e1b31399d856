"""Persisted results: where they are stored, how they are serialized, and the small
record that points at them from a run's state.

Importing this package is cheap: fsspec is imported only for a storage URL that is
not a local path, and cloudpickle only when something is pickled.
"""

from __future__ import annotations

from headwater.results.records import ResultRef, load_ref
from headwater.results.serializers import Serializer, get_serializer
from headwater.results.storage import LocalStorage, ResultStorage, get_storage
from headwater.results.store import ResultRecord, ResultStore

__all__ = [
    "LocalStorage",
    "ResultRecord",
    "ResultRef",
    "ResultStorage",
    "ResultStore",
    "Serializer",
    "get_serializer",
    "get_storage",
    "load_ref",
]
