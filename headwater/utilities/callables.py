"""Binding call arguments to parameter names, fast, and validating them by type hint."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any

from headwater.exceptions import ParameterBindError, ParameterTypeError

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def unwrap_method(fn: Any) -> tuple[Any, str | None]:
    """``(function, "classmethod" | "staticmethod" | None)`` for ``@flow``/``@task``
    written above ``@classmethod`` or ``@staticmethod``."""
    if isinstance(fn, classmethod):
        return fn.__func__, "classmethod"
    if isinstance(fn, staticmethod):
        return fn.__func__, "staticmethod"
    return fn, None


def bound_copy(obj: Any, target: Any) -> Any:
    """A copy of a flow or task whose function is bound to ``target`` (an instance or
    a class), with its own binder and options."""
    import copy
    import types

    bound = copy.copy(obj)
    bound.fn = types.MethodType(obj.fn, target)
    bound.binder = Binder(bound.fn)
    bound._options = dict(obj._options)
    return bound


def bind_target(kind: str | None, instance: Any, owner: Any) -> Any:
    """What a flow or task found on a class binds its function to (None: nothing)."""
    if kind == "staticmethod":
        return None
    if kind == "classmethod":
        return owner if owner is not None else type(instance)
    return instance


class Binder:
    """Maps ``(args, kwargs)`` to ``{parameter: value}`` for one function.

    ``inspect.Signature.bind`` costs several microseconds; for the common signature
    (no ``*args``/``**kwargs``/positional-only parameters) a zip is enough.
    """

    __slots__ = ("defaults", "names", "required", "signature", "simple")

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.signature = inspect.signature(fn)
        params = list(self.signature.parameters.values())
        self.names = tuple(p.name for p in params)
        self.simple = all(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in params)
        self.defaults = {
            p.name: p.default for p in params if p.default is not inspect.Parameter.empty
        }
        self.required = tuple(name for name in self.names if name not in self.defaults)

    def bind(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], *, with_defaults: bool = False
    ) -> dict[str, Any]:
        if self.simple and len(args) <= len(self.names):
            bound = dict(zip(self.names, args, strict=False))
            if kwargs:
                for key in kwargs:
                    if key in bound or (key not in self.defaults and key not in self.names):
                        return self._slow_bind(args, kwargs, with_defaults)
                bound.update(kwargs)
            for name in self.required:
                if name not in bound:
                    return self._slow_bind(args, kwargs, with_defaults)
            if with_defaults:
                for key, value in self.defaults.items():
                    bound.setdefault(key, value)
            return bound
        return self._slow_bind(args, kwargs, with_defaults)

    def _slow_bind(
        self, args: tuple[Any, ...], kwargs: dict[str, Any], with_defaults: bool
    ) -> dict[str, Any]:
        bound = self.signature.bind(*args, **kwargs)
        if with_defaults:
            bound.apply_defaults()
        return dict(bound.arguments)

    def call_args(self, parameters: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """``(args, kwargs)`` that call the function with ``parameters``."""
        if self.simple:
            return (), parameters
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for param in self.signature.parameters.values():
            if param.name not in parameters:
                continue
            value = parameters[param.name]
            if param.kind is inspect.Parameter.VAR_POSITIONAL:
                args.extend(value)
            elif param.kind is inspect.Parameter.VAR_KEYWORD:
                kwargs.update(value)
            elif param.kind in _POSITIONAL and not kwargs:
                args.append(value)
            else:
                kwargs[param.name] = value
        return tuple(args), kwargs


def bind_or_explain(
    binder: Binder, args: tuple[Any, ...], kwargs: dict[str, Any], what: str
) -> dict[str, Any]:
    """Bind with defaults; a wrong call becomes a one-line ``ParameterBindError``."""
    try:
        return binder.bind(args, kwargs, with_defaults=True)
    except TypeError as exc:
        raise ParameterBindError(f"{what}: {exc}") from None


_SIMPLE_TYPES: dict[Any, type] = {str: str, int: int, float: float, bool: bool}


class ParameterValidator:
    """Validates and coerces parameters with pydantic, imported only when a value
    is not already of its simple annotated type."""

    def __init__(self, fn: Callable[..., Any], binder: Binder) -> None:
        try:
            hints = typing.get_type_hints(fn, include_extras=True)
        except Exception:  # unresolvable forward references: validate nothing
            hints = {}
        self.hints = {
            name: hint for name, hint in hints.items() if name != "return" and hint is not Any
        }
        self.variadic = {
            p.name
            for p in binder.signature.parameters.values()
            if p.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
        }
        self._adapters: dict[str, Any] = {}

    def validate(self, parameters: dict[str, Any], what: str) -> dict[str, Any]:
        out = parameters
        for name, value in parameters.items():
            hint = self.hints.get(name)
            if hint is None or name in self.variadic:
                continue
            simple = _SIMPLE_TYPES.get(hint)
            if simple is not None and type(value) is simple:
                continue
            if simple is float and type(value) is int:
                continue
            coerced = self._validate_one(name, hint, value, what)
            if coerced is not value:
                if out is parameters:
                    out = dict(parameters)
                out[name] = coerced
        return out

    def _validate_one(self, name: str, hint: Any, value: Any, what: str) -> Any:
        from pydantic import TypeAdapter, ValidationError

        adapter = self._adapters.get(name)
        if adapter is None:
            try:
                adapter = self._adapters[name] = TypeAdapter(hint)
            except Exception:  # a hint pydantic cannot handle: accept the value as is
                return value
        try:
            return adapter.validate_python(value)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = "".join(f"[{loc!r}]" for loc in error["loc"])
            shown = repr(value)
            if len(shown) > 60:
                shown = shown[:57] + "..."
            raise ParameterTypeError(
                f"{what}: parameter {name!r}{where} got {shown}: {error['msg']}"
            ) from None
