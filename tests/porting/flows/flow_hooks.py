"""Flow state hooks, by keyword and by decorator."""

from prefect import flow

events: list[str] = []


def notify(flow, flow_run, state) -> None:
    events.append(f"{flow.name}:{flow_run.name}:{state.name}")


@flow(on_completion=[notify], flow_run_name="hooked-run")
def hooked(fail: bool = False) -> None:
    if fail:
        raise RuntimeError("broken")


@hooked.on_failure
def alert(flow, flow_run, state) -> None:
    events.append(f"failure:{state.message}")


@hooked.on_running
def started(flow, flow_run, state) -> None:
    events.append("running")


if __name__ == "__main__":
    hooked()
    hooked(fail=True, return_state=True)
    assert events[0] == "running"
    assert events[1] == "hooked:hooked-run:Completed", events
    assert events[2] == "running"
    assert events[3].startswith("failure:") and "broken" in events[3], events
    print("PASS")
