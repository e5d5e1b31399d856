"""The REST API: one router per resource, mounted under ``/api`` by ``create_app``."""
