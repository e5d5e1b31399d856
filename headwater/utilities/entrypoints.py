"""Entrypoints: how a function is found again by another process (``flow-run retry``,
``python -m headwater.engine RUN_ID``); ``headwater.flows.load_flow`` checks that what
an entrypoint names is a flow.

A flow defined in an importable module is ``package.module:function``; one defined
in a script (``__main__``) is ``/absolute/path/script.py:function``.  A script is
loaded under the module name ``__hw_script__<stem>`` so its ``if __name__ ==
"__main__":`` block does not run; ``stable_module_name`` maps both spellings to the
same name so task keys match between the original run and the retry.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import os
import sys
from pathlib import Path
from typing import Any

from headwater.exceptions import UserInputError

SCRIPT_PREFIX = "__hw_script__"


class EntrypointError(UserInputError):
    """A flow's entrypoint that cannot be loaded."""


def stable_module_name(module: str) -> str:
    """The same name for a script run directly and the script loaded by path."""
    if module == "__main__":
        file = getattr(sys.modules.get("__main__"), "__file__", None)
        return Path(file).stem if file else module
    if module.startswith(SCRIPT_PREFIX):
        return module[len(SCRIPT_PREFIX) :]
    return module


def entrypoint_of(fn: Any) -> str | None:
    qualname = getattr(fn, "__qualname__", None)
    module = getattr(fn, "__module__", None)
    if not qualname or not module or "<" in qualname:
        return None  # a lambda or a function defined inside another function
    if module == "__main__" or module.startswith(SCRIPT_PREFIX):
        try:
            path = inspect.getsourcefile(fn)
        except TypeError:
            return None
        if not path or not os.path.exists(path):
            return None  # a notebook or an interactive session
        return f"{os.path.abspath(path)}:{qualname}"
    return f"{module}:{qualname}"


def load_object(entrypoint: str) -> Any:
    """The object an entrypoint names; ``EntrypointError`` in one line otherwise."""
    where, sep, qualname = entrypoint.rpartition(":")
    if not sep or not where or not qualname:
        raise EntrypointError(
            f"invalid entrypoint {entrypoint!r}; expected 'path/file.py:function' or "
            "'module:function'"
        )
    if where.endswith(".py") or os.sep in where:
        module = _load_script(where, entrypoint)
    else:
        if os.getcwd() not in sys.path:
            sys.path.insert(0, os.getcwd())
        try:
            module = importlib.import_module(where)
        except Exception as exc:
            raise EntrypointError(
                f"cannot import {where!r} for entrypoint {entrypoint!r}: {exc!r}"
            ) from None
    obj: Any = module
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise EntrypointError(f"entrypoint {entrypoint!r}: {qualname!r} not found")
    return obj


def load_script(path: str) -> Any:
    """The module a Python file defines, run once (``EntrypointError`` in one line)."""
    return _load_script(path, path)


def _load_script(path: str, entrypoint: str) -> Any:
    file = Path(path)
    if not file.is_file():
        raise EntrypointError(f"entrypoint {entrypoint!r}: the file {path} does not exist")
    name = SCRIPT_PREFIX + file.stem
    loaded = sys.modules.get(name)
    if loaded is not None and getattr(loaded, "__file__", None) == str(file):
        return loaded
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise EntrypointError(f"entrypoint {entrypoint!r}: cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    directory = str(file.parent.resolve())  # "." would follow later chdirs
    if directory not in sys.path:
        sys.path.insert(0, directory)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise EntrypointError(
            f"loading {path} for entrypoint {entrypoint!r} failed: {exc!r}"
        ) from None
    return module
