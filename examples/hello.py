"""The smallest Headwater flow: log a greeting.

Run it with ``python examples/hello.py``; the run is recorded in the local
store under $HEADWATER_HOME (``~/.headwater`` by default).
"""

from headwater import flow, get_run_logger


@flow
def hello(name: str = "world") -> str:
    greeting = f"Hello, {name}!"
    get_run_logger().info(greeting)
    return greeting


if __name__ == "__main__":
    hello()
