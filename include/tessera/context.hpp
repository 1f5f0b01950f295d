// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `request_context`: what one operation of a scheme works with, made once
    when the operation starts and handed to every part of it — the store, the
    instant of the operation (the clock is read once), the authenticator's
    options and its event sink. A revocation policy is handed the same
    context (`policy_context`), so a policy and the scheme that calls it agree
    on the time and the store by construction.
*/

#include <tessera/core/clock.hpp>
#include <tessera/core/error.hpp>
#include <tessera/core/result.hpp>
#include <tessera/events.hpp>
#include <tessera/options.hpp>

#include <cstddef>
#include <string_view>
#include <type_traits>
#include <utility>

namespace tessera::inline v0 {

/** One operation's context.

    @tparam Store the authenticator's storage (`stateless` or a `tessera::store`).
    @tparam Events the authenticator's event sink (`no_events` unless one was given).
*/
template <class Store, class Events = no_events>
struct request_context {
    /// The authenticator's store (a `stateless` placeholder when it has none).
    Store& store;
    /// The instant of this operation, on the authenticator's clock: read once, used for every decision.
    time_point now;
    const authenticator_options& options;
    /// Where the operation's security events go.
    Events& events;

    /// Whether anything listens: without a sink, no event is even built.
    static constexpr bool observed = !std::is_same_v<Events, no_events>;

    /// Hands `e` to the sink.
    void emit(const security_event& e) const noexcept
    {
        if constexpr (observed)
            events(e);
    }

    /** What an operation of `scheme` that returned `r` tells the sink: `on_success()` if it succeeded,
        `on_failure(error)` if it failed otherwise than for the store; a store that could not answer is
        `store_unavailable`, with its cause. Nothing at all without a sink.
    */
    template <class T, class OnSuccess, class OnFailure>
    void report(std::string_view scheme, const result<T>& r, OnSuccess&& on_success, OnFailure&& on_failure) const
        noexcept
    {
        if constexpr (observed) {
            if (r)
                on_success();
            else if (r.error() == condition::unavailable)
                emit(security_event{event_kind::store_unavailable, scheme, now, {}, {}, {}, {}, 0, r.error()});
            else
                on_failure(r.error());
        }
    }
    template <class T, class OnSuccess>
    void report(std::string_view scheme, const result<T>& r, OnSuccess&& on_success) const noexcept
    {
        report(scheme, r, std::forward<OnSuccess>(on_success), [](const std::error_code&) {});
    }

    /// What a `revoke_all(subject)` that returned `ended` tells the sink: how many credentials ended.
    void report_revoke_all(std::string_view scheme, std::string_view subject, const result<std::size_t>& ended) const
        noexcept
    {
        report(scheme, ended,
               [&] { emit({event_kind::revoked_everywhere, scheme, now, subject, {}, {}, {}, *ended}); });
    }
};

} // namespace tessera::inline v0
