"""The retention service: on by default (30 days), off at 0, at most once an hour."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from benchmarks._retention_seed import seed
from headwater.server.db.database import get_database
from headwater.server.db.tables import flow_runs
from headwater.server.services import retention
from headwater.server.services.loop import service_functions


def _runs(db: object, flow_id: object) -> int:
    with db.begin_read() as conn:  # type: ignore[attr-defined]
        query = select(func.count()).select_from(flow_runs).where(flow_runs.c.flow_id == flow_id)
        return int(conn.execute(query).scalar_one())


def test_the_service_prunes_by_default_once_an_hour_and_never_at_zero(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert service_functions()["retention"] is retention.run_once
    db = get_database(database_url)
    retention._last_pass.clear()
    monkeypatch.setenv("HEADWATER_RETENTION_DAYS", "0")
    seeded = seed(db, old=12, kept=3, tasks_per_run=1, logs_per_run=1)
    assert retention.run_once(db) == 0
    assert _runs(db, seeded.flow_id) == 15
    monkeypatch.delenv("HEADWATER_RETENTION_DAYS")  # the default: 30 days
    assert retention.run_once(db) == 12
    assert _runs(db, seeded.flow_id) == 3
    more = seed(db, old=4)
    assert retention.run_once(db) == 0  # the next pass is an hour away
    assert _runs(db, more.flow_id) == 4
    retention._last_pass.clear()
    assert retention.run_once(db) == 4


def test_retention_days_are_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    from headwater.exceptions import ConfigurationError
    from headwater.settings import get_settings

    for bad in ("-1", "nan", "soon"):
        monkeypatch.setenv("HEADWATER_RETENTION_DAYS", bad)
        with pytest.raises(ConfigurationError, match="HEADWATER_RETENTION_DAYS"):
            get_settings()
    monkeypatch.setenv("HEADWATER_RETENTION_DAYS", "0.5")
    assert get_settings().retention_days == 0.5
