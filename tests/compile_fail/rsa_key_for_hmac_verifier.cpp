// SPDX-License-Identifier: BSL-1.0
// Algorithm confusion: an RSA public key cannot be handed to an HMAC verifier.
#include <tessera/jwt.hpp>
int main()
{
#ifndef TESSERA_TWIN
    auto key = tessera::jwt::public_key<tessera::jwt::rs256>::from_pem("").value();
#else
    auto key = tessera::jwt::hmac_key<tessera::jwt::hs256>::generate();
#endif
    tessera::jwt::verifier<tessera::jwt::hs256> verifier{key};
}
