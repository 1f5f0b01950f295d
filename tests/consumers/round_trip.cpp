// SPDX-License-Identifier: BSL-1.0
// A consumer of an installed (or added) tessera: sign a token, verify it, refuse a forgery.
#include <tessera/jwt.hpp>
#include <tessera/version.hpp>

#include <chrono>
#include <iostream>

int main()
{
    namespace jwt = tessera::jwt;
    const auto key = jwt::hmac_key<jwt::hs256>::generate();
    const auto now = tessera::system_clock{}.now();
    auto token = jwt::signer<jwt::hs256>{key}.sign(
        jwt::claims{}.subject("42").issuer("https://auth.example").audience("api").lifetime(now, std::chrono::minutes{5}));
    jwt::verifier<jwt::hs256> verify{key, {.issuers = {"https://auth.example"}, .audiences = {"api"}}};
    auto claims = verify(*token);
    auto forged = verify(*token + "x");
    if (!claims || claims->subject() != "42" || forged) {
        std::cerr << "round trip failed\n";
        return 1;
    }
    std::cout << "tessera " << tessera::version_string << ": signed and verified for " << claims->subject() << '\n';
    return 0;
}
