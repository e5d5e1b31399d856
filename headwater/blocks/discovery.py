"""Finding block classes: by slug (for documents saved by other processes), by import
path, and in modules or files (``headwater block register -m MODULE | -f FILE``)."""

from __future__ import annotations

import hashlib
import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from headwater.blocks.core import (
    BUILTIN_MODULES,
    FILE_MODULE_PREFIX,
    Block,
    _get_client,
    _is_abstract,
    _is_block_class,
)
from headwater.exceptions import BlockNotFound, UserInputError

if TYPE_CHECKING:
    from headwater.client.protocol import Client


def block_class_for_slug(slug: str, *, client: Client | None = None) -> type[Block]:
    """The block class for a type slug: a class of this process (built-ins included),
    else the one at the import path the store recorded when the type was registered."""
    for module in BUILTIN_MODULES:
        importlib.import_module(module)
    found = [klass for klass in _all_subclasses(Block) if _has_slug(klass, slug)]
    if found:
        builtin = [k for k in found if k.__module__.startswith("headwater.")]
        return (builtin or found)[-1]
    block_type = (client or _get_client()).read_block_type(slug)
    if block_type.import_path:
        try:
            klass = import_block_class(block_type.import_path)
        except UserInputError as exc:
            raise BlockNotFound(
                f"cannot load {slug} blocks: {exc}; import the module that defines the class"
            ) from None
        if _is_block_class(klass):
            return klass
    raise BlockNotFound(
        f"no class for block type {slug!r} in this process; import the module that defines it"
    )


def import_block_class(import_path: str) -> type[Block]:
    """Import ``module:Class`` or ``/path/file.py:Class``."""
    location, _, qualname = import_path.rpartition(":")
    if not location or not qualname:
        raise UserInputError(f"bad block import path {import_path!r}; use module:Class")
    module = load_module_file(location) if location.endswith(".py") else _import(location)
    value: Any = module
    for part in qualname.split("."):
        value = getattr(value, part, None)
    if not _is_block_class(value):
        raise UserInputError(f"{import_path} is not a Block class")
    return value


def _import(module_name: str) -> types.ModuleType:
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        raise UserInputError(f"cannot import {module_name}: {exc}") from None


def load_module_file(path: str) -> types.ModuleType:
    """Import a Python file as a module (once per process per path)."""
    import importlib.util
    from pathlib import Path

    resolved = Path(path).expanduser().resolve()
    if not resolved.is_file():
        raise UserInputError(f"no such file: {path}")
    module_name = FILE_MODULE_PREFIX + hashlib.sha1(str(resolved).encode()).hexdigest()[:12]
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, resolved)
    if spec is None or spec.loader is None:
        raise UserInputError(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[module_name]
        raise UserInputError(f"cannot import {path}: {type(exc).__name__}: {exc}") from None
    return module


def blocks_in_module(module: types.ModuleType) -> list[type[Block]]:
    """The block classes a module defines (not the ones it imports)."""
    found = []
    for value in vars(module).values():
        if (
            _is_block_class(value)
            and value.__module__ == module.__name__
            and not _is_abstract(value)
        ):
            found.append(value)
    return found


def _all_subclasses(klass: type[Block]) -> list[type[Block]]:
    out: list[type[Block]] = []
    for sub in klass.__subclasses__():
        out.append(sub)
        out.extend(_all_subclasses(sub))
    return out


def _has_slug(klass: type[Block], slug: str) -> bool:
    return (
        _is_block_class(klass) and not _is_abstract(klass) and klass.get_block_type_slug() == slug
    )
