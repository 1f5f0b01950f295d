#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# What `./dev demo` runs: the hybrid scheme's demo server on http://127.0.0.1:8080/ (in a terminal,
# until Ctrl-C), with a fresh user whose password it prints. Without a terminal (CI, a pipe), a
# scripted visit instead: log in, ask who it is, refresh, log out, ask again, each answer shown; exit 0
# when every status is the one expected.
set -euo pipefail
server="$1"
source "$(dirname "${BASH_SOURCE[0]}")/process.sh"

if [[ -t 0 && -t 1 && -z "${CI:-}" ]]; then
  echo "Open http://127.0.0.1:${TESSERA_DEMO_PORT:-8080}/ and log in with the user printed below; Ctrl-C stops."
  "$server" --port "${TESSERA_DEMO_PORT:-8080}" --users "$work/users.txt" || true # Ctrl-C: a graceful stop
  exit 0
fi

demo_start "$server"
url="$demo_url" password="$demo_password"
origin="${url%/}"
head -n2 "$work/out"

failed=0
# step EXPECTED-STATUS DESCRIPTION curl-arguments...: shows the request, the status and the body.
step() {
  local want="$1" what="$2"
  shift 2
  printf '\n$ %s\n' "$what"
  local status
  status="$(curl -s -o "$work/body" -w '%{http_code}' -b "$work/jar" -c "$work/jar" "$@")"
  printf '%s %s\n' "$status" "$(cat "$work/body")"
  [[ "$status" == "$want" ]] || { echo "expected $want" >&2; failed=1; }
}
json() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$work/body"; }

step 200 "POST /login {\"username\":\"demo\",\"password\":\"…\"}" -X POST -H "Origin: $origin" \
  -H 'Content-Type: application/json' --data "{\"username\":\"demo\",\"password\":\"$password\"}" "$url"login
access="$(json access_token)"
step 200 "GET /api/me   (Authorization: Bearer ACCESS_TOKEN)" -H "Authorization: Bearer $access" "$url"api/me
step 401 "GET /api/me   (no credential)" "$url"api/me
step 200 "POST /refresh (the HttpOnly refresh cookie; a new pair)" -X POST -H "Origin: $origin" "$url"refresh
old="$access"
access="$(json access_token)"
step 200 "GET /api/sessions (this device)" -H "Authorization: Bearer $access" "$url"api/sessions
refresh="$(awk '$6 == "tessera-refresh" { print $7 }' "$work/jar")"
step 200 "POST /logout" -X POST -H "Origin: $origin" -H "Authorization: Bearer $access" "$url"logout
step 401 "GET /api/me   (the access token of the ended session)" -H "Authorization: Bearer $access" "$url"api/me
step 401 "GET /api/me   (the access token before the refresh)" -H "Authorization: Bearer $old" "$url"api/me
step 401 "POST /refresh (the refresh cookie of the ended session)" -X POST -H "Origin: $origin" \
  -H "Cookie: tessera-refresh=$refresh" "$url"refresh
echo
if ((failed == 0)); then
  echo "Every answer was the one expected. Run ./dev demo in a terminal to use the page in a browser."
fi
exit "$failed"
