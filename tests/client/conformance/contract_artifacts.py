"""Artifacts: the writer's bulk writes (new versions, progress updates), filtered
reads, the latest version of a key, deletes."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from headwater.client.protocol import Client
from headwater.client.writer import RecordsRefused
from headwater.exceptions import ObjectNotFound
from headwater.schemas.artifacts import ArtifactFilter, ArtifactRecord
from tests.client.conformance.records import new_run


def artifact_record(**changes: Any) -> ArtifactRecord:
    now = time.time()
    record: dict[str, Any] = {
        "id": uuid.uuid4(),
        "op": "create",
        "key": None,
        "type": "markdown",
        "description": None,
        "data": json.dumps("# hello"),
        "flow_run_id": None,
        "task_run_id": None,
        "created": now,
        "updated": now,
    }
    record.update(changes)
    return record  # type: ignore[return-value]


def _key() -> str:
    return f"conf-{uuid.uuid4().hex[:10]}"


class ArtifactsContract:
    def test_keyed_artifacts_keep_every_version_newest_first(self, client: Client) -> None:
        run = new_run(client)
        key = _key()
        base = time.time()
        versions = [
            artifact_record(
                key=key,
                data=json.dumps(f"v{i}"),
                flow_run_id=run["id"],
                created=base + i,
                updated=base + i,
                description=f"version {i}",
            )
            for i in range(3)
        ]
        client.write_artifacts(versions)
        client.write_artifacts(versions[:1])  # a retried batch adds nothing
        found = client.read_artifacts(artifact_filter=ArtifactFilter(key=key))
        assert [a.data for a in found] == ["v2", "v1", "v0"]
        assert found[0].flow_run_id == run["id"] and found[0].description == "version 2"
        latest = client.read_latest_artifact(key)
        assert latest is not None and latest.id == versions[2].get("id")
        assert client.read_latest_artifact(_key()) is None
        assert client.count_artifacts(artifact_filter=ArtifactFilter(key=key)) == 3
        page = client.read_artifacts(artifact_filter=ArtifactFilter(key=key), limit=1, offset=1)
        assert [a.data for a in page] == ["v1"]
        bare = client.read_artifacts(artifact_filter=ArtifactFilter(key=key), with_data=False)
        assert [a.data for a in bare] == [None, None, None]

    def test_latest_filter_gives_one_per_key_and_filters_by_run_and_type(
        self, client: Client
    ) -> None:
        run = new_run(client)
        task_run_id = uuid.uuid4()
        key_a, key_b = _key(), _key()
        base = time.time()
        table = json.dumps([{"a": 1}, {"a": 2}])
        client.write_artifacts(
            [
                artifact_record(key=key_a, flow_run_id=run["id"], created=base),
                artifact_record(key=key_a, flow_run_id=run["id"], created=base + 1),
                artifact_record(
                    key=key_b,
                    type="table",
                    data=table,
                    flow_run_id=run["id"],
                    task_run_id=task_run_id,
                    created=base + 2,
                ),
                artifact_record(flow_run_id=run["id"], created=base + 3),  # no key
            ]
        )
        of_run = ArtifactFilter(flow_run_id=run["id"])
        assert len(client.read_artifacts(artifact_filter=of_run)) == 4
        latest = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=run["id"], latest=True)
        )
        assert [a.key for a in latest] == [key_b, key_a]
        assert latest[0].data == [{"a": 1}, {"a": 2}] and latest[0].task_run_id == task_run_id
        tables = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=run["id"], type="table")
        )
        assert [a.key for a in tables] == [key_b]
        of_task = client.read_artifacts(artifact_filter=ArtifactFilter(task_run_id=task_run_id))
        assert [a.key for a in of_task] == [key_b]

    def test_progress_updates_in_place_and_never_backwards(self, client: Client) -> None:
        created = artifact_record(type="progress", data="0.0", key=_key())
        step = {**created, "op": "update", "data": "40.0", "updated": created["updated"] + 1}
        late = {**created, "op": "update", "data": "10.0", "updated": created["updated"] + 0.5}
        client.write_artifacts([created, step])  # created and updated in one batch
        client.write_artifacts([late])  # an older update arriving late changes nothing
        read = client.read_artifact(created["id"])
        assert read.data == 40.0 and read.type == "progress"
        with pytest.raises(ObjectNotFound):
            client.read_artifact(uuid.uuid4())

    def test_bad_records_are_refused_and_the_rest_written(self, client: Client) -> None:
        key = _key()
        good = artifact_record(key=key)
        bad = artifact_record(key="Not A Key!")
        wrong_type = artifact_record(type="spreadsheet")
        with pytest.raises(RecordsRefused) as refused:
            client.write_artifacts([good, bad, wrong_type])
        assert {r["id"] for r in refused.value.records} == {bad["id"], wrong_type["id"]}
        assert client.read_artifact(good["id"]).key == key

    def test_delete_one_version_or_every_version_of_a_key(self, client: Client) -> None:
        key = _key()
        records = [artifact_record(key=key, created=time.time() + i) for i in range(3)]
        client.write_artifacts(records)
        assert client.delete_artifact(records[2]["id"]) is True
        assert client.delete_artifact(records[2]["id"]) is False
        latest = client.read_latest_artifact(key)
        assert latest is not None and latest.id == records[1]["id"]
        assert client.delete_artifacts_by_key(key) == 2
        assert client.delete_artifacts_by_key(key) == 0
        assert client.read_artifacts(artifact_filter=ArtifactFilter(key=key)) == []
