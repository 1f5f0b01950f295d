// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    JSON Web Tokens: algorithms, keys, JWK Sets, signing, verification and
    unverified decoding for debugging.
*/

#include <tessera/jwt/algorithms.hpp>
#include <tessera/jwt/claims.hpp>
#include <tessera/jwt/decode.hpp>
#include <tessera/jwt/jwks.hpp>
#include <tessera/jwt/key_ring.hpp>
#include <tessera/jwt/keys.hpp>
#include <tessera/jwt/ring_file.hpp>
#include <tessera/jwt/sign.hpp>
#include <tessera/jwt/token.hpp>
#include <tessera/jwt/verify.hpp>
