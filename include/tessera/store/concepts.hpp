// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    The storage policy: the one interface every store satisfies, from the
    embedded `memory_store` to the shared Redis and PostgreSQL stores.

    A store keeps records (an opaque value, the subject it belongs to, an
    absolute expiry) under string keys, and integer counters. It knows
    nothing of sessions or tokens: the session and revocation layers choose
    the keys (always hashes of secrets, never the secrets) and the values.

    Every operation returns `result<T>`. A backend that cannot answer is
    `store_unavailable` — a `store_failure` code naming the cause (timeout,
    refused, lost state...), equivalent to `condition::unavailable` — and
    nothing ever degrades to "not found", which callers could read as "not
    revoked".
*/

#include <tessera/core/clock.hpp>
#include <tessera/core/result.hpp>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace tessera::inline v0 {

/// What a store keeps under one key.
struct record {
    /// Opaque bytes chosen by the caller (sessions keep JSON here).
    std::string value;
    /// The subject the record belongs to, or empty; indexed for listing and "log out everywhere".
    std::string subject;
    /// The first instant at which the record no longer exists.
    time_point expires_at;

    friend bool operator==(const record&, const record&) = default;
};

/** A record as a store lends it where it keeps it (`read`): views into the store's own bytes,
    valid only during the call that receives it.
*/
struct record_view {
    std::string_view value;
    std::string_view subject;
    time_point expires_at;

    record_view() = default;
    record_view(std::string_view v, std::string_view s, time_point e) noexcept : value(v), subject(s), expires_at(e) {}
    record_view(const record& r) noexcept : value(r.value), subject(r.subject), expires_at(r.expires_at) {}
};

/// A record with its key, as listed by subject.
struct keyed_record {
    std::string key;
    record data;
};

/// One write of an `insert_then` batch: a put, or (`replace_only`) a write over a live record only.
struct store_write {
    std::string_view key;
    std::string_view value;
    time_point expires_at;
    std::string_view subject = {};
    bool replace_only = false;
};

/// The least a deciding write (`insert`, `insert_then`'s first write, `increment`) lives: see the write rules.
inline constexpr std::chrono::seconds min_decision_life{1};

namespace detail {

/// The expiry a deciding write is given: the one asked for, but at least `min_decision_life` from `now`.
constexpr time_point decision_expiry(time_point asked, time_point now) noexcept
{
    return asked > now + min_decision_life ? asked : now + min_decision_life;
}

// Writing: put overwrites; insert writes only where no live record is (the
// one atomic decision a refresh rotation commits with); replace writes only
// over a live record, so a sliding renewal racing a revocation can never
// bring the record back.
template <class S>
concept store_writes = requires(S& s, std::string_view key, std::string_view value, time_point t) {
    { s.put(key, value, t, key) } -> std::same_as<result<void>>;
    { s.insert(key, value, t, key) } -> std::same_as<result<bool>>;
    { s.replace(key, value, t) } -> std::same_as<result<bool>>;
};

// Reading and deleting; `take` is one atomic get-and-delete, the primitive
// that makes a refresh token or a rotated session id usable exactly once.
template <class S>
concept store_reads = requires(S& s, std::string_view key) {
    { s.get(key) } -> std::same_as<result<std::optional<record>>>;
    { s.erase(key) } -> std::same_as<result<bool>>;
    { s.take(key) } -> std::same_as<result<std::optional<record>>>;
};

// The subject index: list and erase every live record of a subject without
// scanning the store (OWASP ASVS 5 §7.5.2: cost proportional to the subject).
template <class S>
concept store_subject_index = requires(S& s, std::string_view subject) {
    { s.list_subject(subject) } -> std::same_as<result<std::vector<keyed_record>>>;
    { s.erase_subject(subject) } -> std::same_as<result<std::size_t>>;
};

// Atomic counters: token versions and login throttling.
template <class S>
concept store_counters = requires(S& s, std::string_view key, std::int64_t delta, time_point t) {
    { s.increment(key, delta, t) } -> std::same_as<result<std::int64_t>>;
    { s.counter(key) } -> std::same_as<result<std::int64_t>>;
};

// Expired records disappear from reads at once; purge reclaims their space,
// at most `budget` of them per call so that it never stalls a request.
template <class S>
concept store_purge = requires(S& s, std::size_t budget) {
    { s.purge_expired(budget) } -> std::same_as<result<std::size_t>>;
};

} // namespace detail

/** A storage policy: records with expiry, atomic take, a subject index, counters.

    @par Semantics every store guarantees (the conformance suite checks them)
    - A record whose `expires_at` is not after the store clock's now is
      never returned, listed, replaced or taken.
    - `take(k)` run by many threads at once returns the record to exactly one;
      so does `insert(k, ...)` (true for exactly one caller while no live record is there).
    - `list_subject` returns only live records whose subject is that subject;
      an index entry never outlives or resurrects its record. The "subject"
      is an index entry named by the key schema (`keys::index`), scoped to
      one kind of record.
    - `erase_subject(s)` acts as one atomic step: every record written under
      `s` is either erased by it or written after it. (A session rotated
      while "log out everywhere" runs cannot slip between the two.)
    - `increment` is atomic; a counter that does not exist counts as 0 and is
      created with the given expiry (extended, never shortened, by later increments).
    - Thread-safe: every operation may be called from many threads at once.

    @par Write rules (the same on every store, each a conformance case)
    - `put` or `replace` with an expiry not after now erases: the record and its index entry are
      gone (`replace` then answers false). A past expiry never writes a record that is dead on arrival.
    - `replace` never creates: over a missing or expired record it answers false and writes nothing.
    - What decides among racing callers lives at least `min_decision_life` (1 s): `insert`, the
      first write of `insert_then`, and `increment` raise an earlier expiry to now + 1 s, so that one
      caller wins (or sees the first count) and every other within that second is refused.
    - Expiries up to now + `max_lifetime` (100 years) are kept to the second.
*/
template <class S>
concept store = detail::store_writes<S> && detail::store_reads<S> && detail::store_subject_index<S> &&
                detail::store_counters<S> && detail::store_purge<S>;

/** Optional: a record read where the store keeps it (`read(key, f)`), without copying it out.

    `f(const record_view*)` is called once, with the live record or nullptr, and its answer is
    returned. It may run while the store holds a lock on the record: it decides from its
    argument alone and never calls the store. The memory store has it; `detail::read_record`
    reads any store this way (from a copy where the store cannot lend its record).
*/
template <class S>
concept reads_in_place = requires(S& s, std::string_view key, int (*f)(const record_view*)) {
    { s.read(key, f) } -> std::same_as<result<int>>;
};

namespace detail {

/// `f(record or nullptr)` for `key`: in place where the store reads so, otherwise from what `get` returns.
template <class S, class F>
auto read_record(S& s, std::string_view key, F&& f) -> result<std::invoke_result_t<F&, const record_view*>>
{
    if constexpr (reads_in_place<S>) {
        return s.read(key, f);
    } else {
        using answer = result<std::invoke_result_t<F&, const record_view*>>;
        auto found = s.get(key);
        if (!found) // the error itself, whatever `f` answers (a result too, for a policy's judgement)
            return answer{boost::system::in_place_error, found.error()};
        if (!*found)
            return answer{boost::system::in_place_value, f(nullptr)};
        const record_view view{**found};
        return answer{boost::system::in_place_value, f(&view)};
    }
}

} // namespace detail

/** Optional: several records read in one round trip, in the order asked (`get_many`).
    The network stores have it; revocation checks composed with `all_of` use it.
*/
template <class S>
concept batch_reads = requires(S& s, std::span<const std::string> keys) {
    { s.get_many(keys) } -> std::same_as<result<std::vector<std::optional<record>>>>;
};

/** Optional: a conditional batch, one atomic step and one round trip (`insert_then`).

    `insert_then(first, then)` writes `first` only where no live record is (as `insert`), and
    only if it did, each write of `then` in order (a put, or with `replace_only` a write over a
    live record that never creates one). True if `first` was written; otherwise nothing changed.
    The refresh rotation commits with it on the network stores (marker, successor, family).
*/
template <class S>
concept conditional_batches = requires(S& s, const store_write& first, std::span<const store_write> then) {
    { s.insert_then(first, then) } -> std::same_as<result<bool>>;
};

/** How far apart the clocks of the instances sharing `s` may be: the store's `max_clock_skew()` where it
    has one (the network stores, which check it against the server's clock), else zero (one process, one
    clock). A record whose presence revokes something (a deny entry) is kept this much longer, twice:
    the revoking instance may be ahead by as much as a reading instance is behind.
*/
template <class S>
std::chrono::seconds clock_skew_of(const S& s) noexcept
{
    if constexpr (requires { { s.max_clock_skew() } -> std::convertible_to<std::chrono::seconds>; })
        return s.max_clock_skew();
    else
        return std::chrono::seconds{0};
}

/// Why `mine` and the store server's clock `theirs` are too far apart for `most`; empty when they are not.
inline std::string skew_refusal(time_point mine, time_point theirs, std::chrono::seconds most, std::string_view whose)
{
    const auto apart = mine > theirs ? mine - theirs : theirs - mine;
    if (most.count() <= 0 || apart <= most)
        return {};
    return "this instance's clock is " + std::to_string(apart.count()) + " s " + (mine > theirs ? "ahead of " : "behind ") +
           std::string{whose} + " clock, more than max_clock_skew (" + std::to_string(most.count()) +
           " s): instances that disagree on time disagree on what has expired; synchronise the clocks (NTP), or "
           "raise max_clock_skew";
}

} // namespace tessera::inline v0
