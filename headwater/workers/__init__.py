"""Workers: processes that poll a work pool, claim its due runs and run each one on
the pool's worker type (``registry``): a local process, a Docker container, a
Kubernetes Job, or a type a package registers.  The claim loop (``polling``) and the
run bookkeeping (``base.WorkerType``) are shared."""
