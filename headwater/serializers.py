"""Result serializers under Prefect's ``prefect.serializers`` names (they live in
``headwater.results.serializers``)."""

from headwater.results.serializers import (
    CompressedSerializer,
    JSONSerializer,
    PickleSerializer,
    Serializer,
)

__all__ = ["CompressedSerializer", "JSONSerializer", "PickleSerializer", "Serializer"]
