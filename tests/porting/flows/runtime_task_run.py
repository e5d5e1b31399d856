"""prefect.runtime.task_run inside tasks, with tags."""

from prefect import flow, tags, task
from prefect.runtime import task_run


@task(tags=["io"], task_run_name="fetch-{source}")
def fetch(source: str) -> dict:
    return {
        "name": task_run.name,
        "task_name": task_run.task_name,
        "parameters": task_run.parameters,
        "tags": sorted(task_run.tags),
        "id": task_run.id,
    }


@flow
def fetch_all() -> dict:
    with tags("nightly"):
        return fetch("s3")


if __name__ == "__main__":
    assert task_run.id is None and task_run.name is None
    seen = fetch_all()
    assert seen["name"] == "fetch-s3", seen
    assert seen["task_name"] == "fetch"
    assert seen["parameters"] == {"source": "s3"}
    assert seen["tags"] == ["io", "nightly"], seen
    assert isinstance(seen["id"], str)
    print("PASS")
