#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# The demo under load (./dev bench): wrk against GET /api/me with each scheme's credential, next to
# its floor, GET /api/floor of the same process (the same request, credential included, and the same
# answer through the same server, parser and writer, without authentication), measured alternately in
# one run: requests/s and p50/p99 latency, and the ratios to the floor.
#
#   http_bench.sh BIN_DIR SERVERS_DIR [SECONDS]
# BIN_DIR holds tessera-demo-{session,jwt,hybrid}; SERVERS_DIR the throwaway Redis and PostgreSQL
# (tests/servers.sh). The server runs on CPU 1 and wrk on CPU 0 where there are two.
# TESSERA_HTTP_BENCH_SCHEMES and TESSERA_HTTP_BENCH_STORES narrow the rows (default: every scheme and
# store; the memory store alone needs no SERVERS_DIR).
set -euo pipefail
bin="$1" servers="$2" seconds="${3:-5}"
source "$(dirname "${BASH_SOURCE[0]}")/../../examples/demo/process.sh"
schemes="${TESSERA_HTTP_BENCH_SCHEMES:-session jwt hybrid}"
stores="${TESSERA_HTTP_BENCH_STORES:-memory redis postgres}"
setting() { [[ -f "$servers/env" ]] && sed -n "s/^$1=//p" "$servers/env" || true; }
redis="redis://$(setting TESSERA_REDIS_USER):$(setting TESSERA_REDIS_PASSWORD)@127.0.0.1:$(setting TESSERA_REDIS_PORT)"
postgres="postgres:$(setting TESSERA_POSTGRES)"
server_cpu=() client_cpu=() pinned=0
if (($(nproc) >= 2)); then server_cpu=(taskset -c 1); client_cpu=(taskset -c 0); pinned=1; fi

# wrk's requests/s, p50 and p99 (in ms) for one route.
load() { # URL [HEADER]
  local args=(-t1 -c16 -d"${seconds}s" --latency "$1")
  [[ -n "${2:-}" ]] && args+=(-H "$2")
  "${client_cpu[@]}" wrk "${args[@]}" | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    $1 == "50%" { p50 = ms($2) } $1 == "99%" { p99 = ms($2) }
    $1 == "Requests/sec:" { rps = $2 }
    /Non-2xx/ { bad = $NF }
    END { if (bad > 0) { print "non-2xx answers: " bad > "/dev/stderr"; exit 1 }; printf "%s %s %s\n", rps, p50, p99 }'
}

printf '%-8s %-9s %10s %10s %7s %9s %9s %9s %9s\n' scheme store "floor r/s" "me r/s" ratio "floor p50" "me p50" "floor p99" "me p99"
for scheme in $schemes; do
  for store in $stores; do
    case "$store" in memory) target=memory ;; redis) target="$redis" ;; postgres) target="$postgres" ;; esac
    # Pinned: one thread for the memory store (its cost is the CPU's), four for a shared store (whose
    # calls block their thread for a round trip, so that round trips overlap). Otherwise one per core.
    threads=0
    ((pinned)) && threads=$([[ "$store" == memory ]] && echo 1 || echo 4)
    demo_start "${server_cpu[@]}" "$bin/tessera-demo-$scheme" --quiet --threads "$threads" --store "$target"
    url="$demo_url" password="$demo_password"
    body="$(curl -s -c "$work/jar" -X POST -H "Origin: ${url%/}" --data "{\"username\":\"demo\",\"password\":\"$password\"}" "${url}login")"
    if [[ "$scheme" == session ]]; then
      header="Cookie: tessera-session=$(awk '$6 == "tessera-session" { print $7 }' "$work/jar")"
    else
      header="Authorization: Bearer $(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' <<<"$body")"
    fi
    load "${url}api/floor" "$header" >/dev/null # warm-up
    read -r f_rps f_p50 f_p99 < <(load "${url}api/floor" "$header")
    read -r m_rps m_p50 m_p99 < <(load "${url}api/me" "$header")
    read -r f2_rps _ _ < <(load "${url}api/floor" "$header")
    awk -v s="$scheme" -v st="$store" -v f="$f_rps" -v f2="$f2_rps" -v m="$m_rps" -v fp50="$f_p50" -v mp50="$m_p50" \
        -v fp99="$f_p99" -v mp99="$m_p99" 'BEGIN {
      floor = (f + f2) / 2   # the floor measured before and after, against drift
      printf "%-8s %-9s %10.0f %10.0f %7.2f %8.2fms %8.2fms %8.2fms %8.2fms\n", s, st, floor, m, m / floor, fp50, mp50, fp99, mp99 }'
    demo_stop
  done
done
