// SPDX-License-Identifier: BSL-1.0
// A provider never publishes a MAC key: a remote key set of HS256 does not compile. (The twin's is RS256.)
#include <tessera/jwt/remote_key_set.hpp>
#ifndef TESSERA_TWIN
using algorithm = tessera::jwt::hs256;
#else
using algorithm = tessera::jwt::rs256;
#endif
struct no_fetch {
    tessera::result<tessera::jwt::fetch_response> operator()(const tessera::jwt::fetch_request&) const
    {
        return tessera::fail(tessera::fetch_failure::unreachable);
    }
};
int main()
{
    tessera::jwt::remote_key_set<tessera::jwt::verifier<algorithm>, no_fetch> keys{{}, "https://issuer.example/jwks"};
    (void)keys.status();
}
