"""Keeping Headwater's own frames out of the tracebacks users read.

User errors (``UserInputError``: a bad parameter, option or setting) that reach the
top of a script print as one line; the failures of the user's code are re-raised
with the engine's frames between the user's call and the user's code removed.
"""

from __future__ import annotations

import itertools
import os
import sys
from types import TracebackType
from typing import Any, NoReturn

from headwater.exceptions import UserInputError

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_installed = False


def trim_engine_frames(tb: TracebackType | None) -> TracebackType | None:
    kept: list[TracebackType] = []
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(_PACKAGE_DIR):
            kept.append(tb)
        tb = tb.tb_next
    for current, following in itertools.pairwise(kept):
        current.tb_next = following
    if not kept:
        return None
    kept[-1].tb_next = None
    return kept[0]


def reraise_trimmed(exc: BaseException) -> NoReturn:
    install_excepthook()
    raise exc.with_traceback(trim_engine_frames(exc.__traceback__))


def _excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> Any:
    if isinstance(exc, UserInputError):
        sys.stderr.write(f"headwater: error: {exc}\n")
        return None
    return _previous_hook(kind, exc, tb)


_previous_hook = sys.excepthook


def install_excepthook() -> None:
    """Print uncaught user errors as one line (other exceptions are untouched)."""
    global _installed, _previous_hook
    if _installed:
        return
    _previous_hook = sys.excepthook
    sys.excepthook = _excepthook
    _installed = True
