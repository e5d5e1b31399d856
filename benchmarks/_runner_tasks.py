"""The function ``task_runners.py`` runs, in a module worker processes can import."""


def noop(i: int) -> int:
    return i
