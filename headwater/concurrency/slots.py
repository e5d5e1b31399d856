"""Taking and giving back slots of concurrency limits, for ``concurrency``,
``rate_limit`` and the task engine's tag limits.

A request is asked once without queueing (the fast path: no limit, or a free slot);
refused, it joins the first-come-first-served queue with a ticket and waits, woken
the moment slots free up (see ``server/store/leases.py``).  Slots taken by
``concurrency`` are a lease renewed by the client's lease keeper until released, so a
holder that dies frees them one lease duration later; slots taken by ``rate_limit``
decay by themselves.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from headwater.exceptions import AcquireConcurrencySlotTimeoutError, ConcurrencySlotAcquisitionError
from headwater.schemas.concurrency import SlotGrant, SlotRequest

#: Without a timeout, a waiter asks again this often at the longest (keeping its place).
_ASK_SECONDS = 60.0
#: With ``max_retries``, each retry waits up to this long (woken at once if slots free).
_RETRY_SECONDS = 1.0


def client_and_runs() -> tuple[Any, UUID | None, UUID | None]:
    """The client of the current run (or of the settings) and the runs to hold for."""
    from headwater.context import FlowRunContext, TaskRunContext

    flow_ctx = FlowRunContext.get()
    task_ctx = TaskRunContext.get()
    if flow_ctx is not None:
        client = flow_ctx.backend.client
    else:
        from headwater.client.backend import get_backend

        client = get_backend().client
    flow_run_id = flow_ctx.flow_run_id if flow_ctx is not None else None
    task_run_id = task_ctx.task_run_id if task_ctx is not None else None
    if flow_run_id is None and task_ctx is not None:
        flow_run_id = task_ctx.flow_run_id
    return client, flow_run_id, task_run_id


class Slots:
    """Slots held by this process; ``release`` gives them back (once)."""

    __slots__ = ("client", "decaying", "lease_id", "limits")

    def __init__(self, client: Any, grant: SlotGrant, decaying: bool) -> None:
        self.client = client
        self.lease_id = grant.lease_id
        self.limits = grant.limits
        self.decaying = decaying

    def release(self) -> None:
        """Give the slots back now (the caller waits for the store's answer)."""
        lease_id = self._let_go()
        if lease_id is not None:
            from headwater.client.releases import give_back

            give_back([(self.client, lease_id)])

    def release_soon(self) -> None:
        """Give the slots back without waiting: with this process's next request for
        slots, or from a background thread at once if none comes first
        (``client/releases.py``)."""
        lease_id = self._let_go()
        if lease_id is not None:
            from headwater.client.releases import release_soon

            release_soon(self.client, lease_id)

    def _let_go(self) -> UUID | None:
        """The lease to give back (once; None for decaying slots), no longer renewed."""
        lease_id, self.lease_id = self.lease_id, None
        if lease_id is None or self.decaying:
            return None
        self.client.lease_keeper().drop(lease_id)
        return lease_id


def names_list(names: str | Sequence[str]) -> list[str]:
    found = [names] if isinstance(names, str) else list(names)
    if not found:
        raise ValueError("name at least one concurrency limit")
    return found


def request_for(
    names: str | Sequence[str],
    occupy: int,
    *,
    mode: str = "concurrency",
    lease_duration: float | None = None,
    strict: bool = False,
    client: Any = None,
) -> tuple[Any, SlotRequest]:
    from headwater.client.leases import process_holder

    if occupy < 1:
        raise ValueError(f"occupy must be at least 1 (got {occupy})")
    found, flow_run_id, task_run_id = client_and_runs()
    request = SlotRequest(
        names=names_list(names),
        slots=occupy,
        mode=mode,  # type: ignore[arg-type]
        lease_duration=None if lease_duration is None else max(1.0, lease_duration),
        strict=strict,
        holder=process_holder(),
        flow_run_id=flow_run_id,
        task_run_id=task_run_id,
    )
    return client or found, request


def ask(client: Any, request: SlotRequest) -> SlotGrant:
    """One request for slots, carrying the slots this process gave back through
    ``client`` and that are still to be released (``client/releases.py``): the store
    releases them in the same transaction, before it looks at the request."""
    from headwater.client import releases

    carry = releases.take_for(client)
    if not carry:
        return client.acquire_concurrency_slots(request)
    try:
        return client.acquire_concurrency_slots(request.model_copy(update={"release": carry}))
    except BaseException:
        releases.give_back([(client, lease_id) for lease_id in carry])
        raise


def try_now(client: Any, request: SlotRequest) -> Slots | None:
    """The slots if free now (or nothing to take); None if one must wait."""
    grant = ask(client, request)
    return _held(client, request, grant) if _done(grant) else None


def wait(
    client: Any,
    request: SlotRequest,
    *,
    timeout_seconds: float | None = None,
    max_retries: int | None = None,
) -> Slots:
    """Queue for the slots and wait (see module doc); raises on timeout or retries."""
    from headwater.utilities.ids import new_id

    ticket = new_id()
    start = time.monotonic()
    asks = 0
    try:
        while True:
            chunk = _RETRY_SECONDS if max_retries is not None else _ASK_SECONDS
            if timeout_seconds is not None:
                chunk = min(chunk, max(0.0, start + timeout_seconds - time.monotonic()))
            grant = ask(
                client, request.model_copy(update={"ticket": ticket, "wait_seconds": chunk})
            )
            if _done(grant):
                return _held(client, request, grant)
            asks += 1
            if timeout_seconds is not None and time.monotonic() - start >= timeout_seconds:
                raise AcquireConcurrencySlotTimeoutError(
                    f"no slot of {', '.join(grant.limits)} came free within {timeout_seconds:g} s"
                )
            if max_retries is not None and asks > max_retries:
                raise ConcurrencySlotAcquisitionError(
                    f"no slot of {', '.join(grant.limits)} came free after {max_retries} retries"
                )
    except BaseException:
        with contextlib.suppress(Exception):
            client.leave_concurrency_queue(ticket)
        raise


def acquire(
    names: str | Sequence[str],
    occupy: int = 1,
    *,
    mode: str = "concurrency",
    timeout_seconds: float | None = None,
    max_retries: int | None = None,
    lease_duration: float | None = None,
    strict: bool = False,
    on_wait: Callable[[list[str]], Any] | None = None,
) -> Slots:
    """Take the slots now or after waiting (``on_wait`` is told before waiting)."""
    client, request = request_for(
        names, occupy, mode=mode, lease_duration=lease_duration, strict=strict
    )
    if on_wait is not None:
        held = try_now(client, request)
        if held is not None:
            return held
        on_wait(request.names)
    # Without anything to do before waiting, the first ask already waits: a free
    # slot is taken by it all the same, and a refusal queues it in the same call.
    return wait(client, request, timeout_seconds=timeout_seconds, max_retries=max_retries)


def _done(grant: SlotGrant) -> bool:
    return grant.lease_id is not None or not grant.limits


def _held(client: Any, request: SlotRequest, grant: SlotGrant) -> Slots:
    decaying = request.mode == "rate_limit"
    if grant.lease_id is not None and not decaying:
        duration = grant.lease_duration or request.lease_duration or 60.0
        client.lease_keeper().hold(grant.lease_id, duration)
    if grant.missing:
        logging.getLogger("headwater.concurrency").debug(
            "no concurrency limit named %s: not limited", ", ".join(grant.missing)
        )
    return Slots(client, grant, decaying)
