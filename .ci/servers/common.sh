# Shared by the server scripts in this folder (sourced, not run).

# stop_pidfile FILE SIGNAL: sends SIGNAL to the process whose PID is in FILE, waits up to 5 s for it to
# exit, then kills it; removes FILE. Nothing to do when FILE is absent.
stop_pidfile() {
  local file=$1 signal=$2 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  kill "-$signal" "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$file"
}

# wait_ready NAME PIDFILE LOG PROBE_URL PRINT: polls PROBE_URL (60 s at most) until it answers 200, then
# prints PRINT (the service's base URL) and exits 0; exits 1 if the process in PIDFILE ends first or the
# time runs out, pointing at LOG.
wait_ready() {
  local name=$1 pidfile=$2 log=$3 probe=$4 print=$5
  for _ in $(seq 1 120); do
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "$name exited at start-up; see $log" >&2
      exit 1
    fi
    if python3 -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=2).status == 200 else 1)" "$probe" 2>/dev/null; then
      echo "$print"
      exit 0
    fi
    sleep 0.5
  done
  echo "$name did not become ready at $probe; see $log" >&2
  exit 1
}
