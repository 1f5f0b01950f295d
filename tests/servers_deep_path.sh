#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# The servers start from a folder as deep as a clone may be: a Unix socket path is limited to
# 107 bytes, so nothing with that limit may live under the build tree.
#   servers_deep_path.sh SERVERS_SH WORK
set -euo pipefail
servers="$1" work="$2"
deep="$work/$(printf 'a-folder-as-deep-as-a-clone-may-be/%.0s' 1 2 3 4)servers"
((${#deep} > 120)) || { echo "the folder is not deep enough: $deep" >&2; exit 1; }
trap 'bash "$servers" stop all "$deep"; rm -rf "$work"' EXIT
bash "$servers" start redis "$deep"
socket="$(sed -n 's/^TESSERA_REDIS_SOCKET=//p' "$deep/env")"
password="$(sed -n 's/^TESSERA_REDIS_PASSWORD=//p' "$deep/env")"
((${#socket} < 100)) || { echo "socket path too long: $socket" >&2; exit 1; }
redis-cli -s "$socket" --user tessera --pass "$password" --no-auth-warning ping | grep -qx PONG
echo "redis answers on $socket, started from a ${#deep}-byte folder"
