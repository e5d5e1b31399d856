"""Checking a deployment's pull steps (the deployment schema and the steps runner
both use it): each step is a one-key mapping ``{name: {argument: value}}`` with a
known name (Prefect's ``prefect.deployments.steps.git_clone`` or short ``git_clone``,
stored short) and the arguments that step takes."""

from __future__ import annotations

from typing import Any

from headwater.exceptions import InvalidOptionError

_PREFIXES = (
    "headwater.deployments.steps.",
    "prefect.deployments.steps.",
    "prefect_aws.deployments.steps.",
)
_ARGUMENTS: dict[str, tuple[set[str], set[str] | None]] = {
    "set_working_directory": ({"directory"}, {"directory"}),
    "git_clone": ({"repository"}, {"repository", "branch", "include_submodules", "directory"}),
    # Any other argument is a setting of the fsspec file system (None: not checked).
    "pull_from_remote_storage": ({"url"}, None),
    "pull_with_block": (
        {"block_document_name", "block_type_slug"},
        {"block_document_name", "block_type_slug"},
    ),
    "pull_from_s3": (
        {"bucket", "folder"},
        {"bucket", "folder", "credentials", "client_parameters"},
    ),
}


def step_name(name: str) -> str:
    """``prefect.deployments.steps.git_clone`` → ``git_clone``."""
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            name = name[len(prefix) :]
    return name.rsplit(".", 1)[-1] if name.startswith("pull.") else name


def looks_like_option(value: Any) -> bool:
    """A git argument that git would take for an option (``--upload-pack=...``)."""
    return isinstance(value, str) and value.lstrip().startswith("-")


def check_pull_steps(steps: Any) -> list[dict[str, Any]]:
    """Steps in their stored form; ``InvalidOptionError`` naming the first bad one."""
    if steps is None:
        return []
    if not isinstance(steps, list):
        raise InvalidOptionError("pull steps must be a list of {step: {arguments}} mappings")
    out = []
    for i, step in enumerate(steps):
        where = f"pull step {i + 1}"
        if not isinstance(step, dict) or len(step) != 1:
            raise InvalidOptionError(f"{where} must be a mapping with one step name")
        (raw, arguments), *_ = step.items()
        name = step_name(str(raw))
        if name not in _ARGUMENTS:
            known = ", ".join(_ARGUMENTS)
            raise InvalidOptionError(f"{where}: unknown step {raw!r}; known steps: {known}")
        arguments = arguments or {}
        if not isinstance(arguments, dict):
            raise InvalidOptionError(f"{where} ({name}): arguments must be a mapping")
        required, allowed = _ARGUMENTS[name]
        missing = required - set(arguments)
        if missing:
            raise InvalidOptionError(f"{where} ({name}): missing {', '.join(sorted(missing))}")
        unknown = set(arguments) - allowed if allowed is not None else set()
        if unknown:
            raise InvalidOptionError(
                f"{where} ({name}): unknown argument(s) {', '.join(sorted(unknown))}; "
                f"allowed: {', '.join(sorted(allowed or ()))}"
            )
        for key in ("directory", "repository", "branch", "url", "bucket", "folder"):
            value = arguments.get(key)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise InvalidOptionError(f"{where} ({name}): {key} must be a non-empty string")
        for key in ("repository", "branch"):
            if looks_like_option(arguments.get(key)):
                raise InvalidOptionError(
                    f"{where} ({name}): {key} must not start with '-' (git would read it as "
                    "an option)"
                )
        out.append({name: dict(arguments)})
    return out
