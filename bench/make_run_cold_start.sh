#!/usr/bin/env bash
# How long `make run` takes from a fresh clone to a served login page.
# Usage: bench/make_run_cold_start.sh [port] [--no-pip-cache]
#   --no-pip-cache: download every package again, as a machine that never installed them would.
set -euo pipefail
port="${1:-8911}"
src="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
cleanup() {
  [ -f "$work/pid" ] && kill -- -"$(cat "$work/pid")" 2>/dev/null || true
  sleep 1
  rm -rf "$work"
}
trap cleanup EXIT
[ "${2:-}" = "--no-pip-cache" ] && export PIP_NO_CACHE_DIR=1
git clone -q "$src" "$work/desk"
cd "$work/desk"
start=$(date +%s.%N)
# its own process group, so that cleanup stops make and the desk it started
setsid env -u EXECDESK_DATABASE_URL -u EXECDESK_REDIS_URL EXECDESK_PORT="$port" make run >"$work/run.log" 2>&1 &
echo $! >"$work/pid"
until curl -fs -o /dev/null "http://127.0.0.1:$port/accounts/login/"; do
  sleep 0.5
  if ! kill -0 "$(cat "$work/pid")" 2>/dev/null; then cat "$work/run.log"; exit 1; fi
done
end=$(date +%s.%N)
printf 'make run, fresh clone to served login page%s: %.1f s\n' "${PIP_NO_CACHE_DIR:+ (no pip cache)}" \
  "$(echo "$end - $start" | bc)"
grep -A3 "Demo logins" "$work/run.log" || true
