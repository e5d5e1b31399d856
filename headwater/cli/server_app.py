"""The server application as ``headwater server start`` runs it: the API of
``headwater.server.app`` plus what the server may not import itself: the notification
blocks' code, given to the automation actions (``server.automations.delivery``).

uvicorn imports ``create_app`` from here in every worker process."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from headwater.blocks.core import Block
    from headwater.schemas.blocks import BlockDocument

IDEMPOTENCY_HEADER = "Idempotency-Key"


def _block(document: BlockDocument, key: str) -> Block:
    from headwater.blocks.discovery import block_class_for_slug
    from headwater.blocks.fields import SecretDict

    block = block_class_for_slug(document.block_type_slug)._from_document(document)
    headers: Any = getattr(block, "headers", False)
    if headers is not False:  # a block that sends HTTP headers carries the key in them
        known = headers.get_secret_value() if headers else {}
        block = block.model_copy(update={"headers": SecretDict({**known, IDEMPOTENCY_HEADER: key})})
    return block


def notify(document: BlockDocument, subject: str, body: str, key: str) -> None:
    block: Any = _block(document, key)
    if not hasattr(block, "notify"):
        raise TypeError(f"the {document.block_type_slug} block {document.name!r} cannot notify")
    block.notify(body, subject=subject or None)


def call(document: BlockDocument, payload: Any, key: str) -> None:
    block: Any = _block(document, key)
    if not hasattr(block, "call"):
        raise TypeError(f"the {document.block_type_slug} block {document.name!r} is no webhook")
    response = block.call(payload)
    if response.status_code >= 400:
        raise RuntimeError(f"the webhook answered {response.status_code}")


def register_block_senders() -> None:
    import threading

    from headwater.server.automations import delivery

    delivery.register(notify, call)
    # The first notification would otherwise pay for imports and the HTTP client's
    # setup (a second or more on a busy machine): do that now, in the background.
    threading.Thread(target=_warm_up, name="headwater-warm-up", daemon=True).start()


def _warm_up() -> None:
    from headwater.blocks.discovery import block_class_for_slug
    from headwater.blocks.notifications import _http

    block_class_for_slug("webhook")
    _http()


def create_app() -> FastAPI:
    from headwater.server.app import create_app as create

    register_block_senders()
    app = create()
    freeze_startup_heap()
    return app


def freeze_startup_heap() -> None:
    """Move what the server holds after startup (its modules, app, routes, schemas:
    about 130,000 objects) out of the garbage collector's reach.  Those live as long
    as the process; scanning them made every full collection a pause of 30-80 ms for
    every request in flight, and the server makes enough objects per request to run
    one every few thousand requests."""
    import gc

    gc.collect()
    gc.freeze()
