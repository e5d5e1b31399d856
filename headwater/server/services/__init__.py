"""Background services of the server: each a ``run_once(db, now=None)`` function run in
a loop (``loop.start_services``) every ``HEADWATER_SERVICES_LOOP_SECONDS``.  Every
service is safe to run in several processes at once (idempotency keys, row locks on
PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), and tests call ``run_once`` directly."""
