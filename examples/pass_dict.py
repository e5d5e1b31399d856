"""Pass a dict from one task to the next inside a flow.

A task's return value is an ordinary Python object: here ``extract`` returns a
dict and ``report`` receives it as an argument. Run it with
``python examples/pass_dict.py``.
"""

from headwater import flow, get_run_logger, task


@task
def extract(city: str) -> dict[str, object]:
    """Pretend to look up a city's figures; return them as a dict."""
    return {
        "city": city,
        "population": 1_250_000,
        "districts": ["north", "centre", "south"],
        "coordinates": {"lat": 48.85, "lon": 2.35},
    }


@task
def report(record: dict[str, object]) -> str:
    """Build a one-line summary from the dict made by ``extract``."""
    districts = record["districts"]
    assert isinstance(districts, list)
    summary = f"{record['city']}: population {record['population']:,}, {len(districts)} districts"
    get_run_logger().info(summary)
    return summary


@flow
def pass_dict(city: str = "Paris") -> str:
    record = extract(city)
    return report(record)


if __name__ == "__main__":
    pass_dict()
