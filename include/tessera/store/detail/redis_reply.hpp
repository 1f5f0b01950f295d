// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    hiredis for `redis_store`: owning handles, and the decoders of what the server answers (records,
    numbers, `INFO` sections). Every reply is input: what tessera did not write is refused.
*/

#include <tessera/core/clock.hpp>
#include <tessera/core/result.hpp>
#include <tessera/detail/c_handle.hpp>
#include <tessera/store/concepts.hpp>
#include <tessera/store/redis_options.hpp>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::inline v0::detail {

using redis_reply = c_handle<redisReply, &freeReplyObject>;
using redis_connection = c_handle<redisContext, &redisFree>;

/// What went wrong on a connection hiredis reports an error on: a timeout, a refusal, or a connection lost.
inline store_failure redis_failure_of(const redisContext* c) noexcept
{
    if (c == nullptr || c->err == REDIS_ERR_EOF)
        return store_failure::connection_lost;
    const std::string_view why{c->errstr};
    if (c->err == REDIS_ERR_IO && (why.find("timed out") != std::string_view::npos ||
                                   why.find("temporarily unavailable") != std::string_view::npos))
        return store_failure::timeout;
    if (why.find("refused") != std::string_view::npos || why.find("No such file") != std::string_view::npos)
        return store_failure::refused;
    return store_failure::connection_lost;
}

inline timeval to_timeval(std::chrono::milliseconds ms) noexcept
{
    timeval tv{};
    tv.tv_sec = static_cast<decltype(tv.tv_sec)>(ms.count() / 1000);
    tv.tv_usec = static_cast<decltype(tv.tv_usec)>((ms.count() % 1000) * 1000);
    return tv;
}

/// The value of `name` in an `INFO` reply (`name:value` lines), or nothing.
inline std::optional<std::string_view> redis_info_field(std::string_view info, std::string_view name) noexcept
{
    for (std::size_t at = 0; at < info.size();) {
        auto end = info.find('\n', at);
        if (end == std::string_view::npos)
            end = info.size();
        auto line = info.substr(at, end - at);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (line.size() > name.size() && line.starts_with(name) && line[name.size()] == ':')
            return line.substr(name.size() + 1);
        at = end + 1;
    }
    return std::nullopt;
}

/** Why a server with these `INFO memory` and `INFO persistence` sections cannot keep what tessera
    writes, given what the application accepts; empty when it can.
*/
inline std::string redis_settings_refusal(std::string_view memory, std::string_view persistence,
                                          const redis_accepted_risks& accept)
{
    const auto policy = redis_info_field(memory, "maxmemory_policy");
    const auto aof = redis_info_field(persistence, "aof_enabled");
    if (!policy || !aof)
        return "cannot read the server's maxmemory_policy and aof_enabled from INFO";
    if (!accept.eviction && *policy != "noeviction")
        return "the server's maxmemory-policy is " + std::string{*policy} +
               ", so Redis may evict revocations when memory is full; set `maxmemory-policy noeviction` "
               "(redis.conf, or CONFIG SET), or accept the risk with redis_store_options::accept.eviction";
    if (!accept.no_append_only_file && *aof != "1")
        return "the server runs without an append-only file (appendonly no), so a restart undoes the "
               "revocations made since its last snapshot; set `appendonly yes` (redis.conf, or CONFIG SET), or "
               "accept the risk with redis_store_options::accept.no_append_only_file";
    return {};
}

/// Whether an `INFO stats` reply says the server has evicted nothing since its statistics were reset.
inline bool redis_evicted_nothing(const redisReply* r) noexcept
{
    if (r == nullptr || r->type != REDIS_REPLY_STRING)
        return false;
    const auto n = redis_info_field({r->str, r->len}, "evicted_keys");
    return n && *n == "0";
}

/// A non-negative decimal of at most `max` from a reply, or nothing: stored data is checked like any input.
inline std::optional<std::int64_t> redis_number(const redisReply* r, std::int64_t max) noexcept
{
    if (r == nullptr || r->type != REDIS_REPLY_STRING || r->len == 0 || r->len > 20)
        return std::nullopt;
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(r->str, r->str + r->len, n);
    if (ec != std::errc{} || end != r->str + r->len || n < 0 || n > max)
        return std::nullopt;
    return n;
}

inline std::string redis_text(const redisReply* r)
{
    return r != nullptr && r->type == REDIS_REPLY_STRING ? std::string{r->str, r->len} : std::string{};
}

/** A record from `[v, s, e]`: all three nil (or a nil reply) is none; all three present and well formed
    is a record; anything else (a record missing a field, a field of another type) was not written by
    tessera and is refused, so that a reader can never take a damaged revocation for "no revocation".
*/
inline result<std::optional<record>> redis_record(const redisReply* r, time_point now)
{
    if (r->type == REDIS_REPLY_NIL)
        return std::optional<record>{};
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3)
        return fail(store_failure::corrupt_reply);
    const auto nils = std::count_if(r->element, r->element + 3,
                                    [](const redisReply* e) { return e->type == REDIS_REPLY_NIL; });
    if (nils == 3)
        return std::optional<record>{};
    const auto e = detail::redis_number(r->element[2], max_time_seconds);
    if (!e || r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING)
        return fail(store_failure::corrupt_reply);
    const time_point expires{std::chrono::seconds{*e}};
    if (expires <= now)
        return std::optional<record>{};
    return std::optional<record>{
        record{detail::redis_text(r->element[0]), detail::redis_text(r->element[1]), expires}};
}

/// An integer reply; any other reply fails closed.
inline result<std::int64_t> redis_integer(const redisReply* r)
{
    if (r->type != REDIS_REPLY_INTEGER)
        return fail(store_failure::corrupt_reply);
    return static_cast<std::int64_t>(r->integer);
}

/// A count the server returned: a non-negative integer, or a reply that fails closed.
inline result<std::size_t> redis_count(const redisReply* r)
{
    auto n = redis_integer(r);
    if (!n)
        return fail(n.error());
    if (*n < 0)
        return fail(store_failure::corrupt_reply);
    return static_cast<std::size_t>(*n);
}

/// A script's yes/no: the integer 1 is yes.
inline result<bool> redis_flag(const redisReply* r)
{
    auto n = redis_integer(r);
    if (!n)
        return fail(n.error());
    return *n == 1;
}

} // namespace tessera::inline v0::detail
