"""A three-step ETL flow with typed parameters and a returned summary."""

from prefect import flow, get_run_logger, task


@task
def extract(n: int) -> list[dict]:
    return [{"id": i, "amount": i * 10} for i in range(n)]


@task
def transform(rows: list[dict]) -> list[dict]:
    return [{**row, "amount_eur": row["amount"] * 0.9} for row in rows]


@task
def load(rows: list[dict]) -> int:
    get_run_logger().info("loading %d rows", len(rows))
    return len(rows)


@flow(name="basic-etl", log_prints=True)
def etl(n: int = 5) -> dict:
    rows = transform(extract(n))
    loaded = load(rows)
    print(f"loaded {loaded} rows")
    return {"loaded": loaded, "total": sum(r["amount_eur"] for r in rows)}


if __name__ == "__main__":
    summary = etl(n="4")
    assert summary == {"loaded": 4, "total": 54.0}, summary
    print("PASS")
