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
        : clock_(std::move(clock)), options_(std::move(options))
    {
        if (options_.connections == 0 || options_.connections > 256)
            throw error{errc::invalid_configuration, "redis_store: connections must be 1 to 256"};
        if (options_.connect_timeout.count() <= 0 || options_.command_timeout.count() <= 0)
            throw error{errc::invalid_configuration, "redis_store: timeouts must be positive"};
        if (options_.key_prefix.empty() || options_.key_prefix.find_first_of("{}") != std::string::npos)
            throw error{errc::invalid_configuration, "redis_store: the key prefix must be non-empty, without braces"};
        if (options_.database < 0)
            throw error{errc::invalid_configuration, "redis_store: the database index must be non-negative"};
        if (options_.max_clock_skew.count() < 0)
            throw error{errc::invalid_configuration, "redis_store: max_clock_skew cannot be negative"};
        if (options_.settings_check_interval.count() <= 0)
            throw error{errc::invalid_configuration, "redis_store: the settings check interval must be positive"};
        tag_ = "{" + options_.key_prefix + "}";
        expiry_set_ = tag_ + "x";
        boot_key_ = tag_ + "boot";
        refusal no;
        auto first = connect(no);
        if (!first)
            throw error{no.code, "redis_store: " + no.why};
        // The scripts' SHA-1 digests, as the server computes them (the same on every server).
        for (std::size_t i = 0; i < detail::redis_scripts.size(); ++i) {
            auto reply = run(first.get(), {"SCRIPT", "LOAD", detail::redis_scripts[i]});
            if (!reply || (*reply)->type != REDIS_REPLY_STRING)
                throw error{errc::store_unavailable, "redis_store: cannot load its scripts"};
            shas_[i] = detail::redis_text(reply->get());
        }
        pool_.adopt(std::move(first));
    }

    basic_redis_store(const basic_redis_store&) = delete;
    basic_redis_store& operator=(const basic_redis_store&) = delete;

    result<void> put(std::string_view key, std::string_view value, time_point expires_at, std::string_view subject = {})
    {
        const auto now = clock_.now();
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
        const auto now = clock_.now();
        return writes(std::array{store_write{key, value, detail::decision_expiry(expires_at, now), subject}}, now,
                      true);
    }

    /** `first` only where no live record is, and then, only if it was written, each of `then`
        (a put, or a replace with `replace_only`): one script, so one atomic step and one round trip.
    */
    result<bool> insert_then(const store_write& first, std::span<const store_write> then)
    {
        const auto now = clock_.now();
        std::vector<store_write> all;
        all.reserve(1 + then.size());
        all.push_back(first);
        all.back().expires_at = detail::decision_expiry(first.expires_at, now);
        all.insert(all.end(), then.begin(), then.end());
        return writes(all, now, true);
    }

    result<bool> replace(std::string_view key, std::string_view value, time_point expires_at)
    {
        const auto now = clock_.now();
        if (expires_at <= now) {
            if (auto r = erase(key); !r)
                return fail(r.error());
            return false;
        }
        return writes(std::array{store_write{key, value, expires_at, {}, true}}, now);
    }

    result<std::optional<record>> get(std::string_view key)
    {
        const auto now = clock_.now();
        const auto k = record_key(key);
        auto reply = command({"HMGET", k, "v", "s", "e"});
        if (!reply)
            return fail(reply.error());
        return parse_record(reply->get(), now);
    }

    /** Several records in one round trip (pipelined `HMGET`s), in the order of `keys`.
        What a revocation check under `all_of` uses to ask for everything it needs at once.
    */
    result<std::vector<std::optional<record>>> get_many(std::span<const std::string> keys)
    {
        const auto now = clock_.now();
        std::vector<std::string> names;
        names.reserve(keys.size());
        for (const auto& k : keys)
            names.push_back(record_key(k));
        auto lease = borrow();
        if (!lease)
            return fail(lease.error());
        for (const auto& name : names) {
            std::array<const char*, 5> argv{"HMGET", name.data(), "v", "s", "e"};
            const std::array<std::size_t, 5> lens{5, name.size(), 1, 1, 1};
            if (redisAppendCommandArgv(lease->get(), 5, argv.data(), lens.data()) != REDIS_OK)
                return lost(*lease);
        }
        if (!send_guard(lease->get()))
            return lost(*lease);
        std::vector<std::optional<record>> out;
        out.reserve(keys.size());
        bool ok = true;
        for (std::size_t i = 0; i < names.size(); ++i) {
            auto reply = next_reply(lease->get());
            if (!reply)
                return lost(*lease);
            auto parsed = parse_record(reply->get(), now);
            if (!parsed)
                ok = false; // keep reading: the connection stays in step
            else
                out.push_back(std::move(*parsed));
        }
        bool evicted = false;
        if (!read_guard(lease->get(), evicted))
            return lost(*lease);
        give_back(std::move(*lease));
        if (!ok || evicted)
            return fail(errc::store_unavailable);
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
        const auto now = clock_.now();
        const auto k = record_key(key);
        auto reply = script(detail::redis_op::take, {k, expiry_set_}, {key, tag_});
        if (!reply)
            return fail(reply.error());
        return parse_record(reply->get(), now);
    }

    result<std::vector<keyed_record>> list_subject(std::string_view subject)
    {
        const auto now = clock_.now();
        std::vector<keyed_record> out;
        if (subject.empty())
            return out;
        const auto index = index_key(subject);
        auto reply = script(detail::redis_op::list, {index}, {subject, tag_});
        if (!reply)
            return fail(reply.error());
        const redisReply* r = reply->get();
        if (r->type != REDIS_REPLY_ARRAY || r->elements % 3 != 0)
            return fail(errc::store_unavailable);
        for (std::size_t i = 0; i < r->elements; i += 3) {
            const auto e = detail::redis_number(r->element[i + 2], max_time_seconds);
            if (!e || r->element[i]->type != REDIS_REPLY_STRING)
                return fail(errc::store_unavailable);
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
        const auto now = clock_.now();
        const auto index = index_key(subject);
        auto reply = script(detail::redis_op::erase_subject, {index, expiry_set_}, {subject, number(now), tag_});
        if (!reply)
            return fail(reply.error());
        return count(reply->get());
    }

    result<std::int64_t> increment(std::string_view key, std::int64_t delta, time_point expires_at)
    {
        const auto now = clock_.now();
        const auto k = counter_key(key);
        const auto d = std::to_string(delta);
        const auto live = detail::decision_expiry(expires_at, now);
        auto reply = script(detail::redis_op::increment, {k}, {d, number(live), number(now), ttl_ms(live, now)});
        if (!reply)
            return fail(reply.error());
        return integer(reply->get());
    }

    result<std::int64_t> counter(std::string_view key)
    {
        const auto now = clock_.now();
        const auto k = counter_key(key);
        auto reply = command({"HMGET", k, "n", "e"});
        if (!reply)
            return fail(reply.error());
        const redisReply* r = reply->get();
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2)
            return fail(errc::store_unavailable);
        if (r->element[0]->type == REDIS_REPLY_NIL && r->element[1]->type == REDIS_REPLY_NIL)
            return std::int64_t{0}; // a counter with one field is damaged: refused below, never read as 0
        const auto e = detail::redis_number(r->element[1], max_time_seconds);
        if (!e || r->element[0]->type != REDIS_REPLY_STRING)
            return fail(errc::store_unavailable);
        if (time_point{std::chrono::seconds{*e}} <= now)
            return std::int64_t{0};
        std::int64_t n = 0;
        const auto* s = r->element[0]->str;
        const auto [end, ec] = std::from_chars(s, s + r->element[0]->len, n);
        if (ec != std::errc{} || end != s + r->element[0]->len)
            return fail(errc::store_unavailable);
        return n;
    }

    result<std::size_t> purge_expired(std::size_t budget = 1024)
    {
        const auto now = clock_.now();
        auto reply = script(detail::redis_op::purge, {expiry_set_}, {number(now), std::to_string(budget), tag_});
        if (!reply)
            return fail(reply.error());
        return count(reply->get());
    }

    [[nodiscard]] const Clock& clock() const noexcept { return clock_; }
    [[nodiscard]] const redis_store_options& options() const noexcept { return options_; }
    /// How far apart the clocks of the instances sharing this store may be (what revocations add as a margin).
    [[nodiscard]] std::chrono::seconds max_clock_skew() const noexcept { return options_.max_clock_skew; }

private:
    using lease_t = detail::redis_connection;

    struct opener {
        const basic_redis_store* self;
        lease_t operator()() const
        {
            refusal no;
            return self->connect(no);
        }
    };

    std::string record_key(std::string_view key) const { return tag_ + "r:" + std::string{key}; }
    std::string index_key(std::string_view subject) const { return tag_ + "i:" + std::string{subject}; }
    std::string counter_key(std::string_view key) const { return tag_ + "c:" + std::string{key}; }
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
        std::vector<std::string_view> keys{expiry_set_}, args{tag_};
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
        auto reply = script(detail::redis_op::writes, keys, args);
        if (!reply)
            return fail(reply.error());
        return integer_flag(reply->get());
    }

    /// Why no connection was made: the server could not be reached (`store_unavailable`), or was, and
    /// its settings or state are refused (`invalid_configuration`, `store_unavailable`).
    struct refusal {
        std::string why;
        errc code = errc::store_unavailable;
    };

    /// A new connection, authenticated, on the right database, to a server whose settings are accepted;
    /// null (and why) if that fails.
    lease_t connect(refusal& no) const
    {
        std::string& why = no.why;
        const auto tv = detail::to_timeval(options_.connect_timeout);
        lease_t c{options_.unix_socket.empty()
                      ? redisConnectWithTimeout(options_.host.c_str(), options_.port, tv)
                      : redisConnectUnixWithTimeout(options_.unix_socket.c_str(), tv)};
        if (!c || c->err != 0) {
            why = c ? c->errstr : "cannot allocate a connection";
            return nullptr;
        }
        if (redisSetTimeout(c.get(), detail::to_timeval(options_.command_timeout)) != REDIS_OK) {
            why = "cannot set the command timeout";
            return nullptr;
        }
        auto check = [&](std::initializer_list<std::string_view> args) {
            auto reply = run(c.get(), args);
            if (!reply || (*reply)->type == REDIS_REPLY_ERROR) {
                why = reply ? std::string{(*reply)->str, (*reply)->len} : std::string{c->errstr};
                return false;
            }
            return true;
        };
        if (!options_.password.empty()) {
            const bool ok = options_.user.empty() ? check({"AUTH", options_.password})
                                                  : check({"AUTH", options_.user, options_.password});
            if (!ok)
                return nullptr;
        }
        if (options_.database != 0 && !check({"SELECT", std::to_string(options_.database)}))
            return nullptr;
        if (auto refused = check_server(c.get())) {
            no = std::move(*refused);
            return nullptr;
        }
        return c;
    }

    /** What a connection learns of its server before it is used, and again every
        `settings_check_interval`: the settings (eviction, persistence), evictions where they are
        accepted, and, without an AOF, whether the data came back from a snapshot. Nothing if all is well.
    */
    std::optional<refusal> check_server(redisContext* c) const
    {
        const bool aof_accepted = options_.accept.no_append_only_file;
        auto memory = run(c, {"INFO", "memory"});
        auto persistence = memory ? run(c, {"INFO", "persistence"}) : std::nullopt;
        if (!persistence)
            return refusal{c->errstr};
        const auto text = [](const detail::redis_reply& r) {
            return r->type == REDIS_REPLY_STRING ? std::string_view{r->str, r->len} : std::string_view{};
        };
        if ((*memory)->type == REDIS_REPLY_ERROR)
            return refusal{"cannot read the server's settings (INFO: " + std::string{text(*memory)} +
                               "); allow the user the INFO command",
                           errc::invalid_configuration};
        if (auto why = detail::redis_settings_refusal(text(*memory), text(*persistence), options_.accept); !why.empty())
            return refusal{std::move(why), errc::invalid_configuration};
        if (options_.accept.eviction) {
            auto stats = run(c, {"INFO", "stats"});
            if (!stats)
                return refusal{c->errstr};
            if (!detail::redis_evicted_nothing(stats->get()))
                return refusal{"the server has evicted keys (evicted_keys in INFO stats), revocations among them "
                               "perhaps; once checked, reset its statistics (CONFIG RESETSTAT)"};
        }
        if (options_.max_clock_skew.count() > 0) {
            auto time = run(c, {"TIME"});
            if (!time)
                return refusal{c->errstr};
            const auto server = (*time)->type == REDIS_REPLY_ARRAY && (*time)->elements == 2
                                    ? detail::redis_number((*time)->element[0], max_time_seconds)
                                    : std::nullopt;
            if (!server)
                return refusal{"cannot read the server's clock (TIME)"};
            if (auto why = skew_refusal(clock_.now(), time_point{std::chrono::seconds{*server}},
                                        options_.max_clock_skew, "the Redis server's");
                !why.empty())
                return refusal{std::move(why), errc::invalid_configuration};
        }
        if (aof_accepted && detail::redis_info_field(text(*persistence), "aof_enabled") != "1")
            return check_boot(c);
        return std::nullopt;
    }

    /// Without an AOF: this store's `{prefix}boot` key must name the server's current run (see
    /// `redis_accepted_risks::no_append_only_file`).
    std::optional<refusal> check_boot(redisContext* c) const
    {
        auto server = run(c, {"INFO", "server"});
        auto boot = server ? run(c, {"GET", boot_key_}) : std::nullopt;
        if (!boot)
            return refusal{c->errstr};
        const auto run_id = (*server)->type == REDIS_REPLY_STRING
                                ? detail::redis_info_field({(*server)->str, (*server)->len}, "run_id")
                                : std::nullopt;
        if (!run_id || run_id->empty() || ((*boot)->type != REDIS_REPLY_NIL && (*boot)->type != REDIS_REPLY_STRING))
            return refusal{"cannot read the server's run_id and this store's " + boot_key_};
        if ((*boot)->type == REDIS_REPLY_STRING) {
            if (std::string_view{(*boot)->str, (*boot)->len} == *run_id) {
                saw_boot_.store(true);
                return std::nullopt;
            }
            return refusal{"the server restarted without an append-only file and holds data of an earlier run "
                           "(restored from a snapshot): revocations made since that snapshot are lost; once checked, "
                           "DEL " + boot_key_};
        }
        if (saw_boot_.load())
            return refusal{"the server came back without this store's data (" + boot_key_ +
                           " is gone): revocations are lost; restart the application's instances once checked"};
        auto set = run(c, {"SET", boot_key_, *run_id, "NX"});
        if (!set || (*set)->type == REDIS_REPLY_ERROR)
            return refusal{set ? std::string{(*set)->str, (*set)->len} : std::string{c->errstr}};
        return check_boot(c); // written, or another instance was first: read what is there
    }

    /// One command on a connection; nothing when the connection failed (it must then be closed).
    static std::optional<detail::redis_reply> run(redisContext* c, std::initializer_list<std::string_view> args)
    {
        constexpr std::size_t most = 16;
        std::array<const char*, most> argv{};
        std::array<std::size_t, most> lens{};
        std::size_t n = 0;
        for (auto a : args) {
            argv[n] = a.data() != nullptr ? a.data() : "";
            lens[n] = a.size();
            ++n;
        }
        detail::redis_reply reply{
            static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(n), argv.data(), lens.data()))};
        if (!reply)
            return std::nullopt;
        return reply;
    }

    /// A connection from the pool; every `settings_check_interval`, one borrower checks the server again
    /// first, and while its settings are refused every request checks them and fails closed.
    result<lease_t> borrow()
    {
        auto lease = pool_.borrow();
        if (!lease)
            return lease;
        const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
        auto due = next_check_.load();
        if (!settings_refused_.load() && (now < due || !next_check_.compare_exchange_strong(due, now + interval_ticks())))
            return lease;
        if (check_server(lease->get())) {
            settings_refused_.store(true);
            if (lease->get()->err != 0)
                return lost(*lease);
            give_back(std::move(*lease));
            return fail(errc::store_unavailable);
        }
        if (lease->get()->err != 0)
            return lost(*lease);
        settings_refused_.store(false);
        next_check_.store(now + interval_ticks());
        return lease;
    }
    std::chrono::steady_clock::rep interval_ticks() const
    {
        return std::chrono::duration_cast<std::chrono::steady_clock::duration>(options_.settings_check_interval).count();
    }
    void give_back(lease_t c) { pool_.give_back(std::move(c)); }
    failure lost(lease_t& c) { return pool_.lost(c); }

    result<detail::redis_reply> command(std::initializer_list<std::string_view> args)
    {
        constexpr std::size_t most = 8;
        std::array<const char*, most> argv{};
        std::array<std::size_t, most> lens{};
        std::size_t n = 0;
        for (auto a : args) {
            argv[n] = a.data() != nullptr ? a.data() : "";
            lens[n++] = a.size();
        }
        auto lease = borrow();
        if (!lease)
            return fail(lease.error());
        bool evicted = false;
        auto reply = exchange(lease->get(), n, argv.data(), lens.data(), evicted);
        if (!reply)
            return lost(*lease);
        give_back(std::move(*lease));
        if ((*reply)->type == REDIS_REPLY_ERROR || evicted)
            return fail(evicted ? errc::store_unavailable : error_code_of(reply->get()));
        return std::move(*reply);
    }

    /// An error reply's code: `store_full` for Redis's refusal at its memory limit (`OOM`, nothing was
    /// written: a script is refused at its first write), `store_unavailable` for any other.
    static errc error_code_of(const redisReply* r) noexcept
    {
        return std::string_view{r->str, r->len}.starts_with("OOM ") ? errc::store_full : errc::store_unavailable;
    }

    /// Whether every request is followed by `INFO stats` (`accept.eviction`: fail closed once anything was evicted).
    [[nodiscard]] bool guarding() const noexcept { return options_.accept.eviction; }

    /// The next reply on a connection; nothing when the connection failed.
    static std::optional<detail::redis_reply> next_reply(redisContext* c)
    {
        void* raw = nullptr;
        if (redisGetReply(c, &raw) != REDIS_OK || raw == nullptr)
            return std::nullopt;
        return detail::redis_reply{static_cast<redisReply*>(raw)};
    }

    /// Queues `INFO stats` behind a request when guarding; false if the connection failed.
    bool send_guard(redisContext* c) const
    {
        return !guarding() || redisAppendCommand(c, "INFO stats") == REDIS_OK;
    }

    /// Reads the guard's reply when guarding: `evicted` if the server has evicted anything; false if the connection failed.
    bool read_guard(redisContext* c, bool& evicted) const
    {
        if (!guarding())
            return true;
        auto stats = next_reply(c);
        if (!stats)
            return false;
        evicted = evicted || !detail::redis_evicted_nothing(stats->get());
        return true;
    }

    /// One command and, when guarding, `INFO stats` after it, in one round trip. Nothing when the connection failed.
    std::optional<detail::redis_reply> exchange(redisContext* c, std::size_t argc, const char** argv,
                                                const std::size_t* lens, bool& evicted) const
    {
        if (redisAppendCommandArgv(c, static_cast<int>(argc), argv, lens) != REDIS_OK || !send_guard(c))
            return std::nullopt;
        auto reply = next_reply(c);
        if (!reply || !read_guard(c, evicted))
            return std::nullopt;
        return reply;
    }

    /// Runs script `which` by its SHA-1; a server that lost its script cache gets the source once.
    result<detail::redis_reply> script(detail::redis_op which, std::span<const std::string_view> keys,
                                       std::span<const std::string_view> args)
    {
        const auto index = static_cast<std::size_t>(which);
        const auto count = std::to_string(keys.size());
        std::vector<const char*> argv(3 + keys.size() + args.size());
        std::vector<std::size_t> lens(argv.size());
        std::size_t n = 3;
        for (auto part : {keys, args})
            for (auto a : part) {
                argv[n] = a.data() != nullptr ? a.data() : "";
                lens[n++] = a.size();
            }
        argv[2] = count.c_str();
        lens[2] = count.size();
        auto lease = borrow();
        if (!lease)
            return fail(lease.error());
        bool evicted = false;
        auto call = [&](std::string_view verb, std::string_view body) {
            argv[0] = verb.data();
            lens[0] = verb.size();
            argv[1] = body.data();
            lens[1] = body.size();
            return exchange(lease->get(), argv.size(), argv.data(), lens.data(), evicted);
        };
        auto reply = call("EVALSHA", shas_[index]);
        if (reply && (*reply)->type == REDIS_REPLY_ERROR &&
            std::string_view{(*reply)->str, (*reply)->len}.starts_with("NOSCRIPT"))
            reply = call("EVAL", detail::redis_scripts[index]);
        if (!reply)
            return lost(*lease);
        give_back(std::move(*lease));
        if ((*reply)->type == REDIS_REPLY_ERROR || evicted)
            return fail(evicted ? errc::store_unavailable : error_code_of(reply->get()));
        return std::move(*reply);
    }
    result<detail::redis_reply> script(detail::redis_op which, std::initializer_list<std::string_view> keys,
                                       std::initializer_list<std::string_view> args)
    {
        return script(which, std::span<const std::string_view>{keys.begin(), keys.size()},
                      std::span<const std::string_view>{args.begin(), args.size()});
    }

    static result<std::int64_t> integer(const redisReply* r)
    {
        if (r->type != REDIS_REPLY_INTEGER)
            return fail(errc::store_unavailable);
        return static_cast<std::int64_t>(r->integer);
    }

    /// A count the server returned: a non-negative integer, or a reply that fails closed.
    static result<std::size_t> count(const redisReply* r)
    {
        auto n = integer(r);
        if (!n)
            return fail(n.error());
        if (*n < 0)
            return fail(errc::store_unavailable);
        return static_cast<std::size_t>(*n);
    }

    static result<bool> integer_flag(const redisReply* r)
    {
        auto n = integer(r);
        if (!n)
            return fail(n.error());
        return *n == 1;
    }

    static result<std::optional<record>> parse_record(const redisReply* r, time_point now)
    {
        return detail::redis_record(r, now);
    }

    [[no_unique_address]] Clock clock_;
    redis_store_options options_;
    std::string tag_;
    std::string expiry_set_;
    std::string boot_key_;
    mutable std::atomic<bool> saw_boot_{false};
    std::atomic<bool> settings_refused_{false};
    std::atomic<std::chrono::steady_clock::rep> next_check_{
        std::chrono::steady_clock::now().time_since_epoch().count() +
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(options_.settings_check_interval).count()};
    std::array<std::string, detail::redis_scripts.size()> shas_;
    detail::connection_pool<lease_t, opener> pool_{options_.connections, options_.command_timeout, opener{this}};
};

/// The Redis store on the system clock.
using redis_store = basic_redis_store<>;

static_assert(store<redis_store>);

} // namespace tessera::inline v0
