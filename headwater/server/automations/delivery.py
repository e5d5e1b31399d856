"""How the server sends to a notification block.

The server imports no block classes (the layering contract), so what sends to a
block document is given to it: ``headwater server start`` registers the notification
blocks' own code (``headwater.cli.server_app``).  ``notify`` and ``call`` raise
``DeliveryError`` when no sender is registered or the block could not deliver.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from headwater.schemas.blocks import BlockDocument

#: ``notify(document, subject, body, idempotency_key)``
Notifier = Callable[[BlockDocument, str, str, str], None]
#: ``call(document, payload, idempotency_key)``
Caller = Callable[[BlockDocument, Any, str], None]

_notifier: Notifier | None = None
_caller: Caller | None = None


class DeliveryError(Exception):
    pass


def register(notifier: Notifier, caller: Caller) -> None:
    global _notifier, _caller
    _notifier, _caller = notifier, caller


def notify(document: BlockDocument, subject: str, body: str, key: str) -> None:
    if _notifier is None:
        raise DeliveryError("this server process cannot send notifications (no block sender)")
    _notifier(document, subject, body, key)


def call(document: BlockDocument, payload: Any, key: str) -> None:
    if _caller is None:
        raise DeliveryError("this server process cannot call webhooks (no block sender)")
    _caller(document, payload, key)
