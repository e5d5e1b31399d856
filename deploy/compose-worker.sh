#!/bin/sh
# The start-up of deploy/compose.yaml's workers: create the work pool $POOL of type
# $WORKER_TYPE when the server does not have it yet (for a docker pool, its flow-run
# containers default to the image $JOB_IMAGE on the network $JOB_NETWORK, where the
# server is reachable by its service name), then run the worker.
set -e
: "${POOL:?set POOL}" "${WORKER_TYPE:?set WORKER_TYPE}"
if ! headwater work-pool inspect "$POOL" >/dev/null 2>&1; then
  template="${TMPDIR:-/tmp}/headwater-base-job-template-$$.json"
  headwater work-pool get-default-base-job-template --type "$WORKER_TYPE" --file "$template"
  if [ "$WORKER_TYPE" = docker ]; then
    template="$template" python - <<'PY'
import json, os
path = os.environ["template"]
template = json.load(open(path))
variables = template["variables"]["properties"]
if os.environ.get("JOB_IMAGE"):
    variables["image"]["default"] = os.environ["JOB_IMAGE"]
if os.environ.get("JOB_NETWORK"):
    variables["network_mode"]["default"] = os.environ["JOB_NETWORK"]
json.dump(template, open(path, "w"))
PY
  fi
  # the other worker may create it first
  headwater work-pool create "$POOL" --type "$WORKER_TYPE" --base-job-template "$template" \
    || headwater work-pool inspect "$POOL" >/dev/null
  rm -f "$template"
fi
exec headwater worker start --pool "$POOL" --type "$WORKER_TYPE" ${WORKER_LIMIT:+--limit "$WORKER_LIMIT"}
