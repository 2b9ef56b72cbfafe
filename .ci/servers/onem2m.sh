#!/usr/bin/env bash
# Starts (or stops) the ACME oneM2M CSE (PyPI acmecse 2026.5.3) on 127.0.0.1 for the real-server
# tests: headless, HTTP only, in-memory database, cseID id-in, cseName cse-in, adminID CAdmin.
#   .ci/servers/onem2m.sh start DIR PORT   # installs into DIR/venv if needed; prints the base URL
#   .ci/servers/onem2m.sh stop DIR          # stops it by the PID in DIR/acme.pid
set -euo pipefail
source "$(dirname "$0")/common.sh"
cmd=${1:?start or stop}
dir=${2:?folder}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
case "$cmd" in
start)
  port=${3:?port}
  if [ ! -x "$dir/venv/bin/acmecse" ]; then
    python3 -m venv "$dir/venv"
    "$dir/venv/bin/pip" install -q acmecse==2026.5.3 >"$dir/pip.log" 2>&1
  fi
  mkdir -p "$dir/base/logs"
  # Without acme.ini in the base directory acmecse opens an interactive dialog; --config takes a bare
  # file name resolved inside --base-directory.
  cat >"$dir/base/acme.ini" <<INI
[basic.config]
cseType=IN
cseID=id-in
cseName=cse-in
adminID=CAdmin
networkInterface=127.0.0.1
cseHost=127.0.0.1
httpPort=$port
databaseType=memory
consoleType=simple

[cse]
enableRemoteCSE=false

[cse.statistics]
enable=false

[http]
enableUpperTesterEndpoint=false

[websocket]
enable=false

[mqtt]
enable=false

[coap]
enable=false

[logging]
enableFileLogging=true
enableScreenLogging=false
path=$dir/base/logs

[textui]
enable=false

[console]
headless=true
INI
  cd "$dir"
  nohup "$dir/venv/bin/acmecse" --config acme.ini --base-directory "$dir/base" --headless --db-reset \
    --db-type memory --http --no-coap --no-mqtt --no-ws --no-remote-cse --no-statistics --network-interface 127.0.0.1 \
    --http-port "$port" --http-address "http://127.0.0.1:$port" </dev/null >"$dir/acme.out" 2>&1 &
  echo $! >"$dir/acme.pid"
  # Do not probe before the CSE is up: a request that reaches its HTTP server while plugins still start
  # can abort the startup (seen with the Upper Tester plugin, which is disabled above for that reason).
  for _ in $(seq 1 120); do
    if grep -qs "CSE started" "$dir"/base/logs/*.log; then break; fi
    sleep 0.5
  done
  for _ in $(seq 1 120); do
    if python3 - "$port" <<'PY' 2>/dev/null; then echo "http://127.0.0.1:$port"; exit 0; fi
import sys, urllib.request
r = urllib.request.Request(f"http://127.0.0.1:{sys.argv[1]}/id-in",
                           headers={"X-M2M-Origin": "CAdmin", "X-M2M-RI": "ready", "X-M2M-RVI": "3"})
sys.exit(0 if urllib.request.urlopen(r, timeout=2).status == 200 else 1)
PY
    sleep 0.5
  done
  echo "acmecse did not become ready on port $port; see $dir/acme.out" >&2
  exit 1
  ;;
stop)
  # acmecse shuts down on SIGINT; SIGKILL if it is still there after 5 s.
  stop_pidfile "$dir/acme.pid" INT
  ;;
*) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
