"""Yellow-taxi ETL: download a month of trips, clean them, load them into SQLite.

The shape of the classic data-engineering exercise, made self-contained: the
flow starts a small HTTP server on 127.0.0.1 (a free port) that serves gzipped
CSV files it generates, with some trips carrying no passengers. The server
answers the first request with HTTP 500, so ``fetch`` fails once and its
retry is exercised. The database goes to $HEADWATER_HOME/examples/ if that is
set, else to the system temp directory.

Run it with ``python examples/etl.py``.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import random
import sqlite3
import tempfile
import threading
import urllib.request
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from headwater import flow, get_run_logger, task

YEAR = 2021
ROWS_PER_MONTH = 1_000
COLUMNS = [
    "VendorID",
    "tpep_pickup_datetime",
    "tpep_dropoff_datetime",
    "passenger_count",
    "trip_distance",
    "fare_amount",
    "tip_amount",
    "total_amount",
]
DEFAULT_DB = str(
    Path(os.environ.get("HEADWATER_HOME") or Path(tempfile.gettempdir()) / "headwater")
    / "examples"
    / "yellow_taxi.db"
)


# --- a stand-in for the public data site -------------------------------------


def make_month_csv_gz(year: int, month: int, rows: int = ROWS_PER_MONTH) -> bytes:
    """A gzipped CSV of made-up trips for one month; about 1 in 12 has 0 passengers."""
    rng = random.Random(year * 100 + month)
    start = datetime(year, month, 1)
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    for _ in range(rows):
        pickup = start + timedelta(seconds=rng.randrange(28 * 24 * 3600))
        distance = round(rng.uniform(0.2, 18.0), 2)
        dropoff = pickup + timedelta(minutes=3 + distance * rng.uniform(2.0, 4.0))
        fare = round(2.5 + 2.5 * distance, 2)
        tip = round(fare * rng.choice([0.0, 0.1, 0.15, 0.2]), 2)
        passengers = 0 if rng.random() < 1 / 12 else rng.randint(1, 5)
        writer.writerow(
            [
                rng.choice([1, 2]),
                pickup.strftime("%Y-%m-%d %H:%M:%S"),
                dropoff.strftime("%Y-%m-%d %H:%M:%S"),
                passengers,
                distance,
                fare,
                tip,
                round(fare + tip + 0.5, 2),
            ]
        )
    return gzip.compress(text.getvalue().encode())


class TripDataHandler(BaseHTTPRequestHandler):
    """Serves /yellow_tripdata_YYYY-MM.csv.gz; the server's first request gets a 500."""

    server: TripDataServer

    def do_GET(self) -> None:
        if self.server.take_first_request():
            self.send_error(500, "warming up, try again")
            return
        name = self.path.rsplit("/", 1)[-1]
        prefix, suffix = "yellow_tripdata_", ".csv.gz"
        if not (name.startswith(prefix) and name.endswith(suffix)):
            self.send_error(404)
            return
        try:
            year, month = (int(part) for part in name[len(prefix) : -len(suffix)].split("-"))
            body = make_month_csv_gz(year, month)
        except ValueError:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the example's output to the flow's own logs


class TripDataServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), TripDataHandler)  # port 0: any free port
        self._lock = threading.Lock()
        self._served = 0

    def take_first_request(self) -> bool:
        with self._lock:
            self._served += 1
            return self._served == 1

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"


# --- the pipeline ----------------------------------------------------------------


@task(retries=3, retry_delay_seconds=0.1)
def fetch(url: str) -> list[dict[str, str]]:
    """Download a gzipped CSV and return its rows as dicts."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # local: no proxy
    with opener.open(url, timeout=10) as response:
        data = gzip.decompress(response.read())
    return list(csv.DictReader(io.StringIO(data.decode())))


@task(log_prints=True)
def clean(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Drop trips without passengers."""
    kept = [row for row in rows if int(row["passenger_count"]) > 0]
    print(f"dropped {len(rows) - len(kept)} of {len(rows)} rows with passenger_count 0")
    return kept


@task
def load(rows: list[dict[str, str]], db_path: str) -> int:
    """Write the rows into the yellow_taxi table, replacing the months they cover."""
    Path(db_path).parent.mkdir(parents=True, exist_ok=True)
    records = [
        (
            int(row["VendorID"]),
            row["tpep_pickup_datetime"],
            row["tpep_dropoff_datetime"],
            int(row["passenger_count"]),
            float(row["trip_distance"]),
            float(row["fare_amount"]),
            float(row["tip_amount"]),
            float(row["total_amount"]),
        )
        for row in rows
    ]
    months = sorted({pickup[:7] for _, pickup, *_ in records})
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            """CREATE TABLE IF NOT EXISTS yellow_taxi (
                vendor_id INTEGER,
                tpep_pickup_datetime TEXT,
                tpep_dropoff_datetime TEXT,
                passenger_count INTEGER,
                trip_distance REAL,
                fare_amount REAL,
                tip_amount REAL,
                total_amount REAL
            )"""
        )
        conn.executemany(
            "DELETE FROM yellow_taxi WHERE substr(tpep_pickup_datetime, 1, 7) = ?",
            [(month,) for month in months],
        )
        conn.executemany("INSERT INTO yellow_taxi VALUES (?, ?, ?, ?, ?, ?, ?, ?)", records)
    conn.close()
    return len(records)


@flow
def etl(
    months: list[int] = [1],  # noqa: B006 - never mutated; Prefect-style default
    db_path: str = DEFAULT_DB,
) -> int:
    logger = get_run_logger()
    server = TripDataServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        loaded = 0
        for month in months:
            url = f"{server.base_url}/yellow_tripdata_{YEAR}-{month:02d}.csv.gz"
            rows = clean(fetch(url))
            loaded += load(rows, db_path)
        logger.info("loaded %d rows into %s", loaded, db_path)
        return loaded
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


if __name__ == "__main__":
    etl()
