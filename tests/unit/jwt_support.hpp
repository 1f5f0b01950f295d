// SPDX-License-Identifier: BSL-1.0
#pragma once
// Helpers shared by the JWT suites.

#include "support.hpp"

#include <tessera/jwt.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <string_view>

namespace jwt = tessera::jwt;
using tessera::errc;

namespace test {

inline tessera::time_point at(std::int64_t epoch)
{
    return tessera::time_point{std::chrono::seconds{epoch}};
}

/// The instant the JWT suites sign and verify at (November 2023).
inline const tessera::time_point now = at(1'700'000'000);

/// A token with the exact header and payload text given, MACed with `key`.
template <class Alg>
std::string forge(std::string_view header, std::string_view payload, const jwt::hmac_key<Alg>& key)
{
    std::string token = tessera::base64url::encode(header) + "." + tessera::base64url::encode(payload);
    const auto mac = key.sign(token);
    return token + "." + tessera::base64url::encode(mac);
}

/// A fixed 32-byte HS256 key, so forged test tokens are reproducible.
inline jwt::hmac_key<jwt::hs256> hs256_key()
{
    return jwt::hmac_key<jwt::hs256>::from_bytes(std::vector<std::uint8_t>(32, 0x5a)).value();
}

/// Replaces the character at `index` of `s` with `c`.
inline std::string with_char(std::string s, std::size_t index, char c)
{
    s.at(index) = c;
    return s;
}

} // namespace test
