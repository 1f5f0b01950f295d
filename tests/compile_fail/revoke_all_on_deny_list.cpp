// SPDX-License-Identifier: BSL-1.0
// A deny list revokes one token; it offers no "log out everywhere" (token_version does).
#include <tessera/authenticator.hpp>
int main()
{
    tessera::memory_store store;
    tessera::authenticator<tessera::memory_store, tessera::jwt::hs256, tessera::deny_list> auth{
        store, tessera::jwt::hmac_key<tessera::jwt::hs256>::generate(), {.issuer = "https://auth.example", .audience = "api"}};
#ifndef TESSERA_TWIN
    (void)auth.revoke_all("alice");
#else
    (void)auth.revoke("token");
#endif
}
