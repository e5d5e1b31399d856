"""A parent flow that runs one subflow per month.

``etl_parent_flow`` calls the flow ``etl_month`` once for each month; a flow
called inside a flow is a subflow, recorded as a child run of the parent.
Each subflow extracts a month of made-up taxi trips and summarises them with
two tasks. Run it with ``python examples/monthly_subflows.py``.
"""

import calendar
import random
from datetime import datetime, timedelta

from headwater import flow, get_run_logger, task


@task(retries=2, retry_delay_seconds=0.1)
def extract(year: int, month: int) -> list[dict[str, float | str]]:
    """Generate a month of trips (deterministic for a given year and month)."""
    rng = random.Random(year * 100 + month)
    days = calendar.monthrange(year, month)[1]
    start = datetime(year, month, 1)
    trips: list[dict[str, float | str]] = []
    for _ in range(rng.randint(200, 400)):
        pickup = start + timedelta(minutes=rng.randrange(days * 24 * 60))
        distance = round(rng.uniform(0.3, 20.0), 2)
        trips.append(
            {
                "pickup": pickup.isoformat(sep=" "),
                "trip_distance": distance,
                "fare_amount": round(3.0 + 2.5 * distance, 2),
            }
        )
    return trips


@task
def summarise(trips: list[dict[str, float | str]]) -> dict[str, float]:
    """Count the trips and total their fares and distances."""
    fares = sum(float(t["fare_amount"]) for t in trips)
    miles = sum(float(t["trip_distance"]) for t in trips)
    return {
        "trips": len(trips),
        "fares": round(fares, 2),
        "mean_distance": round(miles / len(trips), 2) if trips else 0.0,
    }


@flow
def etl_month(year: int, month: int) -> dict[str, float]:
    trips = extract(year, month)
    summary = summarise(trips)
    get_run_logger().info(
        "%d-%02d: %d trips, $%.2f in fares", year, month, summary["trips"], summary["fares"]
    )
    return summary


@flow
def etl_parent_flow(
    months: list[int] = [1, 2, 3],  # noqa: B006 - never mutated; Prefect-style default
    year: int = 2021,
) -> dict[int, dict[str, float]]:
    results = {month: etl_month(year, month) for month in months}
    total = sum(summary["trips"] for summary in results.values())
    get_run_logger().info("%d months, %d trips in all", len(results), total)
    return results


if __name__ == "__main__":
    etl_parent_flow()
