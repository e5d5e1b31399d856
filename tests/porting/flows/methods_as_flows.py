"""Flows and tasks defined on classes: instance, class and static methods."""

from prefect import flow, task


class Pipeline:
    base = 100

    def __init__(self, offset: int) -> None:
        self.offset = offset

    @task
    def add_offset(self, x: int) -> int:
        return x + self.offset

    @flow
    def run(self, x: int) -> int:
        return self.add_offset(x)

    @classmethod
    @flow
    def from_base(cls, x: int) -> int:
        return cls.base + x

    @staticmethod
    @flow
    def pure(x: int) -> int:
        return x * 2


if __name__ == "__main__":
    pipeline = Pipeline(5)
    assert pipeline.run(1) == 6
    assert Pipeline.from_base(1) == 101
    assert Pipeline.pure(4) == 8
    assert pipeline.pure(3) == 6
    print("PASS")
