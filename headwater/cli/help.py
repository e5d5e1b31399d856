"""Plain value names in ``--help``: ``TEXT``, ``INTEGER``, ``FLOW_RUN_ID``, not Typer's
``<list[str]>``, ``<bool>`` or ``{flow_run_id}`` placeholders.

Typer (0.2x) prints a parameter's Python type where click printed a value name; a
parameter with a ``metavar`` prints that instead, so every parameter that declares
none gets one here, once, before the command runs.
"""

from __future__ import annotations

from typing import Any

#: Typer's type labels and the value names shown instead (flags show none).
_NAMES = {
    "str": "TEXT",
    "int": "INTEGER",
    "int range": "INTEGER",
    "float": "FLOAT",
    "float range": "FLOAT",
    "bool": "",
    "datetime": "DATETIME",
    "path": "PATH",
    "uuid": "UUID",
    "UUID": "UUID",
}


def plain_metavars(command: Any) -> Any:
    """Give every parameter of ``command`` (a Typer click command) and of its
    subcommands a plain metavar where it declared none; returns ``command``."""
    for param in command.params:
        if param.metavar is None:
            param.metavar = _value_name(param)
        if param.param_type_name == "argument" and hasattr(param, "display_type_rich"):
            param.display_type_rich = _no_type  # the name says it (FLOW_RUN_ID)
    original = command.get_help_option

    def get_help_option(ctx: Any) -> Any:
        option = original(ctx)
        if option is not None and option.metavar is None:
            option.metavar = ""
        return option

    command.get_help_option = get_help_option
    for sub in getattr(command, "commands", {}).values():
        plain_metavars(sub)
    return command


def _no_type(ctx: Any) -> None:
    return None


def _value_name(param: Any) -> str | None:
    if param.param_type_name == "argument":
        return str(param.name).upper()
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return ""
    described = getattr(param, "type_descriptor", None)
    if described is None:  # an older Typer on click: click's names are plain already
        return None
    if described.is_choice:
        return "|".join(str(getattr(c, "value", c)) for c in described.choices or ())
    label = param.display_type(None).strip("<>")
    if label.startswith("list[") and label.endswith("]"):
        label = label[5:-1]
    return _NAMES.get(label, label.upper())
