// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    The Redis store's client: its connections (pooled, each authenticated,
    on its database, to a server whose settings are accepted), the checks of
    the server made before a connection is used and every
    `settings_check_interval` after, one command or script per call in one
    round trip (with `INFO stats` behind it where evictions are guarded), and
    the scripts' SHA-1 digests. The store (redis.hpp) is its operations over
    this.
*/

#include <tessera/core/clock.hpp>
#include <tessera/core/error.hpp>
#include <tessera/core/result.hpp>
#include <tessera/store/concepts.hpp>
#include <tessera/store/detail/redis_reply.hpp>
#include <tessera/store/detail/redis_scripts.hpp>
#include <tessera/store/pool.hpp>
#include <tessera/store/redis_options.hpp>

#include <hiredis/hiredis.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::inline v0::detail {

/// A command's words as hiredis takes them (pointers and lengths), for at most `N` words.
template <std::size_t N>
class redis_argv {
public:
    explicit redis_argv(std::initializer_list<std::string_view> args) noexcept
    {
        for (auto a : args) {
            words_[n_] = a.data() != nullptr ? a.data() : "";
            lengths_[n_++] = a.size();
        }
    }
    [[nodiscard]] std::size_t size() const noexcept { return n_; }
    [[nodiscard]] const char** words() noexcept { return words_.data(); }
    [[nodiscard]] const std::size_t* lengths() const noexcept { return lengths_.data(); }

private:
    std::array<const char*, N> words_{};
    std::array<std::size_t, N> lengths_{};
    std::size_t n_ = 0;
};

/// Connections to one Redis server, and the commands a `basic_redis_store` sends over them.
template <clock Clock>
class redis_client {
public:
    /** Connects once, so that a wrong address or password is found at start-up, and loads the scripts.
        @throws tessera::error `store_unavailable` if the server cannot be reached or refuses the
        credentials, `invalid_configuration` if its settings are refused.
    */
    redis_client(redis_store_options options, Clock clock)
        : clock_(std::move(clock)), options_(std::move(options)), boot_key_(redis_keys{options_.key_prefix}.boot())
    {
        refusal no;
        auto first = connect(no);
        if (!first)
            throw error{no.code, "redis_store: " + no.why};
        // The scripts' SHA-1 digests, as the server computes them (the same on every server).
        for (std::size_t i = 0; i < redis_script_count; ++i) {
            auto reply = run(first.get(), {"SCRIPT", "LOAD", redis_scripts()[i]});
            if (!reply || (*reply)->type != REDIS_REPLY_STRING)
                throw error{errc::store_unavailable, "redis_store: cannot load its scripts"};
            shas_[i] = redis_text(reply->get());
        }
        pool_.adopt(std::move(first));
    }

    redis_client(const redis_client&) = delete;
    redis_client& operator=(const redis_client&) = delete;

    [[nodiscard]] const Clock& clock() const noexcept { return clock_; }
    [[nodiscard]] const redis_store_options& options() const noexcept { return options_; }

    /// One command; `store_unavailable` when the connection fails or the server replies with an error.
    result<redis_reply> command(std::initializer_list<std::string_view> args)
    {
        redis_argv<8> argv{args};
        auto lease = borrow();
        if (!lease)
            return fail(lease.error());
        bool evicted = false;
        auto reply = exchange(lease->get(), argv.size(), argv.words(), argv.lengths(), evicted);
        return settle(*lease, std::move(reply), evicted);
    }

    /// Runs script `which` by its SHA-1; a server that lost its script cache gets the source once.
    result<redis_reply> script(redis_op which, std::span<const std::string_view> keys,
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
            reply = call("EVAL", redis_scripts()[index]);
        return settle(*lease, std::move(reply), evicted);
    }
    result<redis_reply> script(redis_op which, std::initializer_list<std::string_view> keys,
                                       std::initializer_list<std::string_view> args)
    {
        return script(which, std::span<const std::string_view>{keys.begin(), keys.size()},
                      std::span<const std::string_view>{args.begin(), args.size()});
    }


    /// The records (`HMGET v s e`) of `names`, pipelined in one round trip, in order; not yet parsed.
    result<std::vector<redis_reply>> records(std::span<const std::string> names)
    {
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
        std::vector<redis_reply> out;
        out.reserve(names.size());
        for (std::size_t i = 0; i < names.size(); ++i) {
            auto reply = next_reply(lease->get());
            if (!reply)
                return lost(*lease); // the connection is out of step: closed, never given back
            out.push_back(std::move(*reply));
        }
        bool evicted = false;
        if (!read_guard(lease->get(), evicted))
            return lost(*lease);
        give_back(std::move(*lease));
        if (evicted)
            return fail(store_failure::lost_state);
        return out;
    }

private:
    using lease_t = redis_connection;
    friend opens_with<redis_client>;

    /// A new connection for the pool; null, and why, if none could be made.
    lease_t open(store_failure& cause) const
    {
        refusal no;
        auto c = connect(no);
        cause = no.cause;
        return c;
    }

    /// Why no connection was made: the server could not be reached (`store_unavailable`), or was, and
    /// its settings or state are refused (`invalid_configuration`, `store_unavailable`); `cause` is
    /// what a request that needed the connection is told.
    struct refusal {
        std::string why;
        errc code = errc::store_unavailable;
        store_failure cause = store_failure::refused;
    };

    /// A new connection, authenticated, on the right database, to a server whose settings are accepted;
    /// null (and why) if that fails.
    lease_t connect(refusal& no) const
    {
        std::string& why = no.why;
        const auto tv = to_timeval(options_.connect_timeout);
        lease_t c{options_.unix_socket.empty()
                      ? redisConnectWithTimeout(options_.host.c_str(), options_.port, tv)
                      : redisConnectUnixWithTimeout(options_.unix_socket.c_str(), tv)};
        if (!c || c->err != 0) {
            why = c ? c->errstr : "cannot allocate a connection";
            no.cause = c && redis_failure_of(c.get()) == store_failure::timeout ? store_failure::timeout
                                                                                  : store_failure::refused;
            return nullptr;
        }
        if (redisSetTimeout(c.get(), to_timeval(options_.command_timeout)) != REDIS_OK) {
            why = "cannot set the command timeout";
            return nullptr;
        }
        auto check = [&](std::initializer_list<std::string_view> args, store_failure refused_as) {
            auto reply = run(c.get(), args);
            if (!reply || (*reply)->type == REDIS_REPLY_ERROR) {
                why = reply ? std::string{(*reply)->str, (*reply)->len} : std::string{c->errstr};
                no.cause = reply ? refused_as : redis_failure_of(c.get());
                return false;
            }
            return true;
        };
        if (!options_.password.empty()) {
            const bool ok = options_.user.empty()
                                ? check({"AUTH", options_.password}, store_failure::authentication)
                                : check({"AUTH", options_.user, options_.password}, store_failure::authentication);
            if (!ok)
                return nullptr;
        }
        if (options_.database != 0 && !check({"SELECT", std::to_string(options_.database)}, store_failure::server_error))
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
            return refusal{c->errstr, errc::store_unavailable, redis_failure_of(c)};
        const auto text = [](const redis_reply& r) {
            return r->type == REDIS_REPLY_STRING ? std::string_view{r->str, r->len} : std::string_view{};
        };
        if ((*memory)->type == REDIS_REPLY_ERROR)
            return refusal{"cannot read the server's settings (INFO: " + std::string{text(*memory)} +
                               "); allow the user the INFO command",
                           errc::invalid_configuration, store_failure::refused_settings};
        if (auto why = redis_settings_refusal(text(*memory), text(*persistence), options_.accept); !why.empty())
            return refusal{std::move(why), errc::invalid_configuration, store_failure::refused_settings};
        if (options_.accept.eviction) {
            auto stats = run(c, {"INFO", "stats"});
            if (!stats)
                return refusal{c->errstr, errc::store_unavailable, redis_failure_of(c)};
            if (!redis_evicted_nothing(stats->get()))
                return refusal{"the server has evicted keys (evicted_keys in INFO stats), revocations among them "
                               "perhaps; once checked, reset its statistics (CONFIG RESETSTAT)",
                               errc::store_unavailable, store_failure::lost_state};
        }
        if (options_.max_clock_skew.count() > 0) {
            auto time = run(c, {"TIME"});
            if (!time)
                return refusal{c->errstr, errc::store_unavailable, redis_failure_of(c)};
            const auto server = (*time)->type == REDIS_REPLY_ARRAY && (*time)->elements == 2
                                    ? redis_number((*time)->element[0], max_time_seconds)
                                    : std::nullopt;
            if (!server)
                return refusal{"cannot read the server's clock (TIME)", errc::store_unavailable, store_failure::corrupt_reply};
            if (auto why = skew_refusal(clock_.now(), time_point{std::chrono::seconds{*server}},
                                        options_.max_clock_skew, "the Redis server's");
                !why.empty())
                return refusal{std::move(why), errc::invalid_configuration, store_failure::refused_settings};
        }
        if (aof_accepted && redis_info_field(text(*persistence), "aof_enabled") != "1")
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
            return refusal{c->errstr, errc::store_unavailable, redis_failure_of(c)};
        const auto run_id = (*server)->type == REDIS_REPLY_STRING
                                ? redis_info_field({(*server)->str, (*server)->len}, "run_id")
                                : std::nullopt;
        if (!run_id || run_id->empty() || ((*boot)->type != REDIS_REPLY_NIL && (*boot)->type != REDIS_REPLY_STRING))
            return refusal{"cannot read the server's run_id and this store's " + boot_key_, errc::store_unavailable,
                           store_failure::corrupt_reply};
        if ((*boot)->type == REDIS_REPLY_STRING) {
            if (std::string_view{(*boot)->str, (*boot)->len} == *run_id) {
                saw_boot_.store(true);
                return std::nullopt;
            }
            return refusal{"the server restarted without an append-only file and holds data of an earlier run "
                           "(restored from a snapshot): revocations made since that snapshot are lost; once checked, "
                           "DEL " + boot_key_,
                           errc::store_unavailable, store_failure::lost_state};
        }
        if (saw_boot_.load())
            return refusal{"the server came back without this store's data (" + boot_key_ +
                           " is gone): revocations are lost; restart the application's instances once checked",
                           errc::store_unavailable, store_failure::lost_state};
        auto set = run(c, {"SET", boot_key_, *run_id, "NX"});
        if (!set || (*set)->type == REDIS_REPLY_ERROR)
            return refusal{set ? std::string{(*set)->str, (*set)->len} : std::string{c->errstr}, errc::store_unavailable,
                           set ? store_failure::server_error : redis_failure_of(c)};
        return check_boot(c); // written, or another instance was first: read what is there
    }

    /// One command on a connection; nothing when the connection failed (it must then be closed).
    static std::optional<redis_reply> run(redisContext* c, std::initializer_list<std::string_view> args)
    {
        redis_argv<16> argv{args};
        redis_reply reply{static_cast<redisReply*>(
            redisCommandArgv(c, static_cast<int>(argv.size()), argv.words(), argv.lengths()))};
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
        if (auto refused = check_server(lease->get())) {
            settings_refused_.store(true);
            if (lease->get()->err != 0)
                return lost(*lease);
            give_back(std::move(*lease));
            return fail(refused->cause);
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
    failure lost(lease_t& c) { return pool_.lost(c, redis_failure_of(c.get())); }

    /// The end of a request: a connection that failed is closed, one in step goes back; an error reply,
    /// or an eviction seen behind the request, fails.
    result<redis_reply> settle(lease_t& lease, std::optional<redis_reply> reply, bool evicted)
    {
        if (!reply)
            return lost(lease);
        give_back(std::move(lease));
        if ((*reply)->type == REDIS_REPLY_ERROR || evicted)
            return fail(evicted ? make_error_code(store_failure::lost_state) : error_code_of(reply->get()));
        return std::move(*reply);
    }

    /// An error reply's code: `store_full` for Redis's refusal at its memory limit (`OOM`, nothing was
    /// written: a script is refused at its first write), `server_error` for any other.
    static std::error_code error_code_of(const redisReply* r) noexcept
    {
        return std::string_view{r->str, r->len}.starts_with("OOM ") ? make_error_code(errc::store_full)
                                                                     : make_error_code(store_failure::server_error);
    }

    /// Whether every request is followed by `INFO stats` (`accept.eviction`: fail closed once anything was evicted).
    [[nodiscard]] bool guarding() const noexcept { return options_.accept.eviction; }

    /// The next reply on a connection; nothing when the connection failed.
    static std::optional<redis_reply> next_reply(redisContext* c)
    {
        void* raw = nullptr;
        if (redisGetReply(c, &raw) != REDIS_OK || raw == nullptr)
            return std::nullopt;
        return redis_reply{static_cast<redisReply*>(raw)};
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
        evicted = evicted || !redis_evicted_nothing(stats->get());
        return true;
    }

    /// One command and, when guarding, `INFO stats` after it, in one round trip. Nothing when the connection failed.
    std::optional<redis_reply> exchange(redisContext* c, std::size_t argc, const char** argv,
                                                const std::size_t* lens, bool& evicted) const
    {
        if (redisAppendCommandArgv(c, static_cast<int>(argc), argv, lens) != REDIS_OK || !send_guard(c))
            return std::nullopt;
        auto reply = next_reply(c);
        if (!reply || !read_guard(c, evicted))
            return std::nullopt;
        return reply;
    }

    [[no_unique_address]] Clock clock_;
    redis_store_options options_;
    std::string boot_key_;
    mutable std::atomic<bool> saw_boot_{false};
    std::atomic<bool> settings_refused_{false};
    std::atomic<std::chrono::steady_clock::rep> next_check_{
        std::chrono::steady_clock::now().time_since_epoch().count() +
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(options_.settings_check_interval).count()};
    std::array<std::string, redis_script_count> shas_;
    connection_pool<lease_t, opens_with<redis_client>> pool_{options_.connections, options_.command_timeout, {this}};
};

} // namespace tessera::inline v0::detail
