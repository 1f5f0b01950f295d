// SPDX-License-Identifier: BSL-1.0
// An HMAC ring's keys are secrets: it has no JWK Set to publish. (The twin's ring is EdDSA's.)
#include <tessera/jwt/key_ring.hpp>
#ifndef TESSERA_TWIN
using algorithm = tessera::jwt::hs256;
#else
using algorithm = tessera::jwt::eddsa;
#endif
int main()
{
    tessera::jwt::key_ring<algorithm> ring;
    (void)ring.jwks();
}
