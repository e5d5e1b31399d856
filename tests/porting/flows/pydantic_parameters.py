"""Pydantic models and typed containers as flow parameters, coerced from dicts."""

from datetime import date

from prefect import flow
from pydantic import BaseModel


class Window(BaseModel):
    start: date
    end: date
    regions: list[str] = ["eu"]


@flow
def backfill(window: Window, dry_run: bool = False) -> int:
    assert isinstance(window, Window) and isinstance(window.start, date)
    return (window.end - window.start).days + (0 if dry_run else 1)


if __name__ == "__main__":
    assert backfill({"start": "2024-01-01", "end": "2024-01-10"}, dry_run="false") == 10
    print("PASS")
