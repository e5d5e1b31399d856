"""Saving and loading Secret and a custom block."""

from prefect import flow
from prefect.blocks.core import Block
from prefect.blocks.system import Secret


class Warehouse(Block):
    host: str
    port: int = 5432


@flow
def connect() -> str:
    warehouse = Warehouse.load("main-warehouse")
    password = Secret.load("warehouse-password").get()
    return f"{warehouse.host}:{warehouse.port}:{len(password)}"


if __name__ == "__main__":
    Secret(value="s3cr3t").save("warehouse-password", overwrite=True)
    Warehouse(host="db.internal").save("main-warehouse", overwrite=True)
    assert connect() == "db.internal:5432:6"
    print("PASS")
