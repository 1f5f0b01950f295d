#pragma once

/** @file
    Clocks for expiry decisions: `system_clock` in production, `manual_clock`
    in tests. Both tell whole seconds since the Unix epoch, the resolution of
    JWT NumericDate claims and cookie Max-Age.
*/

#include <atomic>
#include <chrono>
#include <cstdint>

namespace tessera::inline v0 {

/// A point in time, in whole seconds since 1970-01-01T00:00:00Z.
using time_point = std::chrono::sys_seconds;

/// The wall clock, truncated to seconds. Stateless: holding one costs no space.
struct system_clock {
    [[nodiscard]] time_point now() const noexcept
    {
        return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    }
};

/** A clock that moves only when told to, for tests of expiry and renewal.

    @par Thread Safety
    `now`, `set` and `advance` may be called from several threads at once.
*/
class manual_clock {
public:
    explicit manual_clock(time_point start = time_point{std::chrono::seconds{1'700'000'000}}) noexcept
        : seconds_(start.time_since_epoch().count())
    {
    }

    /// Shares the time of `other` at the moment of the copy.
    manual_clock(const manual_clock& other) noexcept : seconds_(other.seconds_.load()) {}

    manual_clock& operator=(const manual_clock& other) noexcept
    {
        seconds_.store(other.seconds_.load());
        return *this;
    }

    [[nodiscard]] time_point now() const noexcept { return time_point{std::chrono::seconds{seconds_.load()}}; }

    void set(time_point t) noexcept { seconds_.store(t.time_since_epoch().count()); }

    void advance(std::chrono::seconds by) noexcept { seconds_.fetch_add(by.count()); }

private:
    std::atomic<std::chrono::seconds::rep> seconds_;
};

} // namespace tessera::inline v0
