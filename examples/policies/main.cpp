// SPDX-License-Identifier: BSL-1.0
// A user-written revocation policy composed with a built-in one: prints what
// each step does to two tenants' tokens.

#include "tenant_kill_switch.hpp"

#include <tessera/authenticator.hpp>

#include <iostream>

int main()
{
    using namespace std::chrono_literals;
    namespace jwt = tessera::jwt;
    using api_t = tessera::authenticator<tessera::memory_store, jwt::hs256,
                                         tessera::all_of<tessera::token_version, tenant_kill_switch>>;

    tessera::memory_store store;
    api_t api{store, jwt::hmac_key<jwt::hs256>::generate(), {.issuer = "https://auth.example", .audience = "api"}};

    auto show = [&](const char* step, const std::string& who, const tessera::credentials& c) {
        auto p = api.authenticate(c.access_token);
        std::cout << step << ": " << who << " -> " << (p ? "ok" : tessera::to_string(p.error())) << '\n';
    };
    auto alice = api.issue("alice", {{"tenant", "acme"}}).value();
    auto bob = api.issue("bob", {{"tenant", "globex"}}).value();
    std::cout << "issue without a tenant: " << tessera::to_string(api.issue("carol").error()) << '\n';
    show("issued", "alice@acme", alice);
    show("issued", "bob@globex", bob);

    tenant_kill_switch::switch_off(store, "acme", tessera::system_clock{}.now() + 24h).value();
    show("acme switched off", "alice@acme", alice);
    show("acme switched off", "bob@globex", bob);

    (void)api.revoke_all("bob"); // token_version's operation, offered by the composition
    show("bob logged out everywhere", "bob@globex", bob);

    tenant_kill_switch::switch_on(store, "acme").value();
    show("acme switched on", "alice@acme", alice);
}
