"""Run logs as clients read them."""

from __future__ import annotations

import logging
from uuid import UUID

from headwater.schemas.base import Schema, Timestamp


class Log(Schema):
    id: UUID
    flow_run_id: UUID | None = None
    task_run_id: UUID | None = None
    name: str
    level: int
    message: str
    timestamp: Timestamp

    @property
    def level_name(self) -> str:
        return logging.getLevelName(self.level)
