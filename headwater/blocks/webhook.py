"""``Webhook`` at the import path Prefect uses (``prefect.blocks.webhook``)."""

from headwater.blocks.notifications import Webhook

__all__ = ["Webhook"]
