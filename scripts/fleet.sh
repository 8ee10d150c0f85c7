#!/usr/bin/env bash
# `make fleet`: three memfleetd on 127.0.0.1:11311-11313 and one memfleet-router on
# 127.0.0.1:11211 in front of them (configs/fleet.json), in the foreground; Ctrl-C stops all four.
# Every process is stopped by the pid this script started it with.
#
# Usage: scripts/fleet.sh BUILD_DIR [router args...]
set -euo pipefail
build=${1:?usage: scripts/fleet.sh BUILD_DIR [router args...]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
config="$root/configs/fleet.json"
pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop INT TERM EXIT
for port in 11311 11312 11313; do
  "$build/bin/memfleetd" -l 127.0.0.1 -p "$port" -m 64 -t 2 &
  pids+=($!)
done
"$build/bin/memfleet-router" -l 127.0.0.1 -p 11211 -t 2 --config-file "$config" "$@" &
pids+=($!)
echo "fleet: memfleet-router on 127.0.0.1:11211 -> memfleetd on 11311, 11312, 11313 ($config)"
echo "fleet: point any memcached client at 127.0.0.1:11211; get __memfleet__.route(get,KEY) names the server of KEY"
echo "fleet: Ctrl-C stops all four"
wait -n "${pids[@]}" || true
