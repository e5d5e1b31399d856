"""``prefect._experimental.sla``: see ``headwater.slas``."""
