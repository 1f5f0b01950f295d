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
#include <tessera/options.hpp>

namespace tessera::inline v0 {

/// The event sink of an authenticator that was given none: every event costs nothing.
struct no_events {
    template <class Event>
    constexpr void operator()(const Event&) const noexcept
    {
    }
};

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
};

} // namespace tessera::inline v0
