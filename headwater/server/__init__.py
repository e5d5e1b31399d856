"""The server side: database, store services, orchestration rules, API and UI.

Nothing here is imported by ``import headwater``; the embedded store (``LocalClient``)
imports only ``server.db`` and ``server.store``.
"""
