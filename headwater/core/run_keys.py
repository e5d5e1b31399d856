"""The idempotency key of a scheduled run, shared by the scheduler and backfills: the
same deployment, schedule and time is always the same key, so a time is run once."""

from __future__ import annotations

import datetime as dt
from typing import Any

UTC = dt.timezone.utc


def scheduled_key(deployment_id: Any, schedule_id: Any, when: dt.datetime) -> str:
    return f"scheduled:{deployment_id}:{schedule_id}:{when.astimezone(UTC).isoformat()}"
