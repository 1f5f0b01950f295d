// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `json_lines_events`: a sink that writes one JSON object per event, one
    per line, to a stream (a log file, stderr, a pipe to a log shipper):

    @code
    {"event":"refresh_reuse_detected","scheme":"hybrid","at":1764600000,"sub":"alice","handle":"q1…","ua":"Firefox","ip":"203.0.113.7"}
    @endcode

    Members with nothing to say are left out. Text that is not UTF-8 (a
    user agent is whatever the client sent) is written as base64url under
    the member's name with `64` added (`"ua64"`), so every line is JSON.
    Lines are written whole, under a lock, and a sink that cannot write
    drops the event rather than fail the request.
*/

#include <tessera/core/base64url.hpp>
#include <tessera/core/error.hpp>
#include <tessera/detail/strict_json.hpp>
#include <tessera/events.hpp>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>

namespace tessera::inline v0 {

/// One event as the JSON object `json_lines_events` writes.
inline boost::json::object to_json(const security_event& e)
{
    boost::json::object o;
    o["event"] = to_string(e.kind);
    if (!e.scheme.empty())
        o["scheme"] = e.scheme;
    o["at"] = e.at.time_since_epoch().count();
    const auto text = [&o](std::string_view name, std::string_view value) {
        if (value.empty())
            return;
        if (tessera::detail::valid_utf8(value))
            o[name] = value;
        else
            o[std::string{name} + "64"] = base64url::encode(value);
    };
    text("sub", e.subject);
    text("handle", e.handle);
    text("ua", e.user_agent);
    text("ip", e.ip);
    if (e.kind == event_kind::revoked_everywhere)
        o["count"] = e.count;
    if (e.error)
        o["error"] = describe(e.error);
    return o;
}

/// Writes every event as one line of JSON to `out`, which must outlive every copy of the sink.
class json_lines_events {
public:
    explicit json_lines_events(std::ostream& out) : out_(&out), mutex_(std::make_shared<std::mutex>()) {}

    void operator()(const security_event& e) const noexcept
    {
        try {
            auto line = boost::json::serialize(to_json(e));
            line += '\n';
            const std::lock_guard lock{*mutex_};
            out_->write(line.data(), static_cast<std::streamsize>(line.size()));
            out_->flush();
        } catch (...) { // a log that cannot be written never fails a login
        }
    }

private:
    std::ostream* out_;
    std::shared_ptr<std::mutex> mutex_; // shared by the copies an authenticator makes
};

static_assert(event_sink<json_lines_events>);

} // namespace tessera::inline v0
