#!/usr/bin/env bash
# How long `make run` takes from a fresh clone to a served login page.
# Usage: bench/make_run_cold_start.sh [port]   (uses the machine's pip cache like a user's laptop would)
set -euo pipefail
port="${1:-8911}"
src="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'kill $(cat "$work/pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
git clone -q "$src" "$work/desk"
cd "$work/desk"
start=$(date +%s.%N)
( env -u EXECDESK_DATABASE_URL -u EXECDESK_REDIS_URL EXECDESK_PORT="$port" make run >"$work/run.log" 2>&1 & echo $! >"$work/pid" )
until curl -fs -o /dev/null "http://127.0.0.1:$port/accounts/login/"; do
  sleep 0.5
  if ! kill -0 "$(cat "$work/pid")" 2>/dev/null; then cat "$work/run.log"; exit 1; fi
done
end=$(date +%s.%N)
printf 'make run, fresh clone to served login page: %.1f s\n' "$(echo "$end - $start" | bc)"
grep -A3 "Demo logins" "$work/run.log" || true
pkill -P "$(cat "$work/pid")" 2>/dev/null || true
