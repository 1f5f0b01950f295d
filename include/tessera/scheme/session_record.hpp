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

#include <charconv>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
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

// A session record is `1|created|last_seen|absolute|` followed by the
// subject, user agent and IP as `<length>:<bytes>`, then the attributes as
// JSON (or nothing). Read on every request, so no JSON parse unless there are
// attributes; the leading version lets the layout change later.
inline void append_field(std::string& out, std::string_view field)
{
    out += std::to_string(field.size());
    out += ':';
    out += field;
}

inline std::string encode_session(const session_data& s)
{
    std::string out = "1|";
    for (auto t : {s.created_at, s.last_seen, s.absolute_expires_at}) {
        out += std::to_string(t.time_since_epoch().count());
        out += '|';
    }
    append_field(out, s.subject);
    append_field(out, s.user_agent);
    append_field(out, s.ip);
    if (!s.attributes.empty())
        out += boost::json::serialize(s.attributes);
    return out;
}

/// What `decode_session` reads: every field, or all but the user agent and IP (what a request needs).
enum class session_fields { all, without_context };

/// Reads a record into `s` (whose strings keep their buffers when they fit).
inline result<void> decode_session(std::string_view text, session_data& s,
                                   session_fields fields = session_fields::all)
{
    // A record that does not parse was not written by tessera: the store is not answering truthfully.
    const auto corrupt = fail(store_failure::corrupt_reply);
    if (!text.starts_with("1|"))
        return corrupt;
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
    auto field = [&](std::string& value, bool wanted) {
        std::int64_t length = 0;
        if (!integer(':', length) || length < 0 || static_cast<std::uint64_t>(length) > text.size())
            return false;
        if (wanted)
            value.assign(text.substr(0, static_cast<std::size_t>(length)));
        else
            value.clear();
        text.remove_prefix(static_cast<std::size_t>(length));
        return true;
    };
    const bool context = fields == session_fields::all;
    std::int64_t created = 0, seen = 0, absolute = 0;
    if (!integer('|', created) || !integer('|', seen) || !integer('|', absolute) || !field(s.subject, true) ||
        !field(s.user_agent, context) || !field(s.ip, context))
        return corrupt;
    // Times are added to (idle timeout) and compared: out of range, they would overflow.
    for (auto t : {created, seen, absolute})
        if (t < 0 || t > max_time_seconds)
            return corrupt;
    s.created_at = time_point{std::chrono::seconds{created}};
    s.last_seen = time_point{std::chrono::seconds{seen}};
    s.absolute_expires_at = time_point{std::chrono::seconds{absolute}};
    if (!text.empty()) {
        auto attributes = tessera::detail::parse_object(text);
        if (!attributes)
            return corrupt;
        s.attributes = std::move(*attributes);
    } else {
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
