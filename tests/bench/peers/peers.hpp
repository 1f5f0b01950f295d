// SPDX-License-Identifier: BSL-1.0
#pragma once
// The JWT libraries of Debian that tessera is measured against, each behind plain functions of its
// own translation unit (libjwt's `struct jwt` and cpp-jwt's `namespace jwt` cannot meet in one).
// Each is configured to make tessera's checks where it can: the signature with the algorithm the
// caller expects (never the token's own choice), then `iss`, `aud` and `exp`.

#include <cstdint>
#include <string>

namespace peers {

enum class alg { hs256, hs512, rs256, es256 };

/// The claims every benchmark signs: sub, iss, aud, iat, exp and one application claim.
struct claims {
    std::string subject, issuer, audience;
    std::int64_t issued_at = 0, expires_at = 0;
};

/** `key`: the HMAC secret's bytes, or a PEM key (SPKI to verify, PKCS#8 to sign).
    libjwt 1.10 checks no claim and takes the algorithm from the token: the algorithm and the
    claims are checked here, after `jwt_decode`, as its users must. */
bool libjwt_verify(alg a, const std::string& token, const std::string& key, const std::string& issuer,
                   const std::string& audience, std::int64_t now);
std::string libjwt_sign(alg a, const std::string& key, const claims& c);

/// cpp-jwt checks the algorithm (an allow-list), `iss`, `aud` and `exp` itself (on the system clock).
bool cppjwt_verify(alg a, const std::string& token, const std::string& key, const std::string& issuer,
                   const std::string& audience);
std::string cppjwt_sign(alg a, const std::string& key, const claims& c);

} // namespace peers
