"""``SqlAlchemyConnector``: a database connection saved as a block.

The same names as ``prefect_sqlalchemy.SqlAlchemyConnector`` so ported code keeps
working: ``get_engine()``, ``get_connection(begin=)``, ``fetch_one/fetch_many/
fetch_all``, ``execute``/``execute_many``.  Repeated fetches with the same operation
and parameters continue through one result set (``reset_connections()`` starts
over).  The whole ``connection_info`` is a secret: a URL usually carries a password.
SQLAlchemy is imported when the block is used, not when it is imported.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr

from headwater.blocks.core import Block
from headwater.exceptions import UserInputError

if TYPE_CHECKING:
    from sqlalchemy import URL, Connection, CursorResult, Engine


class ConnectionComponents(BaseModel):
    """A database URL in parts: ``driver://username:password@host:port/database?query``."""

    model_config = ConfigDict(extra="forbid")

    driver: str = Field(description="e.g. postgresql+psycopg, sqlite, mysql+pymysql")
    database: str | None = Field(default=None, description="Database name (or SQLite file).")
    username: str | None = None
    password: SecretStr | None = None
    host: str | None = None
    port: int | None = None
    query: dict[str, str] | None = Field(default=None, description="Driver URL options.")

    def create_url(self) -> URL:
        from sqlalchemy import URL

        return URL.create(
            drivername=self.driver,
            username=self.username,
            password=self.password.get_secret_value() if self.password else None,
            host=self.host,
            port=self.port,
            database=self.database,
            query=self.query or {},
        )


class SqlAlchemyConnector(Block):
    """A connection to a SQL database through SQLAlchemy, with fetch and execute helpers."""

    _block_type_slug = "sqlalchemy-connector"
    _block_type_name = "SQLAlchemy Connector"
    _documentation_url = "https://docs.sqlalchemy.org/en/20/core/engines.html"

    connection_info: ConnectionComponents | SecretStr = Field(
        description="A SQLAlchemy URL, or its parts (driver, host, port, username, password, "
        "database)."
    )
    connect_args: dict[str, Any] | None = Field(
        default=None, description="Extra arguments for the driver's connect()."
    )
    fetch_size: int = Field(default=1, ge=1, description="Rows per fetch_many by default.")

    _engine: Any = PrivateAttr(default=None)
    _fetch_connection: Any = PrivateAttr(default=None)
    _results: dict[str, Any] = PrivateAttr(default_factory=dict)

    # -- connections ----------------------------------------------------------------------
    def url(self) -> URL:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        info = self.connection_info
        if isinstance(info, ConnectionComponents):
            return info.create_url()
        try:
            return make_url(info.get_secret_value())
        except ArgumentError:
            raise UserInputError(
                "connection_info is not a SQLAlchemy URL (e.g. postgresql+psycopg://user@host/db)"
            ) from None

    def get_engine(self, **create_engine_kwargs: Any) -> Engine:
        """The block's engine (created on first use and kept until ``close()``)."""
        if self._engine is None or create_engine_kwargs:
            from sqlalchemy import create_engine

            if self.connect_args:
                create_engine_kwargs.setdefault("connect_args", self.connect_args)
            engine = create_engine(self.url(), **create_engine_kwargs)
            if create_engine_kwargs:
                return engine
            self._engine = engine
        return self._engine

    def get_connection(self, begin: bool = True, **connect_kwargs: Any) -> Any:
        """``with connector.get_connection() as conn:``: in a transaction committed at the
        end of the block (``begin=True``), or a plain connection (``begin=False``)."""
        engine = self.get_engine()
        return engine.begin() if begin else engine.connect(**connect_kwargs)

    # -- statements -----------------------------------------------------------------------
    def execute(
        self,
        operation: str,
        parameters: Mapping[str, Any] | None = None,
        **execution_options: Any,
    ) -> CursorResult[Any]:
        """Run one statement in its own transaction (committed)."""
        from sqlalchemy import text

        with self.get_engine().begin() as conn:
            return conn.execute(
                text(operation), dict(parameters or {}), execution_options=execution_options
            )

    def execute_many(
        self,
        operation: str,
        seq_of_parameters: Iterable[Mapping[str, Any]],
        **execution_options: Any,
    ) -> CursorResult[Any]:
        """Run one statement for each set of parameters, in one transaction."""
        from sqlalchemy import text

        rows = [dict(p) for p in seq_of_parameters]
        with self.get_engine().begin() as conn:
            return conn.execute(text(operation), rows, execution_options=execution_options)

    def fetch_one(
        self,
        operation: str,
        parameters: Mapping[str, Any] | None = None,
        **execution_options: Any,
    ) -> Any:
        """The next row of the operation's result (``None`` when there are no more)."""
        return self._result(operation, parameters, execution_options).fetchone()

    def fetch_many(
        self,
        operation: str,
        parameters: Mapping[str, Any] | None = None,
        size: int | None = None,
        **execution_options: Any,
    ) -> list[Any]:
        """The next ``size`` rows (default ``fetch_size``)."""
        result = self._result(operation, parameters, execution_options)
        return list(result.fetchmany(size or self.fetch_size))

    def fetch_all(
        self,
        operation: str,
        parameters: Mapping[str, Any] | None = None,
        **execution_options: Any,
    ) -> list[Any]:
        """Every remaining row."""
        return list(self._result(operation, parameters, execution_options).fetchall())

    def _result(
        self, operation: str, parameters: Mapping[str, Any] | None, options: dict[str, Any]
    ) -> Any:
        from sqlalchemy import text

        key = json.dumps([operation, parameters or {}, options], sort_keys=True, default=str)
        result = self._results.get(key)
        if result is None:
            if self._fetch_connection is None:
                self._fetch_connection = self.get_engine().connect()
            result = self._fetch_connection.execute(
                text(operation), dict(parameters or {}), execution_options=options
            )
            self._results[key] = result
        return result

    def reset_connections(self) -> None:
        """Forget open result sets and close the connection they use."""
        for result in self._results.values():
            result.close()
        self._results.clear()
        connection: Connection | None = self._fetch_connection
        if connection is not None:
            connection.rollback()
            connection.close()
            self._fetch_connection = None

    def close(self) -> None:
        """Close connections and dispose of the engine."""
        self.reset_connections()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def __enter__(self) -> SqlAlchemyConnector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
