#!/usr/bin/env bash
# Stops the single-node Ceph that deploy/ceph-up.sh DIR started, by the PIDs recorded under DIR only (never by
# name: other clusters on this host are not ours). WIPE=1 also deletes DIR. Safe to run twice.
set -uo pipefail
[ $# -ge 1 ] || { echo "usage: $0 DIR" >&2; exit 64; }
D=$(realpath -m "$1")

# SIGTERM the daemons of the given PID files together, wait up to 5 s, then SIGKILL the ones still there.
stop() {
  local pids=() f p
  for f in "$@"; do
    [ -f "$f" ] || continue
    p=$(cat "$f")
    # Only signal a process that is still the daemon we started (PIDs get reused).
    if kill -0 "$p" 2>/dev/null && grep -q "$D" "/proc/$p/cmdline" 2>/dev/null; then kill -TERM "$p"; pids+=("$p"); fi
  done
  for _ in $(seq 1 100); do
    local alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.05
  done
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && kill -KILL "$p"; done
  rm -f "$@"
}
stop "$D/run/mgr.x.pid.fg" "$D/run/osd.0.pid.fg"   # the mon's clients first ...
stop "$D/run/mon.a.pid.fg"                         # ... then the mon
[ "${WIPE:-0}" = 1 ] && rm -rf "$D"
exit 0
