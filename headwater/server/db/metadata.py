"""The ``MetaData`` every table of the store belongs to (``tables.py``,
``tables_events.py``)."""

from __future__ import annotations

from sqlalchemy import MetaData

# Constraint names are explicit so migrations can refer to them on every database.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s__%(column_0_N_name)s",
        "uq": "uq_%(table_name)s__%(column_0_N_name)s",
        "fk": "fk_%(table_name)s__%(column_0_name)s__%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
