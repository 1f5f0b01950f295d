// SPDX-License-Identifier: BSL-1.0
// A revocation policy is a type with behaviour, written against tessera::revocation_policy.
#include <tessera/authenticator.hpp>
#ifndef TESSERA_TWIN
struct policy {
    static constexpr bool needs_store = false;
};
#else
struct policy {
    static constexpr bool needs_store = false;
    template <class Ctx>
    static tessera::result<void> check(Ctx&, const tessera::jwt::verified_claims&)
    {
        return {};
    }
};
#endif
using subject = tessera::authenticator<tessera::stateless, tessera::jwt::hs256, policy>;
static_assert(sizeof(subject) > 0);
int main() {}
