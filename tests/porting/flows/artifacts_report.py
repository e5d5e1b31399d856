"""Publishing a report as a markdown and a table artifact."""

from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact


@flow
def report() -> None:
    create_markdown_artifact(markdown="# Daily report\nAll good.", key="daily-report")
    create_table_artifact(table=[{"region": "eu", "rows": 10}], key="daily-rows")


if __name__ == "__main__":
    report()
    print("PASS")
