"""Bulk writes without SQLAlchemy's per-row work (the batching writer's hot path).

SQLAlchemy compiles the statement once per database kind; rows are then converted
by a few precomputed functions (UUID → bytes and booleans → 0/1 on SQLite, JSON →
text) and handed to the driver's ``executemany``.  A row is a dict, or with
``attributes=True`` an object whose attributes are the columns (the engine's
``TaskRunRecord``).  For 1,000-row batches this costs about a third of
``conn.execute(insert(...), rows)``, which re-processes every parameter of every row.

On PostgreSQL, ``recordset_insert`` goes further (events, logs, task runs): the rows
travel as one JSON document unpacked by ``jsonb_to_recordset`` in a single statement
(one encode in Rust, one round trip; psycopg's ``executemany`` sends a statement per
row and dumps every parameter in Python).  ``benchmarks/pg_batch_writes.py`` compares
the two.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Boolean, Connection, Table
from sqlalchemy.sql.dml import Insert

from headwater.server.db.types import JSONType, UUIDType

_dumps = json.JSONEncoder(separators=(",", ":"), default=str).encode
# ``JSONEncoder.encode`` makes a new C encoder on every call (most of its cost for a
# short list).  A list of strings (a transaction's task runs) cannot hold a cycle, so
# one encoder made once, without the cycle check, writes it: the same text, a third
# of the time.
_strings_encoder = getattr(json.encoder, "c_make_encoder", None)
_encode_strings = (
    None
    if _strings_encoder is None
    else _strings_encoder(
        None, str, json.encoder.encode_basestring_ascii, None, ":", ",", False, False, True
    )
)


def _json_text(value: Any) -> Any:
    if value is None:
        return None
    if not value:
        return "[]" if isinstance(value, list) else "{}"
    if type(value) is list and _encode_strings is not None:
        for item in value:
            if type(item) is not str:
                return _dumps(value)
        return "".join(_encode_strings(value, 0))
    return _dumps(value)


def _uuid_bytes(value: Any) -> Any:
    return value.bytes if value is not None else None


def _bool_int(value: Any) -> Any:
    """SQLite stores booleans as 0/1; the driver looks for an adapter for every
    ``bool`` it is handed (about half a microsecond each), an ``int`` it binds at once."""
    return value if value is None else (1 if value else 0)


class BulkStatement:
    """One compiled statement and how to turn a row dict into driver parameters."""

    def __init__(
        self, conn: Connection, table: Table, statement: Insert, *, attributes: bool = False
    ) -> None:
        compiled = statement.compile(dialect=conn.dialect, column_keys=list(table.c.keys()))
        self.sql = compiled.string
        sqlite = conn.dialect.name == "sqlite"
        converters: dict[str, Callable[[Any], Any] | None] = {}
        for column in table.c:
            converter: Callable[[Any], Any] | None = None
            if isinstance(column.type, UUIDType) and sqlite:
                converter = _uuid_bytes
            elif isinstance(column.type, Boolean) and sqlite:
                converter = _bool_int
            elif isinstance(column.type, JSONType):
                converter = _json_text
            converters[column.key] = converter
        order = compiled.positiontup
        if attributes:
            self.convert = _attribute_converter(order or list(converters), converters, order)
            return
        if order is not None:
            # All values fetched in C, then only the few columns that need it converted.
            getter = operator.itemgetter(*order)
            fixes = [(i, converters[key]) for i, key in enumerate(order) if converters[key]]

            def convert(row: dict[str, Any]) -> Any:
                values = list(getter(row))
                for i, fix in fixes:
                    values[i] = fix(values[i])  # type: ignore[misc]
                return tuple(values)
        else:
            items = list(converters.items())

            def convert(row: dict[str, Any]) -> Any:
                return {k: row[k] if c is None else c(row[k]) for k, c in items}

        self.convert = convert

    def execute(self, conn: Connection, rows: Sequence[Any]) -> None:
        if rows:
            conn.exec_driver_sql(self.sql, [self.convert(row) for row in rows])

    def execute_one(self, conn: Connection, row: dict[str, Any]) -> int:
        """Insert one row; the number of rows inserted (0 when a conflict skipped it)."""
        return conn.exec_driver_sql(self.sql, self.convert(row)).rowcount


def _attribute_converter(
    keys: Sequence[str],
    converters: dict[str, Callable[[Any], Any] | None],
    order: Sequence[str] | None,
) -> Callable[[Any], Any]:
    """``row -> parameters`` for rows whose attributes are the columns, as one small
    generated function: ``(row.id, _json(row.tags), ...)`` (a tuple in ``order``) or a
    dict by name.  Plain attribute reads in a function are what the interpreter makes
    fastest on a slotted object, about twice the speed of ``attrgetter``."""
    namespace: dict[str, Any] = {}
    parts = []
    for i, key in enumerate(keys):
        if not key.isidentifier():
            raise ValueError(f"column {key!r} cannot be read as an attribute")
        value = f"row.{key}"
        if converters[key] is not None:
            namespace[f"_fix{i}"] = converters[key]
            value = f"_fix{i}({value})"
        parts.append(value if order is not None else f"{key!r}: {value}")
    body = f"({', '.join(parts)},)" if order is not None else f"{{{', '.join(parts)}}}"
    exec(f"def convert(row):\n    return {body}\n", namespace)
    return namespace["convert"]


class RecordsetInsert:
    """PostgreSQL: ``INSERT INTO t (...) SELECT ... FROM jsonb_to_recordset(%s::jsonb)``
    with ``suffix`` (e.g. ``ON CONFLICT DO NOTHING``); rows are dicts by column key.

    An ``ON CONFLICT ... DO UPDATE`` may not touch a row twice in one statement: rows
    sharing an ``id`` then go in successive statements (the first of each id, then the
    second, ...), which gives what one statement per row in their order gave."""

    def __init__(self, conn: Connection, table: Table, suffix: str) -> None:
        quote = conn.dialect.identifier_preparer.quote
        names = ", ".join(quote(c.name) for c in table.c)
        types = ", ".join(
            f"{quote(c.name)} {c.type.compile(dialect=conn.dialect)}" for c in table.c
        )
        self.keys = [c.key for c in table.c]
        self.sql = (
            f"INSERT INTO {conn.dialect.identifier_preparer.format_table(table)} ({names}) "
            f"SELECT {names} FROM jsonb_to_recordset(%s::jsonb) AS t({types}) {suffix}"
        )

        self.updates = "DO UPDATE" in suffix.upper()

    def execute(self, conn: Connection, rows: Sequence[Any]) -> None:
        """Insert ``rows`` (mappings by column key)."""
        if not rows:
            return
        for part in _by_occurrence(rows) if self.updates else (rows,):
            conn.exec_driver_sql(self.sql, (_json_document(part),))


def _by_occurrence(rows: Sequence[Any]) -> list[Sequence[Any]]:
    """``rows`` split so that no ``id`` appears twice in a part: the first row of each
    id, then the second, ... (one part, ``rows`` itself, when the ids are distinct)."""
    counts: dict[Any, int] = {}
    parts: list[list[Any]] = []
    for row in rows:
        n = counts.get(row["id"], 0)
        counts[row["id"]] = n + 1
        if n == len(parts):
            parts.append([])
        parts[n].append(row)
    return [rows] if len(parts) == 1 else list(parts)


def conflict_clause(conn: Connection, statement: Insert) -> str:
    """The ``ON CONFLICT ...`` clause of ``statement`` as PostgreSQL reads it, for a
    ``RecordsetInsert`` (the clause must hold literals only, no parameters)."""
    compiled = statement.compile(dialect=conn.dialect)
    at = compiled.string.find(" ON CONFLICT ")
    clause = compiled.string[at + 1 :]
    if at < 0 or "%(" in clause:
        raise ValueError(f"no ON CONFLICT clause without parameters in {compiled.string!r}")
    return clause


def _json_document(rows: Sequence[Any]) -> str:
    from pydantic_core import to_json

    try:
        return to_json(rows, fallback=str).decode()
    except ValueError:  # a lone surrogate: escaped, for the database to refuse (a 422)
        return json.dumps(rows, separators=(",", ":"), default=str)


_recordsets: dict[str, RecordsetInsert] = {}


def recordset_insert(
    conn: Connection, name: str, table: Table, suffix: str | Callable[[], str]
) -> RecordsetInsert:
    """The cached ``RecordsetInsert`` called ``name`` (PostgreSQL only; ``suffix`` may
    be a function, called once, that gives it)."""
    statement = _recordsets.get(name)
    if statement is None:
        text = suffix if isinstance(suffix, str) else suffix()
        statement = _recordsets[name] = RecordsetInsert(conn, table, text)
    return statement


_cache: dict[tuple[str, str], BulkStatement] = {}


def bulk_statement(
    conn: Connection,
    name: str,
    build: Callable[[], tuple[Table, Insert]],
    *,
    attributes: bool = False,
) -> BulkStatement:
    """The cached ``BulkStatement`` called ``name`` for this connection's database
    (``attributes``: rows are objects, not dicts)."""
    key = (name, conn.dialect.name)
    statement = _cache.get(key)
    if statement is None:
        table, insert = build()
        statement = _cache[key] = BulkStatement(conn, table, insert, attributes=attributes)
    return statement
