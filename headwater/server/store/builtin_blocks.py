"""Registering the built-in block types (Secret, JSON, String, webhooks, SQL, file
systems, shell) in a store, so a fresh server's block catalogue is not empty.

The same registration as ``Block.register_type_and_schema`` (what ``headwater block
register`` and a block's first save do), applied to the store directly: the type is
upserted by slug and its schema added once per checksum, so calling this at every
start is cheap and changes nothing when the classes have not changed.
"""

from __future__ import annotations

import importlib
import logging

from sqlalchemy import Connection

from headwater.exceptions import HeadwaterError

logger = logging.getLogger("headwater.server")


def register_builtin_block_types(conn: Connection) -> list[str]:
    """Register every built-in block type (and its schema); the slugs registered."""
    from headwater.blocks.core import BUILTIN_MODULES, _with_nested_classes
    from headwater.blocks.discovery import blocks_in_module
    from headwater.server.store.blocks import register_block_type

    done: list[str] = []
    for module_name in BUILTIN_MODULES:
        for klass in blocks_in_module(importlib.import_module(module_name)):
            for each in _with_nested_classes(klass):
                slug = each.get_block_type_slug()
                if slug in done:
                    continue
                try:
                    register_block_type(
                        conn,
                        block_type=each._to_block_type_create(),
                        block_schema=each._to_block_schema_create(),
                    )
                except HeadwaterError as exc:  # e.g. the slug was taken by another class
                    logger.warning("built-in block type %s not registered: %s", slug, exc)
                    continue
                done.append(slug)
    return done
