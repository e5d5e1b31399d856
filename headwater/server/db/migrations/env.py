"""Alembic environment: runs on the connection Headwater passes in ``config.attributes``."""

from __future__ import annotations

from alembic import context

from headwater.server.db.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - Headwater always passes one
    raise RuntimeError("run migrations through headwater.server.db.migrate")

context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things; batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
