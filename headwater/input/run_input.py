"""``RunInput``: the pydantic model of what a paused run waits for; ``send_input`` /
``receive_input``: keyed values one flow run sends another."""

from __future__ import annotations

import time
from typing import Any, ClassVar
from uuid import UUID

import pydantic

from headwater.exceptions import UserInputError

__all__ = ["AutomaticRunInput", "RunInput", "input_model", "receive_input", "send_input"]


class RunInput(pydantic.BaseModel):
    """Subclass it with the fields a person (or another run) must give a paused run.
    ``description`` (markdown) is shown above the form on the run's page."""

    model_config = pydantic.ConfigDict(extra="forbid")

    description: ClassVar[str | None] = None

    @classmethod
    def with_initial_data(cls, description: str | None = None, **defaults: Any) -> type[RunInput]:
        """A subclass whose fields default to ``defaults`` and that shows
        ``description`` (markdown) above the form."""
        unknown = set(defaults) - set(cls.model_fields)
        if unknown:
            raise UserInputError(
                f"{cls.__name__} has no field {sorted(unknown)[0]!r} "
                f"(its fields: {', '.join(cls.model_fields) or 'none'})"
            )
        fields: dict[str, Any] = {
            name: (cls.model_fields[name].annotation, value) for name, value in defaults.items()
        }
        model: type[RunInput] = pydantic.create_model(cls.__name__, __base__=cls, **fields)
        model.description = description if description is not None else cls.description
        return model

    @classmethod
    def input_schema(cls) -> dict[str, Any]:
        """What the paused run stores for the resume form and the server's check."""
        return {"schema": cls.model_json_schema(), "description": cls.description}


class AutomaticRunInput(RunInput):
    """The model for ``wait_for_input=int`` (any type that is not a ``RunInput``): one
    field, ``value``; the paused run gets the value itself back."""

    value: Any


def input_model(wait_for_input: Any) -> tuple[type[RunInput], bool]:
    """The model for ``wait_for_input`` and whether it is automatic (a plain type)."""
    if isinstance(wait_for_input, type) and issubclass(wait_for_input, RunInput):
        return wait_for_input, False
    try:
        model: type[RunInput] = pydantic.create_model(
            "Input", __base__=AutomaticRunInput, value=(wait_for_input, ...)
        )
    except (pydantic.PydanticSchemaGenerationError, TypeError) as exc:
        raise UserInputError(
            f"wait_for_input must be a RunInput subclass or a type pydantic can check "
            f"(got {wait_for_input!r}: {exc})"
        ) from None
    return model, True


def _client() -> Any:
    from headwater.client import shared_client

    return shared_client()


def _current_run() -> UUID | None:
    from headwater.context import FlowRunContext

    ctx = FlowRunContext.get()
    return ctx.flow_run_id if ctx is not None else None


def send_input(
    run_input: Any, flow_run_id: UUID | str, sender: str | None = None, key_prefix: str = "input"
) -> str:
    """Send a value (a ``RunInput`` or anything JSON) to another flow run; the key it
    is stored under (``{key_prefix}-{time}``: receivers read them in order)."""
    target = flow_run_id if isinstance(flow_run_id, UUID) else UUID(str(flow_run_id))
    if isinstance(run_input, pydantic.BaseModel):
        value = run_input.model_dump(mode="json")
    else:
        value = {"value": run_input}
    if sender is None:
        current = _current_run()
        sender = f"flow-run/{current}" if current is not None else None
    key = f"{key_prefix}-{time.time_ns():020d}"
    _client().create_flow_run_input(target, key, value, sender)
    return key


def receive_input(
    input_type: Any,
    *,
    timeout: float | None = 3600,
    poll_interval: float = 1.0,
    key_prefix: str = "input",
    flow_run_id: UUID | str | None = None,
) -> Any:
    """The next value sent to this flow run (or ``flow_run_id``) under ``key_prefix``,
    validated as ``input_type``; it is consumed (deleted) once read.  ``TimeoutError``
    after ``timeout`` seconds."""
    run = flow_run_id if flow_run_id is not None else _current_run()
    if run is None:
        raise UserInputError(
            "receive_input() needs a flow run: call it in a flow or give flow_run_id"
        )
    run_id = run if isinstance(run, UUID) else UUID(str(run))
    model, automatic = input_model(input_type)
    client = _client()
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        found = client.read_flow_run_inputs(run_id, key_prefix)
        if found:
            key, value = found[0]
            client.delete_flow_run_input(run_id, key)
            instance = model.model_validate(value)
            return instance.value if automatic else instance  # type: ignore[attr-defined]
        if deadline is not None and time.monotonic() >= deadline:
            raise TimeoutError(f"no input {key_prefix!r} arrived within {timeout} s")
        time.sleep(poll_interval)
