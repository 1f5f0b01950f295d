// SPDX-License-Identifier: BSL-1.0
// A pure JWT scheme has nothing to refresh with: refresh does not exist.
#include <tessera/authenticator.hpp>
int main()
{
    tessera::jwt_authenticator<tessera::jwt::hs256> auth{tessera::jwt::hmac_key<tessera::jwt::hs256>::generate(),
                                                         {.issuer = "https://auth.example", .audience = "api"}};
#ifndef TESSERA_TWIN
    (void)auth.refresh("token");
#else
    (void)auth.authenticate("token");
#endif
}
