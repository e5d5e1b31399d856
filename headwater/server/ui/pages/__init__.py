"""One module per page (or group of pages); each registers itself with
``headwater.server.ui.registry.ui_page`` (see there for how a page plugs in)."""
