"""Keeping Headwater's own frames out of the tracebacks users read.

User errors (``UserInputError``: a bad parameter, option or setting, a block saved
twice) that reach the top of a script print as one line; the failures of the user's
code are re-raised with the engine's frames between the user's call and the user's
code removed.  A traceback the console log already printed (a failed task run's) is
not printed again: the run's later log lines and the script's last line refer to it.
The hook is installed by ``import headwater``, so scripts that use only blocks or
variables get it too.
"""

from __future__ import annotations

import itertools
import os
import sys
import traceback
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


_SHOWN = "__headwater_traceback_shown__"


def mark_shown(exc: BaseException) -> None:
    """Remember that ``exc``'s traceback was printed on the console."""
    try:
        setattr(exc, _SHOWN, True)
    except (AttributeError, TypeError):  # an exception type without a __dict__
        pass


def was_shown(exc: BaseException) -> bool:
    return getattr(exc, _SHOWN, False) is True


def _excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> Any:
    if isinstance(exc, UserInputError):
        sys.stderr.write(f"headwater: error: {exc}\n")
        return None
    if was_shown(exc):
        summary = "".join(traceback.format_exception_only(kind, exc)).rstrip()
        sys.stderr.write(f"{summary}\n(the traceback is in the log above)\n")
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
