"""``from headwater.docker import DockerImage`` (Prefect's ``prefect.docker``): an image
``flow.deploy(..., image=DockerImage(...), build=True)`` builds for a deployment."""

from headwater.deployments.images import DockerImage

__all__ = ["DockerImage"]
