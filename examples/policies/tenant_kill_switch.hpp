// SPDX-License-Identifier: BSL-1.0
#pragma once
// A revocation policy written outside tessera, against tessera::revocation_policy:
// a per-tenant kill switch. An operator who learns that one customer's
// tenant is compromised switches it off, and every access token naming that
// tenant is refused at once, whoever it was issued to.
//
// It composes with tessera's own policies:
//   using api = tessera::authenticator<tessera::memory_store, tessera::jwt::hs256,
//                                      tessera::all_of<tessera::token_version, tenant_kill_switch>>;
// and the composition keeps token_version's revoke_all(subject).
//
// What a lost store means for it: the switch is a record like a deny-list
// entry, so a store that forgot its state forgets that a tenant was switched
// off. Keep it in a store that survives restarts.

#include <tessera/core/result.hpp>
#include <tessera/jwt/claims.hpp>
#include <tessera/store/concepts.hpp>
#include <tessera/store/keys.hpp>

#include <chrono>
#include <string>
#include <string_view>

struct tenant_kill_switch {
    /// Its state (the switched-off tenants) is in the authenticator's store.
    static constexpr bool needs_store = true;

    /// The claim that names a token's tenant; the application passes it to `issue`.
    static constexpr std::string_view claim = "tenant";

    /// Its records, in a namespace of its own: no built-in kind, and no other policy, can reach them.
    static std::string key(std::string_view tenant) { return tessera::keys::extension("tenant-off", tenant); }

    /// At issue: a token that names no tenant could never be switched off, so it is not issued.
    template <class Context>
    static tessera::result<void> issue(Context&, std::string_view, tessera::jwt::claims& claims)
    {
        const auto* tenant = claims.json().if_contains(claim);
        if (tenant == nullptr || !tenant->is_string() || tenant->get_string().empty())
            return tessera::fail(tessera::errc::missing_claim);
        return {};
    }

    /// On every authenticate: one store read. A store that cannot answer fails closed.
    template <class Context>
    static tessera::result<void> check(Context& ctx, const tessera::jwt::verified_claims& claims)
    {
        const auto* tenant = claims.find(claim);
        if (tenant == nullptr || !tenant->is_string())
            return tessera::fail(tessera::errc::missing_claim);
        auto off = ctx.store.get(key(tenant->get_string()));
        if (!off)
            return tessera::fail(off.error());
        if (*off)
            return tessera::fail(tessera::errc::revoked);
        return {};
    }

    // The policy's own operations, called with the store the authenticator uses.

    /// Switches `tenant` off until `until` (far beyond any token's lifetime).
    template <tessera::store Store>
    static tessera::result<void> switch_off(Store& store, std::string_view tenant, tessera::time_point until)
    {
        return store.put(key(tenant), "", until, {});
    }

    /// Switches `tenant` back on; true if it was off.
    template <tessera::store Store>
    static tessera::result<bool> switch_on(Store& store, std::string_view tenant)
    {
        return store.erase(key(tenant));
    }
};
