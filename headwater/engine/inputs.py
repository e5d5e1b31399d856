"""Resolving a task's inputs: futures and states become values, lineage is noted.

Futures are looked for in the arguments and inside lists, tuples, sets, dicts,
dataclass instances and pydantic models (recursively); a container is only rebuilt
when something inside it changed (a dataclass with ``dataclasses.replace``, a model
with ``model_copy``).  ``quote`` stops the search; ``opaque`` resolves a future or
state it wraps but does not look inside the value.
Plain values are matched (by identity) against results of earlier task runs in the
flow run, so direct calls get lineage too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from headwater.futures import HeadwaterFuture
from headwater.states import State, StateType
from headwater.utilities.annotations import allow_failure, opaque, quote

if TYPE_CHECKING:
    from headwater.context import FlowRunContext

_CONTAINERS = (list, tuple, set, frozenset, dict)
_SPECIAL = (HeadwaterFuture, State, allow_failure, quote, opaque, *_CONTAINERS)
#: Types never worth looking into (the common arguments: checked first, cheaply).
_ATOMIC = frozenset({int, float, str, bytes, bool, type(None), complex})


#: Per type: the names of its fields if it is a dataclass or a pydantic model, else
#: None (decided once per type, so a plain object argument costs one dict lookup).
_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}


def _field_names(kind: type) -> tuple[str, ...] | None:
    dataclass_fields = getattr(kind, "__dataclass_fields__", None)
    if dataclass_fields is not None:
        return tuple(
            name
            for name, field in dataclass_fields.items()
            if field.init and field._field_type is dataclasses._FIELD  # type: ignore[attr-defined]
        )
    model_fields = getattr(kind, "__pydantic_fields__", None)
    if model_fields is not None and hasattr(kind, "model_copy"):
        return tuple(model_fields)
    return None


def _fields_of(value: Any) -> dict[str, Any] | None:
    """The fields of a dataclass instance or a pydantic model; None for anything else."""
    kind = type(value)
    if kind in _ATOMIC:
        return None
    try:
        names = _FIELD_NAMES[kind]
    except KeyError:
        names = _FIELD_NAMES[kind] = _field_names(kind)
    except TypeError:  # an unhashable type object: look every time
        names = _field_names(kind)
    if not names:
        return None
    return {name: getattr(value, name) for name in names}


def _replace_fields(value: Any, changed: dict[str, Any]) -> Any:
    if dataclasses.is_dataclass(value):
        return dataclasses.replace(value, **changed)  # type: ignore[type-var]
    return value.model_copy(update=changed)


class Resolution:
    """The outcome of resolving one call's inputs."""

    __slots__ = ("args", "failed_upstream", "kwargs", "lineage")

    def __init__(self) -> None:
        self.args: tuple[Any, ...] = ()
        self.kwargs: dict[str, Any] = {}
        self.lineage: dict[str, list[str]] = {}
        self.failed_upstream: str | None = None


def find_futures(args: tuple[Any, ...], kwargs: dict[str, Any], wait_for: Any) -> list[Any]:
    """Every future the call depends on (to schedule it once they are done)."""
    found: list[HeadwaterFuture[Any]] = []
    for value in args:
        _collect(value, found)
    for value in kwargs.values():
        _collect(value, found)
    if wait_for:
        for value in _as_list(wait_for):
            _collect(value, found)
    return found


def _collect(value: Any, found: list[HeadwaterFuture[Any]]) -> None:
    if not isinstance(value, _SPECIAL):
        if type(value) in _ATOMIC:
            return
        fields = _fields_of(value)
        if fields:
            for item in fields.values():
                _collect(item, found)
        return
    if isinstance(value, HeadwaterFuture):
        found.append(value)
    elif isinstance(value, allow_failure):
        _collect(value.value, found)
    elif isinstance(value, opaque):
        if isinstance(value.value, HeadwaterFuture):
            found.append(value.value)
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, _CONTAINERS):
        for item in value:
            _collect(item, found)


def _as_list(wait_for: Any) -> Iterable[Any]:
    if isinstance(wait_for, (list, tuple, set, frozenset)):
        return wait_for
    return [wait_for]


def resolve_inputs(
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    wait_for: Any,
    names: tuple[str, ...],
    flow_ctx: FlowRunContext | None,
) -> Resolution:
    """Wait for upstream futures and replace them (and states) by their results."""
    out = Resolution()
    new_args: list[Any] | None = None
    for index, value in enumerate(args):
        key = names[index] if index < len(names) else f"args[{index}]"
        resolved = _resolve(value, key, out, False)
        if resolved is not value:
            if new_args is None:
                new_args = list(args)
            new_args[index] = resolved
        elif flow_ctx is not None:
            _note_producer(value, key, out, flow_ctx)
    out.args = tuple(new_args) if new_args is not None else args
    new_kwargs: dict[str, Any] | None = None
    for key, value in kwargs.items():
        resolved = _resolve(value, key, out, False)
        if resolved is not value:
            if new_kwargs is None:
                new_kwargs = dict(kwargs)
            new_kwargs[key] = resolved
        elif flow_ctx is not None:
            _note_producer(value, key, out, flow_ctx)
    out.kwargs = new_kwargs if new_kwargs is not None else kwargs
    if wait_for:
        for value in _as_list(wait_for):
            _resolve(value, "__wait_for__", out, False)
    return out


def _note_producer(value: Any, key: str, out: Resolution, flow_ctx: FlowRunContext) -> None:
    producer = flow_ctx.producer_of(value)
    if producer is not None:
        out.lineage.setdefault(key, []).append(producer)


def _resolve(value: Any, key: str, out: Resolution, allowed: bool) -> Any:
    if not isinstance(value, _SPECIAL):
        if type(value) in _ATOMIC:  # the common case: no call at all
            return value
        fields = _fields_of(value)
        if not fields:
            return value
        updates = {}
        for name, item in fields.items():
            resolved = _resolve(item, key, out, allowed)
            if resolved is not item:
                updates[name] = resolved
        return _replace_fields(value, updates) if updates else value
    if isinstance(value, HeadwaterFuture):
        out.lineage.setdefault(key, []).append(str(value.task_run_id))
        label = f"upstream task run {value._record.name!r}"
        return _state_value(value.wait_state(), out, allowed, label)
    if isinstance(value, State):
        task_run_id = value.state_details.task_run_id
        if task_run_id is not None:
            out.lineage.setdefault(key, []).append(str(task_run_id))
        return _state_value(value, out, allowed, "an upstream state")
    if isinstance(value, allow_failure):
        return _resolve(value.value, key, out, True)
    if isinstance(value, quote):
        return value.value
    if isinstance(value, opaque):
        inner = value.value
        if isinstance(inner, (HeadwaterFuture, State)):
            return _resolve(inner, key, out, allowed)
        return inner
    if isinstance(value, dict):
        changed = False
        items = {}
        for item_key, item in value.items():
            resolved = _resolve(item, key, out, allowed)
            changed = changed or resolved is not item
            items[item_key] = resolved
        return _rebuild(value, items) if changed else value
    items_list = []
    changed = False
    for item in value:
        resolved = _resolve(item, key, out, allowed)
        changed = changed or resolved is not item
        items_list.append(resolved)
    return _rebuild(value, items_list) if changed else value


def _rebuild(original: Any, items: Any) -> Any:
    kind = type(original)
    if kind in (list, tuple, set, frozenset, dict):
        return kind(items)
    if isinstance(original, tuple) and hasattr(original, "_fields"):  # namedtuple
        return kind(*items)
    try:
        return kind(items)
    except Exception:
        return type(items)(items)


def _state_value(state: State, out: Resolution, allowed: bool, label: str) -> Any:
    if state.type is StateType.COMPLETED:
        return state.result()
    if allowed:
        return state.result(raise_on_failure=False) if state.is_final() else None
    if out.failed_upstream is None:
        out.failed_upstream = f"{label} ended {state.name}" + (
            f": {state.message}" if state.message else ""
        )
    return None
