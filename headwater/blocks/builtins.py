"""Registering the built-in block types (Secret, JSON, String, webhooks, SQL, file
systems, shell) in a store, so a fresh server's block catalogue is not empty.

``headwater server start`` calls it once on the server's store before serving (the
server itself imports no block classes: blocks are client-side code).  It is the same
registration as ``Block.register_type_and_schema`` (what ``headwater block register``
and a block's first save do): the type is upserted by slug and its schema added once
per checksum, so calling it at every start is cheap and changes nothing when the
classes have not changed.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING

from headwater.blocks.core import BUILTIN_MODULES, _with_nested_classes
from headwater.blocks.discovery import blocks_in_module
from headwater.exceptions import HeadwaterError

if TYPE_CHECKING:
    from headwater.client.protocol import Client

logger = logging.getLogger("headwater.blocks")


def register_builtin_block_types(client: Client) -> list[str]:
    """Register every built-in block type (and its schema); the slugs registered."""
    done: list[str] = []
    for module_name in BUILTIN_MODULES:
        for klass in blocks_in_module(importlib.import_module(module_name)):
            for each in _with_nested_classes(klass):
                slug = each.get_block_type_slug()
                if slug in done:
                    continue
                try:
                    client.register_block_type(
                        each._to_block_type_create(), each._to_block_schema_create()
                    )
                except HeadwaterError as exc:  # e.g. the slug was taken by another class
                    logger.warning("built-in block type %s not registered: %s", slug, exc)
                    continue
                done.append(slug)
    return done
