// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `redis_store`: records, the subject index and counters in Redis, shared
    by every instance of an application.

    Optional: link `tessera::redis` (hiredis 0.14 or later; Redis 6 or later
    on the server, for `AUTH` with an ACL user). Debian 12's hiredis 0.14 has
    neither TLS nor cluster support: connect over loopback, a private network
    or a Unix socket.

    @par Keys
    Every key of one store begins with its prefix in braces, a Redis hash
    tag, so that a cluster would keep all of them in one slot and every Lua
    script below stays legal there. (The key schema names records by the
    hash of a secret, without their owner, so records cannot be spread over
    slots by subject; run one store per prefix to spread load.)

    The layout below is written once (`detail::redis_keys`); the store's C++ and the prelude of every
    Lua script are made from it.

    | key | type | holds |
    |---|---|---|
    | `{P}r:` + key | hash `v s e` | a record: value, subject-index entry, expiry (Unix seconds) |
    | `{P}i:` + subject | set | the keys of the records listed under that index entry |
    | `{P}c:` + key | hash `n e` | a counter and its expiry |
    | `{P}x` | sorted set | record keys by expiry, for `purge_expired`; every write trims its expired entries |
    | `{P}boot` | string | the server's `run_id` when the data was written, where the AOF is off (see `redis_accepted_risks`) |

    @par Expiry
    Each record and counter carries its expiry, read against the store's
    clock on every read, and a Redis TTL (`PEXPIRE`) of the same length, so
    Redis reclaims the memory itself even if `purge_expired` never runs:
    every write drops up to 32 expired entries of the expiry set (which has
    no TTL of its own, so that no eviction policy could take it), subject
    index sets expire with their longest-lived record, and `list_subject`
    drops index entries whose record is gone. `purge_expired` trims both
    at once.
*/

#include <tessera/core/clock.hpp>
#include <tessera/core/error.hpp>
#include <tessera/store/concepts.hpp>
#include <tessera/store/detail/redis_client.hpp>
#include <tessera/store/detail/redis_reply.hpp>
#include <tessera/store/detail/redis_scripts.hpp>
#include <tessera/store/pool.hpp>
#include <tessera/store/redis_options.hpp>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::inline v0 {

/** Records and counters in Redis, for a fleet of instances that must agree.

    Reads are single commands (`HMGET`); everything that changes more than
    one key (a write and its index entry, take, erase-subject, counters,
    purge) is a Lua script run by `EVALSHA`, atomic on the server. The
    scripts are loaded (`SCRIPT LOAD`) when the store is made; after a
    restart the server has forgotten them, and the `NOSCRIPT` reply is
    answered by sending the script once with `EVAL`.

    @par Failures
    A server that refuses the connection, does not answer within
    `command_timeout` (stopped, frozen, partitioned), replies with an error
    or returns a record that does not parse is `store_unavailable`; nothing
    is read as "not found". A connection that failed is closed and a new
    one opened by the next request, so the same store object works again
    once the server is back.

    @par Durability
    What Redis keeps across a restart is what its persistence keeps: with
    `appendonly yes` and `appendfsync everysec` (Redis's default for AOF),
    a crash loses at most the last second of writes, a revocation among
    them; `appendfsync always` loses none. Without persistence, a restart
    forgets everything: deny lists forget, token versions and refresh
    families fail closed (see the README's table).

    @par Thread Safety
    Every member function may be called from many threads at once; each
    request borrows one connection of the pool.
*/
template <clock Clock = system_clock>
class basic_redis_store {
public:
    /** Checks the options and connects once, so that a wrong address or password is found at start-up.
        @throws tessera::error `invalid_configuration` for bad options, `store_unavailable` if the
        server cannot be reached or refuses the credentials.
    */
    explicit basic_redis_store(redis_store_options options = {}, Clock clock = {})
        : client_(checked(std::move(options)), std::move(clock)), keys_(client_.options().key_prefix),
          expiry_set_(keys_.expiry_set())
    {
    }

    basic_redis_store(const basic_redis_store&) = delete;
    basic_redis_store& operator=(const basic_redis_store&) = delete;

    result<void> put(std::string_view key, std::string_view value, time_point expires_at, std::string_view subject = {})
    {
        const auto now = client_.clock().now();
        if (expires_at <= now) {
            if (auto r = erase(key); !r)
                return fail(r.error());
            return {};
        }
        auto r = writes(std::array{store_write{key, value, expires_at, subject}}, now);
        if (!r)
            return fail(r.error());
        return {};
    }

    result<bool> insert(std::string_view key, std::string_view value, time_point expires_at,
                        std::string_view subject = {})
    {
        const auto now = client_.clock().now();
        return writes(std::array{store_write{key, value, detail::decision_expiry(expires_at, now), subject}}, now,
                      true);
    }

    /** `first` only where no live record is, and then, only if it was written, each of `then`
        (a put, or a replace with `replace_only`): one script, so one atomic step and one round trip.
    */
    result<bool> insert_then(const store_write& first, std::span<const store_write> then)
    {
        const auto now = client_.clock().now();
        std::vector<store_write> all;
        all.reserve(1 + then.size());
        all.push_back(first);
        all.back().expires_at = detail::decision_expiry(first.expires_at, now);
        all.insert(all.end(), then.begin(), then.end());
        return writes(all, now, true);
    }

    result<bool> replace(std::string_view key, std::string_view value, time_point expires_at)
    {
        const auto now = client_.clock().now();
        if (expires_at <= now) {
            if (auto r = erase(key); !r)
                return fail(r.error());
            return false;
        }
        return writes(std::array{store_write{key, value, expires_at, {}, true}}, now);
    }

    result<std::optional<record>> get(std::string_view key)
    {
        const auto now = client_.clock().now();
        const auto k = record_key(key);
        auto reply = client_.command({"HMGET", k, "v", "s", "e"});
        if (!reply)
            return fail(reply.error());
        return detail::redis_record(reply->get(), now);
    }

    /** Several records in one round trip (pipelined `HMGET`s), in the order of `keys`.
        What a revocation check under `all_of` uses to ask for everything it needs at once.
    */
    result<std::vector<std::optional<record>>> get_many(std::span<const std::string> keys)
    {
        const auto now = client_.clock().now();
        std::vector<std::string> names;
        names.reserve(keys.size());
        for (const auto& k : keys)
            names.push_back(record_key(k));
        auto replies = client_.records(names);
        if (!replies)
            return fail(replies.error());
        std::vector<std::optional<record>> out;
        out.reserve(keys.size());
        for (const auto& reply : *replies) {
            auto parsed = detail::redis_record(reply.get(), now);
            if (!parsed)
                return fail(parsed.error());
            out.push_back(std::move(*parsed));
        }
        return out;
    }

    result<bool> erase(std::string_view key)
    {
        auto r = take(key);
        if (!r)
            return fail(r.error());
        return r->has_value();
    }

    result<std::optional<record>> take(std::string_view key)
    {
        const auto now = client_.clock().now();
        const auto k = record_key(key);
        auto reply = client_.script(detail::redis_op::take, {k, expiry_set_}, {keys_.tag(), key});
        if (!reply)
            return fail(reply.error());
        return detail::redis_record(reply->get(), now);
    }

    result<std::vector<keyed_record>> list_subject(std::string_view subject)
    {
        const auto now = client_.clock().now();
        std::vector<keyed_record> out;
        if (subject.empty())
            return out;
        const auto index = index_key(subject);
        auto reply = client_.script(detail::redis_op::list, {index}, {keys_.tag(), subject});
        if (!reply)
            return fail(reply.error());
        const redisReply* r = reply->get();
        if (r->type != REDIS_REPLY_ARRAY || r->elements % 3 != 0)
            return fail(store_failure::corrupt_reply);
        for (std::size_t i = 0; i < r->elements; i += 3) {
            const auto e = detail::redis_number(r->element[i + 2], max_time_seconds);
            if (!e || r->element[i]->type != REDIS_REPLY_STRING)
                return fail(store_failure::corrupt_reply);
            const time_point expires{std::chrono::seconds{*e}};
            if (expires > now)
                out.push_back({detail::redis_text(r->element[i]),
                               record{detail::redis_text(r->element[i + 1]), std::string{subject}, expires}});
        }
        return out;
    }

    result<std::size_t> erase_subject(std::string_view subject)
    {
        if (subject.empty())
            return std::size_t{0};
        const auto now = client_.clock().now();
        const auto index = index_key(subject);
        auto reply = client_.script(detail::redis_op::erase_subject, {index, expiry_set_}, {keys_.tag(), subject, number(now)});
        if (!reply)
            return fail(reply.error());
        return detail::redis_count(reply->get());
    }

    result<std::int64_t> increment(std::string_view key, std::int64_t delta, time_point expires_at)
    {
        const auto now = client_.clock().now();
        const auto k = counter_key(key);
        const auto d = std::to_string(delta);
        const auto live = detail::decision_expiry(expires_at, now);
        auto reply = client_.script(detail::redis_op::increment, {k}, {keys_.tag(), d, number(live), number(now), ttl_ms(live, now)});
        if (!reply)
            return fail(reply.error());
        return detail::redis_integer(reply->get());
    }

    result<std::int64_t> counter(std::string_view key)
    {
        const auto now = client_.clock().now();
        const auto k = counter_key(key);
        auto reply = client_.command({"HMGET", k, "n", "e"});
        if (!reply)
            return fail(reply.error());
        const redisReply* r = reply->get();
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2)
            return fail(store_failure::corrupt_reply);
        if (r->element[0]->type == REDIS_REPLY_NIL && r->element[1]->type == REDIS_REPLY_NIL)
            return std::int64_t{0}; // a counter with one field is damaged: refused below, never read as 0
        const auto e = detail::redis_number(r->element[1], max_time_seconds);
        if (!e || r->element[0]->type != REDIS_REPLY_STRING)
            return fail(store_failure::corrupt_reply);
        if (time_point{std::chrono::seconds{*e}} <= now)
            return std::int64_t{0};
        std::int64_t n = 0;
        const auto* s = r->element[0]->str;
        const auto [end, ec] = std::from_chars(s, s + r->element[0]->len, n);
        if (ec != std::errc{} || end != s + r->element[0]->len)
            return fail(store_failure::corrupt_reply);
        return n;
    }

    result<std::size_t> purge_expired(std::size_t budget = 1024)
    {
        const auto now = client_.clock().now();
        auto reply = client_.script(detail::redis_op::purge, {expiry_set_}, {keys_.tag(), number(now), std::to_string(budget)});
        if (!reply)
            return fail(reply.error());
        return detail::redis_count(reply->get());
    }

    [[nodiscard]] const Clock& clock() const noexcept { return client_.clock(); }
    [[nodiscard]] const redis_store_options& options() const noexcept { return client_.options(); }
    /// How far apart the clocks of the instances sharing this store may be (what revocations add as a margin).
    [[nodiscard]] std::chrono::seconds max_clock_skew() const noexcept { return client_.options().max_clock_skew; }

private:
    static redis_store_options checked(redis_store_options o)
    {
        detail::check_network_options("redis_store", o);
        if (o.key_prefix.empty() || o.key_prefix.find_first_of("{}") != std::string::npos)
            throw error{errc::invalid_configuration, "redis_store: the key prefix must be non-empty, without braces"};
        if (o.database < 0)
            throw error{errc::invalid_configuration, "redis_store: the database index must be non-negative"};
        return o;
    }

    std::string record_key(std::string_view key) const { return keys_.record(key); }
    std::string index_key(std::string_view subject) const { return keys_.index(subject); }
    std::string counter_key(std::string_view key) const { return keys_.counter(key); }
    static std::string number(time_point t) { return std::to_string(t.time_since_epoch().count()); }
    static std::string ttl_ms(time_point expires, time_point now)
    {
        return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(expires - now).count());
    }

    /// Runs the writes script; `guard`: the first write is an insert.
    result<bool> writes(std::span<const store_write> batch, time_point now, bool guard = false)
    {
        std::vector<std::string> owned; // record keys, expiries and ttls outlive the call
        owned.reserve(1 + batch.size() * 3); // never reallocated: the views below point into it
        std::vector<std::string_view> keys{expiry_set_}, args{keys_.tag()};
        owned.push_back(number(now));
        args.push_back(owned.back());
        for (std::size_t i = 0; i < batch.size(); ++i) {
            const auto& w = batch[i];
            owned.push_back(record_key(w.key));
            keys.push_back(owned.back());
            owned.push_back(number(w.expires_at));
            const std::string_view e = owned.back();
            // A write that is already expired lives a millisecond in Redis; reads never return it.
            owned.push_back(ttl_ms(std::max(w.expires_at, now), now));
            if (owned.back() == "0")
                owned.back() = "1";
            const std::string_view mode = w.replace_only ? "r" : (guard && i == 0 ? "i" : "p");
            args.insert(args.end(), {mode, w.key, w.value, w.subject, e, owned.back()});
        }
        auto reply = client_.script(detail::redis_op::writes, keys, args);
        if (!reply)
            return fail(reply.error());
        return detail::redis_flag(reply->get());
    }

    detail::redis_client<Clock> client_;
    detail::redis_keys keys_;
    std::string expiry_set_;
};

/// The Redis store on the system clock.
using redis_store = basic_redis_store<>;

static_assert(store<redis_store>);

} // namespace tessera::inline v0
