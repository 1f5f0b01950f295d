// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    What a server-side session is: its state (`session_data`), what the
    session manager (session_manager.hpp) hands out and lists, and the record
    it is kept as in the store. Nothing else knows the record's layout.
*/

#include <tessera/core/clock.hpp>
#include <tessera/core/error.hpp>
#include <tessera/core/result.hpp>
#include <tessera/detail/strict_json.hpp>
#include <tessera/options.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tessera::inline v0 {

/// The state of one session.
struct session_data {
    std::string subject;
    time_point created_at;
    time_point last_seen;
    time_point absolute_expires_at;
    std::string user_agent;
    std::string ip;
    /// Application data kept with the session (roles, CSRF secret, preferences).
    boost::json::object attributes;
};

/// A session just created or rotated: the id goes into the cookie, once.
struct issued_session {
    /// The session id (43 base64url characters). Only the client keeps it.
    std::string id;
    session_data data;
    /// The cookie's Max-Age: until the session's current expiry.
    std::chrono::seconds max_age;
};

/// The outcome of validating a session id.
struct validated_session {
    session_data data;
    /// The handle under which the session is listed (the hash of its id), for `revoke_handle`.
    std::string handle;
    /// True when this request moved the expiry: re-send the cookie with `max_age`.
    bool renewed = false;
    std::chrono::seconds max_age{0};
};

/// A session as listed for its subject ("where you're logged in").
struct session_info {
    /// An opaque handle (not the id) that `revoke_handle` accepts.
    std::string handle;
    session_data data;
};

namespace detail {

inline time_point session_expiry(const session_data& s, const session_options& o) noexcept
{
    return std::min(s.last_seen + o.idle_timeout, s.absolute_expires_at);
}

/* A session record, version 2 (what tessera writes): one byte 0x02, the creation, last-seen and
   absolute-expiry times as three 64-bit little-endian second counts, the sizes of the subject, user
   agent and IP as three 32-bit little-endian counts, those three strings, and then the attributes as
   JSON (or nothing). Read on every request: the fixed header is read with three loads and no parse,
   and JSON only when there are attributes.

   Version 1, which tessera wrote before, is `1|created|last_seen|absolute|` followed by the subject,
   user agent and IP as `<length>:<bytes>`, then the attributes: it is still read (a store written
   by an older build keeps working), and is rewritten as version 2 at the session's next renewal. */
inline constexpr char session_record_v2 = '\x02';
inline constexpr std::size_t session_header_size = 1 + 3 * 8 + 3 * 4;

inline void append_le(std::string& out, std::uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; ++i)
        out += static_cast<char>(v >> (8 * i) & 0xff);
}

inline std::uint64_t load_le(const char* p, int bytes) noexcept
{
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
        v |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
    return v;
}

inline std::string encode_session(const session_data& s)
{
    std::string attributes = s.attributes.empty() ? std::string{} : boost::json::serialize(s.attributes);
    std::string out;
    out.reserve(session_header_size + s.subject.size() + s.user_agent.size() + s.ip.size() + attributes.size());
    out += session_record_v2;
    for (auto t : {s.created_at, s.last_seen, s.absolute_expires_at})
        append_le(out, static_cast<std::uint64_t>(t.time_since_epoch().count()), 8);
    for (const auto* field : {&s.subject, &s.user_agent, &s.ip})
        append_le(out, field->size(), 4);
    out += s.subject;
    out += s.user_agent;
    out += s.ip;
    out += attributes;
    return out;
}

/// What `decode_session` reads: every field, or all but the user agent and IP (what a request needs).
enum class session_fields { all, without_context };

/// The parts of a record, whichever version wrote it, before they are checked and copied.
struct session_parts {
    std::int64_t times[3] = {};
    std::string_view subject, user_agent, ip, attributes;
};

inline bool split_v2(std::string_view text, session_parts& parts) noexcept
{
    if (text.size() < session_header_size)
        return false;
    const char* p = text.data() + 1;
    for (auto& t : parts.times) {
        const auto v = load_le(p, 8);
        if (v > static_cast<std::uint64_t>(max_time_seconds)) // negative or beyond what a time may be
            return false;
        t = static_cast<std::int64_t>(v);
        p += 8;
    }
    std::size_t offset = session_header_size, rest = text.size() - session_header_size;
    for (auto* field : {&parts.subject, &parts.user_agent, &parts.ip}) {
        const auto size = static_cast<std::size_t>(load_le(p, 4));
        p += 4;
        if (size > rest)
            return false;
        *field = text.substr(offset, size);
        offset += size;
        rest -= size;
    }
    parts.attributes = text.substr(offset);
    return true;
}

inline bool split_v1(std::string_view text, session_parts& parts) noexcept
{
    if (!text.starts_with("1|"))
        return false;
    text.remove_prefix(2);
    // Decimal digits, at most 18 (no overflow; every time and length tessera writes is shorter), then `end`.
    auto integer = [&](char end, std::int64_t& value) {
        std::int64_t v = 0;
        std::size_t i = 0;
        for (; i < text.size() && i < 18 && text[i] >= '0' && text[i] <= '9'; ++i)
            v = v * 10 + (text[i] - '0');
        if (i == 0 || i == text.size() || text[i] != end)
            return false;
        value = v;
        text.remove_prefix(i + 1);
        return true;
    };
    auto field = [&](std::string_view& value) {
        std::int64_t length = 0;
        if (!integer(':', length) || static_cast<std::uint64_t>(length) > text.size())
            return false;
        value = text.substr(0, static_cast<std::size_t>(length));
        text.remove_prefix(static_cast<std::size_t>(length));
        return true;
    };
    if (!integer('|', parts.times[0]) || !integer('|', parts.times[1]) || !integer('|', parts.times[2]) ||
        !field(parts.subject) || !field(parts.user_agent) || !field(parts.ip))
        return false;
    // Times are added to (idle timeout) and compared: out of range, they would overflow.
    for (auto t : parts.times)
        if (t > max_time_seconds)
            return false;
    parts.attributes = text;
    return true;
}

/// Reads a record into `s` (whose strings keep their buffers when they fit).
inline result<void> decode_session(std::string_view text, session_data& s,
                                   session_fields fields = session_fields::all)
{
    // A record that does not parse was not written by tessera: the store is not answering truthfully.
    session_parts parts;
    if (!(text.starts_with(session_record_v2) ? split_v2(text, parts) : split_v1(text, parts)))
        return fail(store_failure::corrupt_reply);
    s.subject.assign(parts.subject);
    if (fields == session_fields::all) {
        s.user_agent.assign(parts.user_agent);
        s.ip.assign(parts.ip);
    } else {
        s.user_agent.clear();
        s.ip.clear();
    }
    s.created_at = time_point{std::chrono::seconds{parts.times[0]}};
    s.last_seen = time_point{std::chrono::seconds{parts.times[1]}};
    s.absolute_expires_at = time_point{std::chrono::seconds{parts.times[2]}};
    if (!parts.attributes.empty()) {
        auto attributes = tessera::detail::parse_object(parts.attributes);
        if (!attributes)
            return fail(store_failure::corrupt_reply);
        s.attributes = std::move(*attributes);
    } else if (!s.attributes.empty()) {
        s.attributes.clear();
    }
    return {};
}

inline result<session_data> decode_session(std::string_view text)
{
    session_data s;
    if (auto ok = decode_session(text, s); !ok)
        return ok.error();
    return s;
}

} // namespace detail

} // namespace tessera::inline v0
