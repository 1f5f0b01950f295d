// SPDX-License-Identifier: BSL-1.0
#include <tessera/jwt.hpp>
#include <tessera/version.hpp>
#include <iostream>

int main()
{
    namespace jwt = tessera::jwt;
    auto key = jwt::hmac_key<jwt::hs256>::generate();
    auto token = jwt::signer<jwt::hs256>{key}.sign(jwt::claims{}.subject("42"));
    jwt::verifier<jwt::hs256> verify{key, {.require_exp = false}};
    std::cout << "tessera " << tessera::version_string << ": " << (verify(*token) ? "verified" : "refused") << '\n';
    return verify(*token) ? 0 : 1;
}
