#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# What `./dev demo cli` shows: tessera-jwt signing, decoding and verifying a token,
# and refusing the same token after one byte of it is changed.
set -euo pipefail
jwt="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [[ -t 1 && -z "${NO_COLOR+set}" ]]; then
  step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
else
  step() { printf '\n$ %s\n' "$*"; }
fi

# A demo HMAC key: 64 random bytes (HS256 refuses keys under 32 bytes).
head -c 64 /dev/urandom > "$work/hs256.key"

step "tessera-jwt sign --alg HS256 --key hs256.key --sub alice --iss https://auth.example --aud api --ttl 900"
token="$("$jwt" sign --alg HS256 --key "$work/hs256.key" --sub alice --iss https://auth.example --aud api --ttl 900 \
         --claims '{"role":"admin"}')"
echo "$token"

step "tessera-jwt decode TOKEN"
"$jwt" decode "$token"

exp="$("$jwt" decode --json "$token" | sed -n 's/.*"exp":\([0-9]*\).*/\1/p')"
step "tessera-jwt time $exp"
"$jwt" time "$exp"

step "tessera-jwt verify --alg HS256 --key hs256.key --iss https://auth.example --aud api TOKEN"
"$jwt" verify --alg HS256 --key "$work/hs256.key" --iss https://auth.example --aud api "$token"

# Change one character of the payload: the MAC no longer matches.
tampered="${token%%.*}.$(cut -d. -f2 <<<"$token" | sed 's/^./X/').${token##*.}"
step "tessera-jwt verify ... TAMPERED_TOKEN"
if "$jwt" verify --alg HS256 --key "$work/hs256.key" --iss https://auth.example --aud api "$tampered"; then
  echo "tampered token accepted: this must never happen" >&2
  exit 1
fi

step "tessera-jwt verify --alg RS256 ... TOKEN   (the token says HS256; the verifier pins RS256)"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/rsa.pem" 2>/dev/null
if "$jwt" verify --alg RS256 --key "$work/rsa.pem" "$token"; then
  echo "algorithm confusion accepted: this must never happen" >&2
  exit 1
fi
echo
echo "tessera refused both forgeries."
