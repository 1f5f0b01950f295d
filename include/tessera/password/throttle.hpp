// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    Login throttling and the login check that uses it.

    Failures are counted per subject and per client address in the store's
    counters. After `free_attempts` failures inside the window, each further
    failure locks that key for an exponentially growing delay (capped): a
    slow-down, never a permanent lockout an attacker could inflict on a victim.
    A throttled attempt is `rate_limited` and does not run Argon2 at all.
*/

#include <tessera/core/clock.hpp>
#include <tessera/core/result.hpp>
#include <tessera/events.hpp>
#include <tessera/password/hash.hpp>
#include <tessera/store/concepts.hpp>
#include <tessera/store/keys.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tessera::inline v0 {

/// How quickly repeated failures slow down.
struct throttle_options {
    /// Failures allowed inside the window before delays begin.
    std::int64_t free_attempts = 5;
    /// Failures older than this are forgotten.
    std::chrono::seconds window = std::chrono::minutes{15};
    /// The first delay; each further failure doubles it.
    std::chrono::seconds base_delay = std::chrono::seconds{1};
    /// The longest delay.
    std::chrono::seconds max_delay = std::chrono::minutes{15};
};

/** Counts failed logins per subject and per client, and says when to wait.

    @par Thread Safety
    Every member function may be called from many threads at once.
*/
template <store Store, clock Clock = system_clock>
class login_throttle {
public:
    /// @throws tessera::error `invalid_configuration` for non-positive settings.
    explicit login_throttle(Store& store, throttle_options options = {}, Clock clock = {})
        : store_(store), options_(options), clock_(std::move(clock))
    {
        if (options_.free_attempts < 1 || options_.window <= std::chrono::seconds{0} ||
            options_.base_delay <= std::chrono::seconds{0} || options_.max_delay < options_.base_delay)
            throw error{errc::invalid_configuration, "throttle settings must be positive"};
    }

    /// `rate_limited` while the subject or the client is in a delay; `store_unavailable` fails closed.
    result<void> check(std::string_view subject, std::string_view client)
    {
        auto w = wait(subject, client);
        if (!w)
            return fail(w.error());
        if (*w > std::chrono::seconds{0})
            return fail(errc::rate_limited);
        return {};
    }

    /// How long the subject or the client must still wait (the longer of the two; 0: not at all), for a
    /// `Retry-After`. `store_unavailable` fails closed.
    result<std::chrono::seconds> wait(std::string_view subject, std::string_view client)
    {
        std::chrono::seconds longest{0};
        const auto now = clock_.now();
        for (const auto& key : {lock_key('s', subject), lock_key('c', client)}) {
            auto locked = store_.get(key);
            if (!locked)
                return fail(locked.error());
            if (*locked) // a live lock waits at least a second, however close its end
                longest = std::max({longest, std::chrono::seconds{1},
                                    std::chrono::duration_cast<std::chrono::seconds>((*locked)->expires_at - now)});
        }
        return longest;
    }

    /** Counts a failure against both keys, starting or extending their delay. Per key, the count comes
        first and the lock second: a store that fails between them leaves a failure counted without its
        lock, so the next failure locks (for twice the delay); a failure is never locked without being counted.
    */
    result<void> record_failure(std::string_view subject, std::string_view client)
    {
        const auto now = clock_.now();
        for (auto [kind, name] : {std::pair{'s', subject}, std::pair{'c', client}}) {
            if (name.empty())
                continue;
            auto failures = store_.increment(count_key(kind, name), 1, now + options_.window);
            if (!failures)
                return fail(failures.error());
            if (*failures < options_.free_attempts)
                continue;
            const auto doublings = std::min<std::int64_t>(*failures - options_.free_attempts, 30);
            const auto delay = std::min(options_.max_delay, options_.base_delay * (std::int64_t{1} << doublings));
            if (auto r = store_.put(lock_key(kind, name), "", now + delay); !r)
                return fail(r.error());
        }
        return {};
    }

    /// A successful login clears the subject's failures (not the client's: one account proves nothing of the others).
    result<void> record_success(std::string_view subject)
    {
        const auto key = count_key('s', subject);
        auto current = store_.counter(key);
        if (!current)
            return fail(current.error());
        if (*current != 0)
            if (auto r = store_.increment(key, -*current, clock_.now() + options_.window); !r)
                return fail(r.error());
        if (auto r = store_.erase(lock_key('s', subject)); !r)
            return fail(r.error());
        return {};
    }

private:
    // 's' + subject or 'c' + client address: the two never meet in one key.
    static std::string count_key(char kind, std::string_view name)
    {
        return keys::key(keys::kind::throttle_failures, kind + std::string{name});
    }
    static std::string lock_key(char kind, std::string_view name)
    {
        return keys::key(keys::kind::throttle_lock, kind + std::string{name});
    }

    Store& store_;
    throttle_options options_;
    [[no_unique_address]] Clock clock_;

public:
    [[nodiscard]] const Clock& clock() const noexcept { return clock_; }
};

/// What a successful password login found.
struct login_result {
    /// The stored hash uses old parameters: store `hasher.hash(password)` in its place.
    bool needs_rehash = false;
};

/** The whole password check of a login, in the order that leaks least.

    1. `rate_limited` if the subject or the client is throttled (no Argon2 runs);
    2. an unknown user (`stored_hash` empty) costs one dummy verification and is `bad_credentials`;
    3. a wrong password is `bad_credentials` and counts as a failure;
    4. success clears the subject's failures.
*/
template <store Store, clock Clock>
result<login_result> check_password(const password_hasher& hasher, login_throttle<Store, Clock>& throttle,
                                    std::string_view subject, std::string_view client, std::string_view password,
                                    std::optional<std::string_view> stored_hash)
{
    if (auto ok = throttle.check(subject, client); !ok)
        return fail(ok.error());
    bool matched = false;
    if (stored_hash)
        matched = hasher.verify(password, *stored_hash);
    else
        hasher.verify_dummy(password);
    if (!matched) {
        if (auto r = throttle.record_failure(subject, client); !r)
            return fail(r.error());
        return fail(errc::bad_credentials);
    }
    if (auto r = throttle.record_success(subject); !r)
        return fail(r.error());
    return login_result{hasher.needs_rehash(*stored_hash)};
}

/** `check_password`, telling `events` what happened: `login_succeeded`, `login_failed` (a wrong password
    or an unknown user, alike), `login_throttled`, or `store_unavailable` with its cause. The events name
    the subject and the client (as `ip`); the password never reaches them.
*/
template <store Store, clock Clock, event_sink Events>
result<login_result> check_password(const password_hasher& hasher, login_throttle<Store, Clock>& throttle,
                                    std::string_view subject, std::string_view client, std::string_view password,
                                    std::optional<std::string_view> stored_hash, Events& events)
{
    auto r = check_password(hasher, throttle, subject, client, password, stored_hash);
    const auto at = throttle.clock().now();
    const auto kind = r                                              ? event_kind::login_succeeded
                      : r.error() == errc::rate_limited              ? event_kind::login_throttled
                      : r.error() == tessera::condition::unavailable ? event_kind::store_unavailable
                                                                     : event_kind::login_failed;
    events(security_event{kind, {}, at, subject, {}, {}, client, 0, r ? std::error_code{} : r.error()});
    return r;
}

/// What `change_password` accepts as a new password.
struct password_rules {
    /** The fewest characters a new password may have (Unicode code points, as `password_length` counts):
        15, as NIST SP 800-63B-4 asks of a password used alone (ASVS 5.0 6.2.1: at least 8, 15 strongly
        recommended). Every character is allowed and none is required; the longest is `max_password_size`
        bytes.
    */
    std::size_t min_length = 15;
};

/// The characters of `password`: its UTF-8 code points (each byte that does not continue one starts one).
constexpr std::size_t password_length(std::string_view password) noexcept
{
    return static_cast<std::size_t>(std::count_if(password.begin(), password.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
    }));
}

/** A password change (ASVS 5.0 6.2.2, 6.2.3): the new password is checked against `rules`, the current
    one as a login checks it (throttled, a failure counted), and the new one is hashed.

    1. `weak_password` for a new password shorter than `rules.min_length`, longer than
       `max_password_size`, or the same as the current one (no Argon2 runs, nothing is counted);
    2. `check_password`'s answers for the current password (`rate_limited`, `bad_credentials`,
       `store_unavailable`).

    @return the new PHC hash, for the application to store in place of `stored_hash`; then, usually,
    `revoke_all(subject)` on its authenticators, so that every other device logs in anew.
*/
template <store Store, clock Clock>
result<std::string> change_password(const password_hasher& hasher, login_throttle<Store, Clock>& throttle,
                                    std::string_view subject, std::string_view client, std::string_view current,
                                    std::string_view stored_hash, std::string_view new_password,
                                    password_rules rules = {})
{
    no_events none;
    return change_password(hasher, throttle, subject, client, current, stored_hash, new_password, rules, none);
}

/** `change_password`, telling `events` what happened: the current password's check as `check_password`
    tells it (`login_succeeded`, `login_failed`, `login_throttled`, `store_unavailable`), then
    `credential_changed` once the new hash is made (the subject, the client as `ip`). A refused new
    password tells nothing. No password reaches a sink.
*/
template <store Store, clock Clock, event_sink Events>
result<std::string> change_password(const password_hasher& hasher, login_throttle<Store, Clock>& throttle,
                                    std::string_view subject, std::string_view client, std::string_view current,
                                    std::string_view stored_hash, std::string_view new_password,
                                    password_rules rules, Events& events)
{
    if (password_length(new_password) < rules.min_length || new_password.size() > max_password_size ||
        new_password == current)
        return fail(errc::weak_password);
    if (auto checked = check_password(hasher, throttle, subject, client, current, stored_hash, events); !checked)
        return fail(checked.error());
    auto hash = hasher.hash(new_password);
    events(security_event{event_kind::credential_changed, {}, throttle.clock().now(), subject, {}, {}, client});
    return hash;
}

} // namespace tessera::inline v0
