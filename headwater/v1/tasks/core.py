"""Small tasks the graph builder adds by itself: collections of task results,
``task[key]``, and the comparison behind ``case`` (defined with ``Task``)."""

from headwater.v1.core.task import CompareValue, Dict, GetItem, List, Set, Tuple

__all__ = ["CompareValue", "Dict", "GetItem", "List", "Set", "Tuple"]
