// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    Everything tessera offers without optional dependencies.
*/

#include <tessera/authenticator.hpp>
#include <tessera/context.hpp>
#include <tessera/core.hpp>
#include <tessera/credentials.hpp>
#include <tessera/events.hpp>
#include <tessera/events/json_lines.hpp>
#include <tessera/fleet/key_ring.hpp>
#include <tessera/http/cookie.hpp>
#include <tessera/http/csrf.hpp>
#include <tessera/jwt.hpp>
#include <tessera/options.hpp>
#include <tessera/password/hash.hpp>
#include <tessera/password/throttle.hpp>
#include <tessera/revocation/policies.hpp>
#include <tessera/scheme/refresh_families.hpp>
#include <tessera/scheme/session_manager.hpp>
#include <tessera/store/concepts.hpp>
#include <tessera/store/keys.hpp>
#include <tessera/store/memory.hpp>
#include <tessera/version.hpp>

// Optional stores are included on their own, with their component target:
//   #include <tessera/store/sqlite.hpp>   (tessera::sqlite)
