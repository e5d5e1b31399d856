"""``Variable``: named JSON values shared by flows, changed without a deployment.

``Variable.set(name, value, tags=, overwrite=)``, ``Variable.get(name, default=)`` and
``Variable.unset(name)``, as in Prefect 3 (``prefect.variables``).  Like the block
methods, they return an awaitable inside async flows and tasks (``await
Variable.get("x")``); ``aget``/``aset``/``aunset`` are the explicit async forms.
Names are 1-255 characters of ``a-z 0-9 _ -``; values are JSON of at most 5,000
characters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from headwater.asyncdispatch import async_dispatch, run_in_thread
from headwater.exceptions import UserInputError
from headwater.schemas.variables import VariableRead

if TYPE_CHECKING:
    from headwater.client.protocol import Client


class InvalidVariable(UserInputError, ValueError):
    """A variable name or value outside the bounds."""


class Variable(VariableRead):
    """A saved variable: ``name``, ``value`` (JSON), ``tags``."""

    @classmethod
    def _set(
        cls,
        name: str,
        value: Any,
        tags: list[str] | None = None,
        overwrite: bool = False,
        client: Client | None = None,
    ) -> Variable:
        from pydantic import ValidationError

        from headwater.schemas.variables import VariableCreate
        from headwater.utilities.validation import describe_errors

        try:
            create = VariableCreate(name=name, value=value, tags=tags)
        except ValidationError as exc:
            raise InvalidVariable(describe_errors(exc)) from None
        saved = (client or _client()).set_variable(create, overwrite=overwrite)
        return cls.model_validate(saved.model_dump())

    @classmethod
    @async_dispatch
    def set(
        cls,
        name: str,
        value: Any,
        tags: list[str] | None = None,
        overwrite: bool = False,
        client: Client | None = None,
    ) -> Variable:
        """Create ``name`` (``overwrite=True`` to change an existing one)."""
        return cls._set(name, value, tags=tags, overwrite=overwrite, client=client)

    @classmethod
    async def aset(
        cls,
        name: str,
        value: Any,
        tags: list[str] | None = None,
        overwrite: bool = False,
        client: Client | None = None,
    ) -> Variable:
        return await run_in_thread(
            cls._set, name, value, tags=tags, overwrite=overwrite, client=client
        )

    @classmethod
    def _get(cls, name: str, default: Any = None, client: Client | None = None) -> Any:
        found = (client or _client()).read_variable(name)
        return default if found is None else found.value

    @classmethod
    @async_dispatch
    def get(cls, name: str, default: Any = None, client: Client | None = None) -> Any:
        """The value of ``name``, or ``default`` when there is no such variable."""
        return cls._get(name, default, client=client)

    @classmethod
    async def aget(cls, name: str, default: Any = None, client: Client | None = None) -> Any:
        return await run_in_thread(cls._get, name, default, client=client)

    @classmethod
    def _unset(cls, name: str, client: Client | None = None) -> bool:
        return (client or _client()).delete_variable(name)

    @classmethod
    @async_dispatch
    def unset(cls, name: str, client: Client | None = None) -> bool:
        """Delete ``name``; False when there was no such variable."""
        return cls._unset(name, client=client)

    @classmethod
    async def aunset(cls, name: str, client: Client | None = None) -> bool:
        return await run_in_thread(cls._unset, name, client=client)


def _client() -> Client:
    from headwater.client import shared_client

    return shared_client()
