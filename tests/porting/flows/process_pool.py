"""CPU-bound tasks on a process pool task runner."""

from prefect import flow, task
from prefect.task_runners import ProcessPoolTaskRunner


@task
def cube(x: int) -> int:
    return x**3


@flow(task_runner=ProcessPoolTaskRunner(max_workers=2))
def cubes() -> list[int]:
    return [f.result() for f in cube.map([1, 2, 3])]


if __name__ == "__main__":
    assert cubes() == [1, 8, 27]
    print("PASS")
