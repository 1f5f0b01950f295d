// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    A small pool of connections to a network store, shared by the Redis and
    PostgreSQL stores: at most N open, a request waits a bounded time for a
    free one, and a connection that failed is closed rather than returned, so
    the next request opens a fresh one (which is how a store recovers once
    its server is back).
*/

#include <tessera/core/error.hpp>
#include <tessera/core/result.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::inline v0::detail {

/** The checks every network store's options share (`connections`, the timeouts, `max_clock_skew`,
    and `settings_check_interval` where the store has one), in one place.
    @throws tessera::error `invalid_configuration`, naming the store and the setting.
*/
template <class Options>
void check_network_options(std::string_view store, const Options& o)
{
    const auto refuse = [&](std::string_view why) {
        throw error{errc::invalid_configuration, std::string{store} + ": " + std::string{why}};
    };
    if (o.connections == 0 || o.connections > 256)
        refuse("connections must be 1 to 256");
    if (o.connect_timeout.count() <= 0 || o.command_timeout.count() <= 0)
        refuse("timeouts must be positive");
    if (o.max_clock_skew.count() < 0)
        refuse("max_clock_skew cannot be negative");
    if constexpr (requires { o.settings_check_interval; })
        if (o.settings_check_interval.count() <= 0)
            refuse("the settings check interval must be positive");
}

/// A pool's `Open` for a client that opens its own connections (`client.open(cause)`).
template <class Client>
struct opens_with {
    const Client* client;
    auto operator()(store_failure& cause) const { return client->open(cause); }
};

/** Connections of type `Handle` (a move-only owner, such as a `unique_ptr`), opened by `Open`.

    `Open` is `Handle(store_failure& cause)`: a null handle means no connection was made, and `cause` says why.
*/
template <class Handle, class Open>
class connection_pool {
public:
    connection_pool(std::size_t size, std::chrono::milliseconds wait, Open open)
        : open_fn_(std::move(open)), size_(size), wait_(wait)
    {
    }

    /// Adds an already open connection (the one a store opens at start-up to check its settings).
    void adopt(Handle h)
    {
        std::lock_guard lock{mutex_};
        idle_.push_back(std::move(h));
        ++open_;
    }

    /// A free connection, a new one if fewer than `size` are open; `busy` after `wait`, or why no new one opened.
    result<Handle> borrow()
    {
        std::unique_lock lock{mutex_};
        const auto deadline = std::chrono::steady_clock::now() + wait_;
        while (idle_.empty() && open_ >= size_)
            if (ready_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && open_ >= size_)
                return fail(store_failure::busy);
        if (!idle_.empty()) {
            Handle h = std::move(idle_.back());
            idle_.pop_back();
            return h;
        }
        ++open_;
        lock.unlock();
        store_failure cause = store_failure::refused;
        Handle h = open_fn_(cause);
        if (!h) {
            lock.lock();
            --open_;
            ready_.notify_one();
            return fail(cause);
        }
        return h;
    }

    /// A connection that is in step with its server goes back to the pool.
    void give_back(Handle h)
    {
        std::lock_guard lock{mutex_};
        idle_.push_back(std::move(h));
        ready_.notify_one();
    }

    /// A connection that failed mid-request (reset, timeout, end of stream) is closed, never reused.
    failure lost(Handle& h, store_failure cause)
    {
        h = Handle{};
        std::lock_guard lock{mutex_};
        --open_;
        ready_.notify_one();
        return fail(cause);
    }

private:
    Open open_fn_;
    std::size_t size_;
    std::chrono::milliseconds wait_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::vector<Handle> idle_;
    std::size_t open_ = 0;
};

} // namespace tessera::inline v0::detail
