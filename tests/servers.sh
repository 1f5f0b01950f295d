#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# Throwaway Redis and PostgreSQL servers for tessera's tests.
#
#   servers.sh fresh  all DIR                  stop and remove what a run left in DIR, then start anew
#   servers.sh start  redis|postgres|all DIR   start (or restart, on the same port and data)
#   servers.sh stop   redis|postgres|all DIR   stop; with `all`, also remove DIR and the data
#   servers.sh crash  redis|postgres DIR       kill without a clean shutdown (SIGKILL / immediate)
#   servers.sh freeze redis|postgres DIR       SIGSTOP every process of the server
#   servers.sh thaw   redis|postgres DIR       SIGCONT them
#
# Servers listen on free loopback ports. DIR/env then holds what the tests read:
#   TESSERA_REDIS_PORT, TESSERA_REDIS_SOCKET, TESSERA_REDIS_USER, TESSERA_REDIS_PASSWORD, TESSERA_POSTGRES
# Redis runs with AOF on (appendfsync always) and an ACL user; TESSERA_REDIS_FLAGS, given at the
# first start, adds settings of a test's own (kept for its restarts), e.g. "--appendonly no"; PostgreSQL in a
# cluster made by initdb in a temporary folder, with a password (SCRAM), run
# as the `postgres` user when this script runs as root (PostgreSQL refuses root).
set -euo pipefail

action="${1:?usage: servers.sh start|stop|crash|freeze|thaw redis|postgres|all DIR}"
which="${2:?which server: redis, postgres or all}"
dir="${3:?a folder for the state of the servers}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_bin() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
  [[ -n "$d" ]] || { echo "servers.sh: PostgreSQL is not installed (./dev deps installs it)" >&2; exit 1; }
  echo "$d"
}

# Runs a command as the PostgreSQL user when we are root.
as_pg() {
  if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}

remember() { # KEY VALUE: sets a line of DIR/env
  touch "$dir/env"
  grep -v "^$1=" "$dir/env" >"$dir/env.new" || true
  printf '%s=%s\n' "$1" "$2" >>"$dir/env.new"
  mv "$dir/env.new" "$dir/env"
}

recall() { [[ -f "$dir/env" ]] || return 0; sed -n "s/^$1=//p" "$dir/env" | tail -n1; }

# A Unix socket path is limited to 107 bytes, and DIR lies under the build folder, as deep as the
# clone is: the socket goes in a short folder of its own under /tmp, removed with DIR.
socket_dir() {
  local sockets
  sockets="$(recall TESSERA_SOCKET_DIR)"
  if [[ -z "$sockets" ]]; then
    sockets="$(mktemp -d /tmp/tessera-s.XXXXXX)"
    remember TESSERA_SOCKET_DIR "$sockets"
  fi
  echo "$sockets"
}

redis_start() {
  local port password sockets
  port="$(recall TESSERA_REDIS_PORT)"
  [[ -n "$port" ]] || port="$(free_port)"
  password="$(recall TESSERA_REDIS_PASSWORD)"
  [[ -n "$password" ]] || password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  mkdir -p "$dir/redis"
  sockets="$(socket_dir)"
  local flags
  flags="$(recall TESSERA_REDIS_FLAGS)"
  [[ -n "$flags" ]] || flags="${TESSERA_REDIS_FLAGS:-}"
  remember TESSERA_REDIS_FLAGS "$flags"
  # The ACL user the tests connect as. The default user keeps a password nobody knows, so nothing
  # works without AUTH; it is not turned off: Redis 7.0 replays a script's writes from the AOF as
  # MULTI/EXEC under the default user, and with that user off it drops them all on restart.
  local locked
  locked="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  printf 'user default on >%s ~* &* +@all\nuser tessera on >%s ~* &* +@all\n' "$locked" "$password" \
    >"$dir/redis/users.acl"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir/redis" --daemonize yes \
    --pidfile "$dir/redis/redis.pid" --logfile "$dir/redis/redis.log" \
    --unixsocket "$sockets/redis.sock" --unixsocketperm 700 \
    --appendonly yes --appendfsync always --save "" --aclfile "$dir/redis/users.acl" $flags >/dev/null # $flags: words
  local i
  for i in $(seq 100); do
    if redis-cli -p "$port" --user tessera --pass "$password" --no-auth-warning ping 2>/dev/null | grep -q PONG; then
      remember TESSERA_REDIS_PORT "$port"
      remember TESSERA_REDIS_SOCKET "$sockets/redis.sock"
      remember TESSERA_REDIS_USER tessera
      remember TESSERA_REDIS_PASSWORD "$password"
      return 0
    fi
    sleep 0.05
  done
  echo "servers.sh: redis-server did not start:" >&2
  cat "$dir/redis/redis.log" >&2 || true
  exit 1
}

redis_pid() { cat "$dir/redis/redis.pid" 2>/dev/null || true; }

redis_end() { # SIGNAL: TERM (a clean stop: asked again for a while, then killed) or KILL (a crash)
  local pid
  pid="$(redis_pid)"
  [[ -n "$pid" ]] || return 0
  kill -CONT "$pid" 2>/dev/null || true
  if [[ "$1" == TERM ]]; then
    # Redis ignores a SIGTERM while it writes its first AOF (just after `CONFIG SET appendonly yes`): ask
    # again for a while, then kill it.
    local i
    for i in $(seq 250); do
      kill -0 "$pid" 2>/dev/null || break
      ((i % 25 != 1)) || kill -TERM "$pid" 2>/dev/null || true
      sleep 0.02
    done
  fi
  kill -KILL "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.02; done
  rm -f "$dir/redis/redis.pid"
}

redis_stop() { redis_end TERM; }
redis_crash() { redis_end KILL; }

pg_data() {
  local data
  data="$(recall TESSERA_POSTGRES_DATA)"
  if [[ -z "$data" ]]; then
    # Outside DIR: the postgres user must reach it, whatever DIR's parents allow.
    data="$(mktemp -d /tmp/tessera-pg.XXXXXX)"
    remember TESSERA_POSTGRES_DATA "$data"
  fi
  echo "$data"
}

postgres_start() {
  local bin data port password
  bin="$(pg_bin)"
  data="$(pg_data)"
  port="$(recall TESSERA_POSTGRES_PORT)"
  [[ -n "$port" ]] || port="$(free_port)"
  password="$(recall TESSERA_POSTGRES_PASSWORD)"
  [[ -n "$password" ]] || password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  if ((EUID == 0)); then chown postgres: "$data"; fi
  if [[ ! -f "$data/cluster/PG_VERSION" ]]; then
    printf '%s\n' "$password" >"$data/pwfile"
    if ((EUID == 0)); then chown postgres: "$data/pwfile"; fi
    as_pg "$bin/initdb" -D "$data/cluster" -U tessera --pwfile="$data/pwfile" --auth=scram-sha-256 \
      -E UTF8 --locale=C --no-sync >"$data/initdb.log" 2>&1 || { cat "$data/initdb.log" >&2; exit 1; }
    rm -f "$data/pwfile"
  fi
  as_pg "$bin/pg_ctl" -D "$data/cluster" -l "$data/postgres.log" -w -t 30 \
    -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null ||
    { cat "$data/postgres.log" >&2; exit 1; }
  remember TESSERA_POSTGRES_PORT "$port"
  remember TESSERA_POSTGRES_PASSWORD "$password"
  remember TESSERA_POSTGRES "host=127.0.0.1 port=$port user=tessera password=$password dbname=postgres"
}

postgres_pids() {
  local data pid
  data="$(recall TESSERA_POSTGRES_DATA)"
  [[ -n "$data" && -f "$data/cluster/postmaster.pid" ]] || return 0
  pid="$(head -n1 "$data/cluster/postmaster.pid")"
  echo "$pid" $(pgrep -P "$pid" || true)
}

postgres_stop() { # MODE: fast (clean) or immediate (a crash: no checkpoint)
  local data
  data="$(recall TESSERA_POSTGRES_DATA)"
  [[ -n "$data" && -f "$data/cluster/postmaster.pid" ]] || return 0
  local pids
  pids="$(postgres_pids)"
  [[ -z "$pids" ]] || kill -CONT $pids 2>/dev/null || true
  as_pg "$(pg_bin)/pg_ctl" -D "$data/cluster" -m "$1" -w stop >/dev/null 2>&1 || true
}

for_each() { # FUNCTION-SUFFIX: runs redis_X and/or postgres_X as `which` says
  case "$which" in
    redis) "redis_$1" ;;
    postgres) "postgres_$1" ;;
    all) "redis_$1"; "postgres_$1" ;;
    *) echo "servers.sh: unknown server '$which'" >&2; exit 2 ;;
  esac
}

redis_freeze() { local pid; pid="$(redis_pid)"; [[ -z "$pid" ]] || kill -STOP "$pid"; }
redis_thaw() { local pid; pid="$(redis_pid)"; [[ -z "$pid" ]] || kill -CONT "$pid"; }
postgres_freeze() { local p; p="$(postgres_pids)"; [[ -z "$p" ]] || kill -STOP $p; }
postgres_thaw() { local p; p="$(postgres_pids)"; [[ -z "$p" ]] || kill -CONT $p; }
postgres_crash() { postgres_stop immediate; }
postgres_halt() { postgres_stop fast; }
redis_halt() { redis_stop; }

stop_and_remove() {
  for_each halt
  if [[ "$which" == all ]]; then
    # Servers a test started for itself under DIR (to kill, freeze and restart) go too, even if
    # that test's process died before it could stop them.
    local private
    for private in "$dir"/private-*; do
      [[ -d "$private" ]] && bash "${BASH_SOURCE[0]}" stop all "$private"
    done
    local data sockets
    data="$(recall TESSERA_POSTGRES_DATA)"
    [[ -z "$data" ]] || rm -rf "$data"
    sockets="$(recall TESSERA_SOCKET_DIR)"
    [[ -z "$sockets" ]] || rm -rf "$sockets"
    rm -rf "$dir"
  fi
}

case "$action" in
  start) for_each start ;;
  fresh)
    stop_and_remove
    mkdir -p "$dir"
    for_each start
    ;;
  stop) stop_and_remove ;;
  crash) for_each crash ;;
  freeze) for_each freeze ;;
  thaw) for_each thaw ;;
  *) echo "servers.sh: unknown action '$action'" >&2; exit 2 ;;
esac
