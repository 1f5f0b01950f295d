# SPDX-License-Identifier: BSL-1.0
# Sourced by examples/demo/run.sh and tests/bench/http_bench.sh: a work folder removed at exit, and
# a demo server started in the background on a free port, stopped at exit.
#   demo_start COMMAND...  runs COMMAND --port 0 --users WORK/users.txt (a fresh user), waits for its
#                          start line; sets demo_url (http://127.0.0.1:PORT/) and demo_password
#   demo_stop              stops it (SIGTERM: a graceful stop)
work="$(mktemp -d)"
demo_pid=
demo_stop() {
  if [[ -n "$demo_pid" ]]; then
    kill "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null || true
  fi
  demo_pid=
}
trap 'demo_stop; rm -rf "$work"' EXIT

demo_start() {
  rm -f "$work/users.txt" "$work/out"
  "$@" --port 0 --users "$work/users.txt" >"$work/out" 2>&1 &
  demo_pid=$!
  local _
  for _ in $(seq 200); do
    grep -q ' on http://' "$work/out" && break
    kill -0 "$demo_pid" 2>/dev/null || { cat "$work/out" >&2; exit 1; }
    sleep 0.05
  done
  demo_url="$(sed -n 's/.* on \(http:[^ ]*\).*/\1/p' "$work/out" | head -n1)"
  demo_password="$(sed -n 's/^demo user: demo  password: \([^ ]*\).*/\1/p' "$work/out")"
  [[ -n "$demo_url" && -n "$demo_password" ]] || { cat "$work/out" >&2; exit 1; }
}
