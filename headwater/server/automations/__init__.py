"""Automations on the server: triggers evaluated over the event stream
(``triggers.py``), the service that feeds them and records firings (``service.py``),
and the runner that does the recorded actions (``actions.py``)."""
