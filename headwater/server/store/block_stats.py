"""Counts for the block pages (one aggregate query, not a read of every document)."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from headwater.server.db.tables import block_documents, block_types


def documents_per_type(conn: Connection) -> dict[str, int]:
    """Named (not anonymous) documents saved per block type slug."""
    rows = conn.execute(
        select(block_types.c.slug, func.count(block_documents.c.id))
        .join(block_documents, block_documents.c.block_type_id == block_types.c.id)
        .where(block_documents.c.is_anonymous.is_(False))
        .group_by(block_types.c.slug)
    )
    return {slug: int(count) for slug, count in rows}
