"""Global concurrency limits and rate limits: ``headwater.concurrency.sync`` and
``headwater.concurrency.asyncio`` (``concurrency``, ``rate_limit``).  Tag limits on
task runs use the same slots (``headwater.concurrency.slots``)."""
