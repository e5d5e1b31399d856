"""Text both clients make storable in the same way, whatever the store.

NUL becomes U+FFFD (PostgreSQL text cannot hold it), messages are cut at
``MAX_TEXT`` characters and names lose control characters, so a run record reads
back the same through ``LocalClient`` and ``HttpClient`` on SQLite and PostgreSQL.
Flow-run calls clean every time (one run, one call); task-run and log batches are
cleaned only when the store or server refuses them, then bisected so a record that
still cannot be written costs only itself.
"""

from __future__ import annotations

from typing import Any

from headwater.states import State
from headwater.utilities.storable import storable_text, text_problem

MAX_TEXT = 100_000


def check_parameters(flow_run: Any) -> None:
    """A new run's parameters as the API checks them: ``UnstorableValueError``
    naming the value when no store could keep them (both clients call this, so a
    NaN or a lone surrogate is refused alike, embedded or through a server)."""
    from headwater.exceptions import UnstorableValueError
    from headwater.utilities.storable import json_problem

    problem = json_problem(flow_run.get("parameters") or {}, "parameters")
    if problem is not None:
        raise UnstorableValueError(problem)


def clean_text(text: str) -> str:
    text = storable_text(text)
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 40] + "\n… (truncated for the server)"
    return text


def clean_name(name: str) -> str:
    """Names may not hold control characters on the server: they become spaces."""
    if name.isprintable():
        return name[:200]
    name = storable_text(name)
    return "".join(ch if ch.isprintable() else " " for ch in name)[:200] or "unnamed"


def clean_state(state: State) -> State:
    """``state`` itself when storable as it is, else a copy with clean text."""
    message = state.message
    if (
        state.name.isprintable()
        and len(state.name) <= 100
        and (message is None or ("\x00" not in message and len(message) <= MAX_TEXT))
    ):
        return state
    return state.copy(
        name=clean_name(state.name)[:100],
        message=clean_text(message) if message is not None else None,
    )


def state_body(state: State) -> dict[str, Any]:
    """A state as JSON for the server, with clean text."""
    body = state.to_dict()
    message = body.get("message")
    if message is not None:
        body["message"] = clean_text(message)
    body["name"] = clean_name(body["name"])[:100]
    return body


def clean_record(record: Any) -> Any:
    """A task-run record (``TaskRunRecord`` or its JSON dict) or a log record, with
    every text field made storable."""
    to_dict = getattr(record, "to_dict", None)
    if to_dict is not None:
        return type(record).from_dict(_clean_fields(to_dict()))
    return _clean_fields(record)


def _clean_fields(record: dict[str, Any]) -> dict[str, Any]:
    out = dict(record)
    for key in ("message", "state_message"):
        if isinstance(out.get(key), str):
            out[key] = clean_text(out[key])
    for key, size in (("name", 300), ("task_key", 300), ("dynamic_key", 100), ("cache_key", 500)):
        value = out.get(key)
        if isinstance(value, str):
            out[key] = storable_text(value)[:size]
    if isinstance(out.get("transitions"), list):
        out["transitions"] = [
            [*t[:3], clean_text(t[3])] if len(t) > 3 and isinstance(t[3], str) else t
            for t in out["transitions"][-1000:]
        ]
    return out


def logs_need_cleaning(records: Any) -> bool:
    """Whether a log line holds text no store keeps (NUL, a lone surrogate): the
    embedded SQLite store would keep it as written, PostgreSQL and the API refuse it,
    so the embedded client cleans such a batch first and all stores read alike."""
    for record in records:
        name, message = record["name"], record["message"]
        if name.isascii() and message.isascii() and "\x00" not in name + message:
            continue
        if text_problem(name) or text_problem(message):
            return True
    return False
