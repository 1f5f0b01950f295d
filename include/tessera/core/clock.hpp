// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    Clocks for expiry decisions: `system_clock` in production, `manual_clock`
    in tests. Both tell whole seconds since the Unix epoch, the resolution of
    JWT NumericDate claims and cookie Max-Age.
*/

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <memory>

#include <time.h>

namespace tessera::inline v0 {

/// A point in time, in whole seconds since 1970-01-01T00:00:00Z.
using time_point = std::chrono::sys_seconds;

/** The last instant tessera reads from a token or a store record: 9999-12-31T23:59:59Z.
    Every time read back is checked against [0, this], so that adding a lifetime to it never overflows.
*/
inline constexpr std::int64_t max_time_seconds = 253'402'300'799;

/// The longest lifetime tessera accepts in its options (100 years): with `max_time_seconds`, sums stay in range.
inline constexpr std::chrono::seconds max_lifetime{std::int64_t{100} * 366 * 24 * 3600};

/** The wall clock, truncated to seconds. Stateless: holding one costs no space.

    On Linux it is read at the kernel's last tick (`CLOCK_REALTIME_COARSE`, a few milliseconds
    behind at most, and about a quarter of the cost of a precise reading): tessera decides in whole
    seconds, and a clock a tick late is a skew far inside any leeway. Every request reads it at
    least once.
*/
struct system_clock {
    [[nodiscard]] time_point now() const noexcept
    {
#if defined(__linux__) && defined(CLOCK_REALTIME_COARSE)
        timespec t{};
        if (::clock_gettime(CLOCK_REALTIME_COARSE, &t) == 0)
            return time_point{std::chrono::seconds{t.tv_sec}};
#endif
        return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    }
};

/** A clock that moves only when told to, for tests of expiry and renewal.

    Copies share one time: a store, an authenticator and the test that holds
    a `manual_clock` all see the same instant, and advancing any copy
    advances them all.

    @par Thread Safety
    `now`, `set` and `advance` may be called from several threads at once.
*/
class manual_clock {
public:
    explicit manual_clock(time_point start = time_point{std::chrono::seconds{1'700'000'000}})
        : seconds_(std::make_shared<std::atomic<std::chrono::seconds::rep>>(start.time_since_epoch().count()))
    {
    }

    [[nodiscard]] time_point now() const noexcept { return time_point{std::chrono::seconds{seconds_->load()}}; }

    void set(time_point t) noexcept { seconds_->store(t.time_since_epoch().count()); }

    void advance(std::chrono::seconds by) noexcept { seconds_->fetch_add(by.count()); }

private:
    std::shared_ptr<std::atomic<std::chrono::seconds::rep>> seconds_;
};

/** A source of the current time: `system_clock`, `manual_clock`, or a user type.

    Clocks are held by value, so a clock is either empty (costing nothing)
    or a handle to shared state, like `manual_clock`.
*/
template <class C>
concept clock = std::copy_constructible<C> && requires(const C& c) {
    { c.now() } -> std::same_as<time_point>;
};

} // namespace tessera::inline v0
