"""Tag limits on task runs: a task run whose tags carry a limit (the limit named
``tag:<tag>``, ``headwater concurrency-limit create TAG N``) takes a slot of each
before it runs, waiting in ``Pending``/``AwaitingConcurrencySlot`` until they are
free, and gives them back whatever its end (completed, failed, crashed, cancelled:
the engine's ``finally``; a killed process: its lease runs out; a flow run that
ends: the store frees what was held for it)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from headwater.concurrency.slots import Slots, try_now, wait
from headwater.schemas.concurrency import SlotRequest, tag_limit_name
from headwater.schemas.records import transition
from headwater.states import StateType

if TYPE_CHECKING:
    from headwater.engine.task_run import TaskRun


def _request(run: TaskRun) -> tuple[Any, SlotRequest]:
    from headwater.client.leases import process_holder

    flow_ctx = run.flow_ctx
    if flow_ctx is not None:
        client = flow_ctx.backend.client
    else:
        from headwater.client.backend import get_backend

        client = get_backend().client
    request = SlotRequest(
        names=[tag_limit_name(tag) for tag in run.record.tags],
        holder=process_holder(),
        flow_run_id=run.record.flow_run_id,
        task_run_id=run.record.id,
    )
    return client, request


def _awaiting(run: TaskRun, request: SlotRequest) -> None:
    record = run.record
    tags = ", ".join(name.removeprefix("tag:") for name in request.names)
    transition(
        record,
        StateType.PENDING,
        "AwaitingConcurrencySlot",
        f"waiting for a concurrency slot of tag {tags}",
    )
    run.writer.put_task_run(record.copy())


def take_tag_slots(run: TaskRun) -> Slots | None:
    """The run's tag-limit slots (None: no limits on its tags), waiting if need be."""
    client, request = _request(run)
    held = try_now(client, request)
    if held is not None:
        return held if held.lease_id is not None else None
    _awaiting(run, request)
    return wait(client, request)


async def take_tag_slots_async(run: TaskRun) -> Slots | None:
    """``take_tag_slots`` without blocking the event loop while waiting."""
    client, request = _request(run)
    held = try_now(client, request)
    if held is not None:
        return held if held.lease_id is not None else None
    _awaiting(run, request)
    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(None, wait, client, request)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        future.add_done_callback(_release_late)
        raise


def _release_late(future: asyncio.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is None:
        future.result().release()
