// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    What a revocation policy is: the concept every built-in policy satisfies
    and a user-written one can satisfy too, the context it is called with,
    and `all_of`, which composes policies.

    A policy is a type with static member functions; it holds no data (its
    state is in the authenticator's store), so composing policies costs
    nothing at run time. The authenticator calls:

    | member | when | required |
    |---|---|---|
    | `static constexpr bool needs_store` | at compile time: may the storage be `stateless`? | yes |
    | `check(ctx, claims) -> result<void>` | every `authenticate`, after signature and registered claims verified | yes |
    | `issue(ctx, subject, claims) -> result<void>` | every `issue`, before signing: add claims, write state | no |
    | `revoke(ctx, claims) -> result<void>` | `authenticator::revoke(token)`, which exists only if a policy has it | no |
    | `revoke_all(ctx, subject) -> result<std::size_t>` | `authenticator::revoke_all(subject)`, likewise | no |
    | `lookup(ctx, claims) -> result<K>` (`K` a string or `keys::key_text`) and `judge(ctx, claims, const record_view*) -> result<void>` | instead of `check`'s own read, when composed (below) | no |

    A check that reads one record can say so: `lookup` names the key it
    needs, `judge` decides from the record the store holds (nullptr: none).
    `all_of` then asks the store for every member's record at once
    (`get_many`, one round trip on Redis and PostgreSQL) instead of one read
    per member; `check` must still work alone (`check_by_lookup` writes it
    from the two). `judge` may run while the store holds a lock on the record
    (the memory store lends it in place, `reads_in_place`): it decides from
    its arguments alone and never calls the store.

    `ctx` is a `policy_context`: the store (when there is one), the instant
    of the call, the authenticator's options and its event sink; write a
    policy's functions over any `Ctx`, as the built-in ones are. A check that cannot reach
    its state must fail (`store_unavailable`), and a check whose state must
    exist but does not must refuse (`revoked`): never accept by default.
*/

#include <tessera/core/clock.hpp>
#include <tessera/core/result.hpp>
#include <tessera/jwt/claims.hpp>
#include <tessera/context.hpp>
#include <tessera/options.hpp>
#include <tessera/store/concepts.hpp>

#include <array>
#include <concepts>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

namespace tessera::inline v0 {

/// The Storage policy of a scheme that keeps no server-side state.
struct stateless {};

/** What a revocation policy is handed on every call: the operation's `request_context`
    (context.hpp) — the store, the instant of the call, the options and the event sink.

    @tparam Store the authenticator's storage policy (`stateless` or a `tessera::store`).
*/
template <class Store, class Events = no_events>
using policy_context = request_context<Store, Events>;

/// True when policy `P` contributes `issue` for a context `Ctx`.
template <class P, class Ctx>
concept policy_issues = requires(Ctx& ctx, std::string_view subject, jwt::claims& claims) {
    { P::issue(ctx, subject, claims) } -> std::same_as<result<void>>;
};

/// True when policy `P` contributes `revoke(token)`.
template <class P, class Ctx>
concept policy_revokes = requires(Ctx& ctx, const jwt::verified_claims& claims) {
    { P::revoke(ctx, claims) } -> std::same_as<result<void>>;
};

/// True when policy `P` contributes `revoke_all(subject)`.
template <class P, class Ctx>
concept policy_revokes_all = requires(Ctx& ctx, std::string_view subject) {
    { P::revoke_all(ctx, subject) } -> std::same_as<result<std::size_t>>;
};

/// True when policy `P` checks a token by reading one record: `lookup` names it, `judge` decides.
template <class P, class Ctx>
concept policy_looks_up = requires(Ctx& ctx, const jwt::verified_claims& claims, const record_view* found) {
    { *P::lookup(ctx, claims) } -> std::convertible_to<std::string_view>;
    { P::judge(ctx, claims, found) } -> std::same_as<result<void>>;
};

/// `check` for a policy that has `lookup` and `judge`: one read of the store, in place where it can.
template <class P, class Ctx>
result<void> check_by_lookup(Ctx& ctx, const jwt::verified_claims& claims)
{
    auto key = P::lookup(ctx, claims);
    if (!key)
        return fail(key.error());
    auto judged = detail::read_record(ctx.store, std::string_view{*key},
                                      [&](const record_view* found) { return P::judge(ctx, claims, found); });
    if (!judged)
        return fail(judged.error());
    return *judged;
}

/** A revocation policy for JWT access tokens, usable with storage `Store`.

    `server_side` and `refresh_rotation` are not: they choose the session and
    hybrid schemes, whose credentials are not plain JWTs.
*/
template <class P, class Store = stateless>
concept revocation_policy = std::is_empty_v<P> && std::default_initializable<P> &&
                            std::same_as<std::remove_cv_t<decltype(P::needs_store)>, bool> &&
                            requires(policy_context<Store>& ctx, const jwt::verified_claims& claims) {
                                { P::check(ctx, claims) } -> std::same_as<result<void>>;
                            };

/** Several policies at once, in the order written: a token passes only if
    every one accepts it; `issue` runs each member's `issue`; the composition
    offers `revoke` if any member does, and `revoke_all` if any member does,
    calling every member that has it.
*/
template <class... Policies>
struct all_of {
    static_assert(sizeof...(Policies) > 0, "tessera: all_of<> needs at least one policy");

    static constexpr bool needs_store = (Policies::needs_store || ...);

    template <class Ctx>
    static result<void> issue(Ctx& ctx, std::string_view subject, jwt::claims& claims)
    {
        result<void> r;
        (void)((r = issue_one<Policies>(ctx, subject, claims)) && ...);
        return r;
    }

    /** Every member's check, in the order written; the first refusal is the answer.
        Members that read one record each (`lookup`/`judge`) are served by one `get_many`
        when the store has it and two or more of them are composed.
    */
    template <class Ctx>
    static result<void> check(Ctx& ctx, const jwt::verified_claims& claims)
    {
        if constexpr (batch_reads<std::remove_cvref_t<decltype(ctx.store)>> &&
                      (std::size_t{policy_looks_up<Policies, Ctx>} + ...) >= 2) {
            return check_batched(ctx, claims);
        } else {
            result<void> r;
            (void)((r = Policies::check(ctx, claims)) && ...);
            return r;
        }
    }

    template <class Ctx>
        requires(policy_revokes<Policies, Ctx> || ...)
    static result<void> revoke(Ctx& ctx, const jwt::verified_claims& claims)
    {
        result<void> r;
        (void)((r = revoke_one<Policies>(ctx, claims)) && ...);
        return r;
    }

    template <class Ctx>
        requires(policy_revokes_all<Policies, Ctx> || ...)
    static result<std::size_t> revoke_all(Ctx& ctx, std::string_view subject)
    {
        std::size_t total = 0;
        result<void> r;
        (void)((r = revoke_all_one<Policies>(ctx, subject, total)) && ...);
        if (!r)
            return fail(r.error());
        return total;
    }

private:
    // The members' keys in order, up to the first member that cannot name one (its error ends the check
    // after the members before it have judged, as the one-by-one order would); then one read; then judgement.
    template <class Ctx>
    static result<void> check_batched(Ctx& ctx, const jwt::verified_claims& claims)
    {
        constexpr std::size_t n = sizeof...(Policies);
        std::array<std::size_t, n> slot{};
        std::vector<std::string> wanted;
        wanted.reserve(n);
        std::error_code stop;
        std::size_t named = 0;
        (void)((lookup_one<Policies>(ctx, claims, slot[named], wanted, stop) && ++named) && ...);
        if (named == 0)
            return fail(stop);
        std::vector<std::optional<record>> found;
        if (!wanted.empty()) {
            auto read = ctx.store.get_many(std::span<const std::string>{wanted});
            if (!read)
                return fail(read.error());
            if (read->size() != wanted.size())
                return fail(store_failure::corrupt_reply);
            found = std::move(*read);
        }
        result<void> r;
        std::size_t i = 0;
        (void)((i >= named || ((r = judge_one<Policies>(ctx, claims, found, slot[i])), ++i, r.has_value())) && ...);
        if (!r)
            return r;
        if (stop)
            return fail(stop);
        return {};
    }
    template <class P, class Ctx>
    static bool lookup_one(Ctx& ctx, const jwt::verified_claims& claims, std::size_t& slot,
                           std::vector<std::string>& wanted, std::error_code& stop)
    {
        if constexpr (policy_looks_up<P, Ctx>) {
            auto key = P::lookup(ctx, claims);
            if (!key) {
                stop = key.error();
                return false;
            }
            slot = wanted.size();
            wanted.emplace_back(std::string_view{*key});
        }
        return true;
    }
    template <class P, class Ctx>
    static result<void> judge_one(Ctx& ctx, const jwt::verified_claims& claims,
                                  const std::vector<std::optional<record>>& found, std::size_t slot)
    {
        if constexpr (policy_looks_up<P, Ctx>) {
            if (!found[slot])
                return P::judge(ctx, claims, nullptr);
            const record_view view{*found[slot]};
            return P::judge(ctx, claims, &view);
        } else
            return P::check(ctx, claims);
    }
    template <class P, class Ctx>
    static result<void> issue_one(Ctx& ctx, std::string_view subject, jwt::claims& claims)
    {
        if constexpr (policy_issues<P, Ctx>)
            return P::issue(ctx, subject, claims);
        else
            return {};
    }
    template <class P, class Ctx>
    static result<void> revoke_one(Ctx& ctx, const jwt::verified_claims& claims)
    {
        if constexpr (policy_revokes<P, Ctx>)
            return P::revoke(ctx, claims);
        else
            return {};
    }
    template <class P, class Ctx>
    static result<void> revoke_all_one(Ctx& ctx, std::string_view subject, std::size_t& total)
    {
        if constexpr (policy_revokes_all<P, Ctx>) {
            auto n = P::revoke_all(ctx, subject);
            if (!n)
                return fail(n.error());
            total += *n;
        }
        return {};
    }
};

} // namespace tessera::inline v0
