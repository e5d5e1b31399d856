"""The service layer: plain functions over a connection, used by ``LocalClient`` and
by the API's routers alike.  Each takes the connection first and keyword arguments
after it; the caller owns the transaction (``Database.begin_write/begin_read``)."""
