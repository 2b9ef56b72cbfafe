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
