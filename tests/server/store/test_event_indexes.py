"""The events API's resource filters read an index, not the whole table: EXPLAIN of
the queries ``read_events`` runs (its page and its count), on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from headwater.client.local import LocalClient
from headwater.core.events import Event
from headwater.schemas.events import EventFilter
from headwater.server.db.tables import events
from headwater.server.store.events import _filtered


def _plan(client: LocalClient, query: Any) -> str:
    """The database's plan for ``query``, as one text."""
    with client.db.begin_read() as conn:
        compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
        procs = compiled._bind_processors
        params: Any = {
            k: (procs[k](v) if k in procs else v) for k, v in compiled.construct_params().items()
        }
        if conn.dialect.name == "postgresql":
            rows = conn.exec_driver_sql(f"EXPLAIN {compiled}", params)
        else:
            positional = tuple(params[k] for k in compiled.positiontup or ())
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", positional)
        return "\n".join(" ".join(str(v) for v in row) for row in rows)


def _assert_plans_use(
    client: LocalClient, body: dict[str, Any], *, postgres: str, sqlite: str
) -> None:
    """Every plan of the filter's queries names the index of its database."""
    wanted = postgres if client.db.dialect == "postgresql" else sqlite
    for plan in _plans(client, body):
        assert wanted in plan, plan


def _plans(client: LocalClient, body: dict[str, Any]) -> list[str]:
    flt = EventFilter.model_validate(body)
    with client.db.begin_read() as conn:
        dialect = conn.dialect.name
    page = _filtered(select(events), flt, dialect)
    page = page.order_by(events.c.occurred.desc(), events.c.id).limit(50)
    count = _filtered(select(func.count()).select_from(events), flt, dialect)
    return [_plan(client, page), _plan(client, count)]


@pytest.fixture
def store(database_url: str) -> tuple[LocalClient, str]:
    """A store holding 3,000 events of 300 resources, each related to one of 1,000 (ids
    carry ``tag``)."""
    client = LocalClient(database_url)
    tag = uuid.uuid4().hex[:8]
    records = [
        Event(
            event=f"idx.{tag}.e{i % 300:04d}",
            resource={"headwater.resource.id": f"idx.{tag}.{i % 300:04d}.{i}"},
            related=[
                {"headwater.resource.id": f"rel.{tag}.{i % 1000}", "headwater.resource.role": "r"}
            ],
        ).to_record()
        for i in range(3000)
    ]
    client.emit_events(records)
    with client.db.begin_write() as conn:
        conn.exec_driver_sql("ANALYZE" if conn.dialect.name == "sqlite" else "ANALYZE events")
    return client, tag


def test_a_resource_prefix_is_read_through_an_index(store: tuple[LocalClient, str]) -> None:
    client, tag = store
    body = {"resource": {"id_prefix": [f"idx.{tag}.0042."]}}
    found = client.read_events(EventFilter.model_validate(body), limit=50)
    assert found.total == 10
    assert {e["resource"]["headwater.resource.id"].split(".")[2] for e in found.events} == {"0042"}
    # Case matters on both databases (SQLite's LIKE alone would ignore it).
    upper = {"resource": {"id_prefix": [f"IDX.{tag}.0042."]}}
    assert client.read_events(EventFilter.model_validate(upper)).total == 0
    _assert_plans_use(
        client,
        body,
        postgres="ix_events__resource_id_pattern",
        sqlite="ix_events__resource_id_occurred (resource_id>? AND resource_id<?)",
    )


def test_an_event_name_prefix_is_read_through_an_index(store: tuple[LocalClient, str]) -> None:
    client, tag = store
    body = {"event": {"prefix": [f"idx.{tag}.e0042"]}}
    found = client.read_events(EventFilter.model_validate(body), limit=50)
    assert found.total == 10
    assert {e["event"] for e in found.events} == {f"idx.{tag}.e0042"}
    upper = {"event": {"prefix": [f"IDX.{tag}.e0042"]}}
    assert client.read_events(EventFilter.model_validate(upper)).total == 0
    excluded = {"event": {"prefix": [f"idx.{tag}.e004"], "exclude_prefix": [f"idx.{tag}.e0042"]}}
    assert client.read_events(EventFilter.model_validate(excluded)).total == 90
    _assert_plans_use(
        client,
        body,
        postgres="ix_events__event_pattern",
        sqlite="ix_events__event_occurred (event>? AND event<?)",
    )


@pytest.mark.parametrize("kind", ["any_resource", "related"])
def test_related_to_a_resource_is_read_through_an_index(
    store: tuple[LocalClient, str], kind: str
) -> None:
    client, tag = store
    body = {kind: {"id": [f"rel.{tag}.7"]}}
    assert client.read_events(EventFilter.model_validate(body)).total == 3
    if client.db.dialect != "postgresql":
        return  # SQLite has no index for JSON arrays (a cheap text test runs first)
    for plan in _plans(client, body):
        assert "ix_events__related_ids" in plan, plan
        assert "Seq Scan on events" not in plan, plan
