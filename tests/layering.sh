#!/usr/bin/env bash
# SPDX-License-Identifier: BSL-1.0
# The layering of tessera's headers (README, "Layout"): a header may include headers of a lower layer,
# and headers of its own folder; never one of its own layer elsewhere, never one above.
#   layering.sh INCLUDE_DIR      checks the tree; lists every include that breaks the rule
#   layering.sh --self-test      checks that an upward include in a copy of the tree is found
set -euo pipefail

layer_of() { # a path under include/tessera -> its layer
  case "$1" in
    # Headers kept where earlier versions had them, forwarding to the scheme layer: above it.
    session/session.hpp | revocation/refresh_families.hpp) echo 6 ;;
    core/* | version.hpp) echo 0 ;;
    detail/* | options.hpp | events.hpp) echo 1 ;;
    jwt/* | store/* | context.hpp | credentials.hpp) echo 2 ;;
    password/* | events/* | fleet/*) echo 3 ;;
    revocation/* | http/*) echo 4 ;;
    scheme/*) echo 5 ;;
    authenticator.hpp) echo 6 ;;
    core.hpp | jwt.hpp | beast.hpp) echo 7 ;;
    tessera.hpp) echo 8 ;;
    *) echo unknown ;;
  esac
}

folder_of() { [[ "$1" == */* ]] && echo "${1%%/*}" || echo "."; }

check() { # INCLUDE_DIR
  local root="$1/tessera" bad=0 header from to line
  [[ -d "$root" ]] || { echo "layering.sh: no $root" >&2; return 2; }
  while IFS= read -r header; do
    from="${header#"$root"/}"
    if [[ "$(layer_of "$from")" == unknown ]]; then
      echo "$from: in no layer (add its folder to tests/layering.sh and README's picture)"
      bad=1
      continue
    fi
    while IFS= read -r line; do
      to="$(sed -E 's/^#include <tessera\/([^>]+)>.*/\1/' <<<"$line")"
      if [[ "$(folder_of "$to")" == "$(folder_of "$from")" && "$(folder_of "$from")" != "." ]]; then
        continue
      fi
      if [[ "$(layer_of "$to")" == unknown ]] || (($(layer_of "$to") >= $(layer_of "$from"))); then
        echo "$from (layer $(layer_of "$from")) includes $to (layer $(layer_of "$to"))"
        bad=1
      fi
    done < <(grep -E '^#include <tessera/' "$header" || true)
  done < <(find "$root" -name '*.hpp' | sort)
  return "$bad"
}

if [[ "${1:-}" == --self-test ]]; then
  here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  copy="$(mktemp -d)"
  trap 'rm -rf "$copy"' EXIT
  cp -r "$here/include" "$copy/"
  # A store that reaches up into the scheme layer: the check must name it.
  sed -i '0,/^#include <tessera\//s//#include <tessera\/scheme\/session.hpp>\n&/' "$copy/include/tessera/store/memory.hpp"
  if out="$(check "$copy/include")"; then
    echo "layering.sh: an upward include was not found" >&2
    exit 1
  fi
  grep -qx 'store/memory.hpp (layer 2) includes scheme/session.hpp (layer 5)' <<<"$out" ||
    { echo "layering.sh: unexpected report: $out" >&2; exit 1; }
  echo "an upward include is found: $out"
  exit 0
fi
check "${1:?usage: layering.sh INCLUDE_DIR | --self-test}" && echo "every include goes down a layer or stays in its folder"
