#!/usr/bin/env bash
# `make run`: start the Headwater server, run the examples against it, list the runs,
# and keep the server in the foreground (Ctrl-C stops it).
#
# The server stores runs in $HEADWATER_HOME (default ~/.headwater).  It listens on
# $HEADWATER_SERVER_HOST:$HEADWATER_SERVER_PORT (127.0.0.1:4200), or on a free port
# when that one is taken.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
HOST=${HEADWATER_SERVER_HOST:-127.0.0.1}
PORT=${HEADWATER_SERVER_PORT:-4200}

port_free() {
  "$BIN/python" - "$HOST" "$1" <<'PY'
import socket, sys
with socket.socket() as s:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((sys.argv[1], int(sys.argv[2])))
    except OSError:
        sys.exit(1)
PY
}

if ! port_free "$PORT"; then
  TAKEN=$PORT
  PORT=$("$BIN/python" -c "import socket; s=socket.socket(); s.bind(('$HOST', 0)); print(s.getsockname()[1])")
  echo "Port $TAKEN is taken; using $PORT."
fi

URL="http://$HOST:$PORT"
"$BIN/headwater" server start --host "$HOST" --port "$PORT" &
SERVER_PID=$!
stop_server() {
  kill "$SERVER_PID" 2>/dev/null
  wait "$SERVER_PID" 2>/dev/null
}
trap stop_server EXIT
trap 'exit 130' INT TERM

if ! "$BIN/python" - "$URL/api/health" "$SERVER_PID" <<'PY'
import os, sys, time, urllib.request
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    try:
        os.kill(int(sys.argv[2]), 0)
    except OSError:
        sys.exit(1)
    try:
        urllib.request.urlopen(sys.argv[1], timeout=1).read()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
PY
then
  echo "The server did not start; see the lines above." >&2
  exit 1
fi

export HEADWATER_API_URL="$URL/api"
STATUS=0
"$BIN/python" examples/run_all.py || STATUS=$?  # runs each example, then lists the runs
echo
if [ "$STATUS" -ne 0 ]; then
  echo "Some examples failed (exit $STATUS); their runs are listed above." >&2
fi
ACTIVATE="$(cd "$BIN" && pwd)/activate"
echo "Headwater server running at $URL  (web UI: $URL/  API docs: $URL/api/docs)"
echo
echo "The headwater command and package are installed in .venv, not on your PATH."
echo "To run your flows and the CLI against this server, in another shell:"
echo
echo "    source $ACTIVATE"
echo "    export HEADWATER_API_URL=$URL/api"
echo "    python my_flow.py          # its runs appear in the web UI"
echo "    headwater flow-run ls"
echo
echo "Press Ctrl-C to stop."
wait "$SERVER_PID"
