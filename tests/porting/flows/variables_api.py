"""Variables in flows: set, get with a default, overwrite."""

from prefect import flow
from prefect.variables import Variable


@flow
def configured_flow() -> tuple:
    Variable.set("regions", ["eu", "us"], overwrite=True)
    regions = Variable.get("regions")
    fallback = Variable.get("not-set", default="none")
    return regions, fallback


if __name__ == "__main__":
    assert configured_flow() == (["eu", "us"], "none")
    print("PASS")
