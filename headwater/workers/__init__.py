"""Workers: processes that poll a work pool, claim its due runs and run each one as
``python -m headwater.engine RUN_ID`` (see ``process.start_worker``)."""
