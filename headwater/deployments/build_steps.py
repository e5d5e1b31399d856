"""``build:`` and ``push:`` steps of ``headwater.yaml`` (Prefect's ``prefect.yaml``
sections), run by ``headwater deploy`` before it applies the deployment.

```yaml
build:
  - prefect_docker.deployments.steps.build_docker_image:
      id: build-image
      image_name: registry.example/flows
      tag: "{{ $GIT_SHA }}"
      dockerfile: auto                # or a path relative to the project; default Dockerfile
push:
  - prefect_docker.deployments.steps.push_docker_image:
      image_name: "{{ build-image.image_name }}"
      tag: "{{ build-image.tag }}"
```

A step is a one-key mapping ``{name: {argument: value}}``; the names are Prefect's
(``prefect_docker.deployments.steps.build_docker_image``), short
(``build_docker_image``) or Headwater's (``headwater.docker.build_docker_image``).
``id`` names its output for later steps and the deployment: ``{{ ID.KEY }}``
(``image_name``, ``tag``, ``image``, ``image_id``, ``additional_tags``; a build also
gives ``dockerfile`` and ``code_dir``, where ``dockerfile: auto`` copied the project
in the image); every output
key is also available bare (``{{ image }}``), as in Prefect.  ``{{ $NAME }}`` is the
environment variable NAME.  ``requires`` is accepted and ignored (nothing to install).
The last image built or pushed becomes the deployment's ``image`` job variable unless
the deployment sets one.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from headwater.deployments.images import DockerImage, _docker
from headwater.exceptions import InvalidOptionError

_PREFIXES = ("prefect_docker.deployments.steps.", "headwater.docker.")
_BUILD_ARGS = {
    "image_name",
    "tag",
    "dockerfile",
    "additional_tags",
    "ignore_cache",
    "base_image",
    "platform",
    "target",
    "network_mode",
    "pull",
    "nocache",
    "rm",
    "forcerm",
    "buildargs",
    "labels",
}
_PUSH_ARGS = {"image_name", "tag", "additional_tags", "ignore_cache"}
_REFERENCE = re.compile(r"\{\{\s*(\$?[A-Za-z_][\w-]*(?:\.[\w-]+)*)\s*\}\}")
#: Heads of references that are not step outputs (Prefect's variables and blocks):
#: left as written.
_FOREIGN = {"prefect", "headwater"}


def step_name(name: str) -> str:
    """The short name of a step (``build_docker_image``/``push_docker_image``)."""
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def resolve(value: Any, outputs: dict[str, Any], where: str) -> Any:
    """``value`` with ``{{ id.key }}``, ``{{ key }}`` and ``{{ $ENV }}`` filled in from
    ``outputs`` (a string that is one reference takes the value's own type)."""
    if isinstance(value, dict):
        return {key: resolve(item, outputs, where) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item, outputs, where) for item in value]
    if not isinstance(value, str) or "{{" not in value:
        return value
    whole = _REFERENCE.fullmatch(value.strip())
    if whole:
        found = _lookup(whole.group(1), outputs, where)
        return value if found is _UNRESOLVED else found

    def text(match: re.Match[str]) -> str:
        found = _lookup(match.group(1), outputs, where)
        if found is _UNRESOLVED:
            return match.group(0)
        return "" if found is None else str(found)

    return _REFERENCE.sub(text, value)


_UNRESOLVED = object()


def _lookup(reference: str, outputs: dict[str, Any], where: str) -> Any:
    if reference.startswith("$"):
        return os.environ.get(reference[1:], "")
    head, *rest = reference.split(".")
    if head in _FOREIGN:
        return _UNRESOLVED
    if head not in outputs:
        if not rest:
            return _UNRESOLVED  # a bare {{ name }} nothing defines: left as written
        known = ", ".join(sorted(k for k, v in outputs.items() if isinstance(v, dict)))
        raise InvalidOptionError(
            f"{where}: {{{{ {reference} }}}} names no earlier step id "
            f"({'step ids: ' + known if known else 'no step has an id'})"
        )
    found = outputs[head]
    for key in rest:
        if not isinstance(found, dict) or key not in found:
            raise InvalidOptionError(
                f"{where}: {{{{ {reference} }}}}: step {head!r} has no output {key!r}"
                + (f" (it has: {', '.join(sorted(found))})" if isinstance(found, dict) else "")
            )
        found = found[key]
    return found


def run_steps(
    sections: list[tuple[str, Any]], root: Path, outputs: dict[str, Any], where: str
) -> dict[str, Any]:
    """Run the ``build`` then ``push`` steps (``(section, steps)`` pairs) from the project
    directory ``root``; ``outputs`` gathers each step's output (under its ``id`` and
    bare) and is returned."""
    for section, steps in sections:
        if steps is None:
            continue
        if not isinstance(steps, list):
            raise InvalidOptionError(f"{where}: '{section}' must be a list of steps")
        for number, step in enumerate(steps, 1):
            _run_step(section, number, step, root, outputs, where)
    return outputs


def _run_step(
    section: str, number: int, step: Any, root: Path, outputs: dict[str, Any], where: str
) -> None:
    if not isinstance(step, dict) or len(step) != 1:
        raise InvalidOptionError(
            f"{where}: {section} step {number} must be one mapping {{step_name: {{arguments}}}}"
        )
    ((name, arguments),) = step.items()
    label = f"{where}: {section} step {number} ({name})"
    if not isinstance(arguments or {}, dict):
        raise InvalidOptionError(f"{label}: its arguments must be a mapping")
    arguments = dict(arguments or {})
    step_id = arguments.pop("id", None)
    arguments.pop("requires", None)
    short = step_name(str(name))
    if short not in ("build_docker_image", "push_docker_image"):
        raise InvalidOptionError(
            f"{label}: unknown step; Headwater runs "
            "prefect_docker.deployments.steps.build_docker_image and push_docker_image"
        )
    allowed = _BUILD_ARGS if short == "build_docker_image" else _PUSH_ARGS
    unknown = sorted(set(arguments) - allowed)
    if unknown:
        raise InvalidOptionError(
            f"{label}: unsupported argument(s) {unknown}; supported: {sorted(allowed)}"
        )
    arguments = resolve(arguments, outputs, label)
    if not isinstance(arguments.get("image_name"), str) or not arguments["image_name"]:
        raise InvalidOptionError(f"{label}: image_name (a string) is required")
    tags = arguments.pop("additional_tags", None) or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InvalidOptionError(f"{label}: additional_tags must be a list of strings")
    try:
        if short == "build_docker_image":
            result = _build(arguments, tags, root)
        else:
            result = _push(arguments, tags)
    except InvalidOptionError as exc:
        raise InvalidOptionError(f"{label}: {exc}") from None
    except Exception as exc:  # a docker failure: already one line
        raise InvalidOptionError(f"{label}: {exc}") from None
    outputs.update(result)
    if step_id is not None:
        outputs[str(step_id)] = result


def _image(arguments: dict[str, Any]) -> DockerImage:
    name = arguments.pop("image_name")
    tag = arguments.pop("tag", None)
    return DockerImage(name, None if tag is None else str(tag), **arguments)


def _build(arguments: dict[str, Any], tags: list[str], root: Path) -> dict[str, Any]:
    if arguments.pop("ignore_cache", False):
        arguments["nocache"] = True
    arguments.setdefault("dockerfile", "Dockerfile")  # Prefect's default for this step
    image = _image(arguments)
    image.build(root)
    for tag in tags:
        _docker("tag", image.reference, f"{image.name}:{tag}", timeout=60)
    image_id = _docker("image", "inspect", "--format", "{{.Id}}", image.reference, timeout=60)
    return {
        "image_name": image.name,
        "tag": image.tag,
        "image": image.reference,
        "image_id": image_id.strip(),
        "additional_tags": tags,
        "dockerfile": image.dockerfile,
        "code_dir": str(image.code_dir(root)),
    }


def _push(arguments: dict[str, Any], tags: list[str]) -> dict[str, Any]:
    arguments.pop("ignore_cache", None)
    if arguments.get("tag") is None and ":" not in arguments["image_name"].rsplit("/", 1)[-1]:
        arguments["tag"] = "latest"
    image = _image(arguments)
    image.push()
    for tag in tags:
        _docker("push", f"{image.name}:{tag}", timeout=3600)
    return {
        "image_name": image.name,
        "tag": image.tag,
        "image": image.reference,
        "additional_tags": tags,
    }
