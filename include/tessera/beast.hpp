// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    The HTTP layer on Boost.Beast (CMake target `tessera::beast`; nothing
    else in tessera includes Beast): a Beast request read as an
    `http::request`, a refusal written into a Beast response, and a
    protected handler in a few lines.

    @par Example
    @code
    namespace bhttp = boost::beast::http;
    bhttp::response<bhttp::string_body> me(const bhttp::request<bhttp::string_body>& req)
    {
        bhttp::response<bhttp::string_body> res{bhttp::status::ok, req.version()};
        if (auto p = tessera::beast::authenticate(guard, req, res))
            tessera::beast::json(res, {{"sub", p->subject}});
        return res;                         // refused: 401/400/403/503, its challenge and body written
    }
    @endcode
*/

#include <tessera/http/answer.hpp>
#include <tessera/http/cookie.hpp>
#include <tessera/http/guard.hpp>
#include <tessera/http/request.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tessera::inline v0::beast {

namespace bhttp = boost::beast::http;

/// A Beast request as tessera reads it (an `http::request`), viewing it.
template <class Body, class Fields>
class request_view {
public:
    explicit request_view(const bhttp::request<Body, Fields>& r) noexcept : r_(r) {}

    [[nodiscard]] std::string_view method() const noexcept { return sv(r_.method_string()); }
    [[nodiscard]] std::string_view target() const noexcept { return sv(r_.target()); }

    /// Beast compares field names without case, as RFC 9110 says.
    template <class Visit>
    void for_each_field(std::string_view name, Visit&& visit) const
    {
        const auto [first, last] = r_.equal_range(boost::beast::string_view{name.data(), name.size()});
        for (auto it = first; it != last; ++it)
            visit(sv(it->value()));
    }

private:
    static std::string_view sv(boost::beast::string_view s) noexcept { return {s.data(), s.size()}; }

    const bhttp::request<Body, Fields>& r_;
};

/// `res`'s body as JSON, with its content type, length and `Cache-Control: no-store`.
template <class Fields>
void json(bhttp::response<bhttp::string_body, Fields>& res, const boost::json::object& body)
{
    res.set(bhttp::field::content_type, "application/json");
    res.set(bhttp::field::cache_control, tessera::http::cache_control_no_store);
    res.body() = boost::json::serialize(body);
    res.prepare_payload();
}

/** Writes `r` into `res`: the status, `WWW-Authenticate`, `Retry-After`, the clearing cookie of
    `cookie` when the refusal asks for it, `Cache-Control: no-store`, and a JSON body
    `{"error": r.error}` (which never says which check failed).
*/
template <class Fields>
void refuse(bhttp::response<bhttp::string_body, Fields>& res, const tessera::http::refusal& r,
            const std::optional<tessera::http::cookie_policy>& cookie = std::nullopt)
{
    res.result(static_cast<unsigned>(r.status));
    if (!r.www_authenticate.empty())
        res.set(bhttp::field::www_authenticate, r.www_authenticate);
    if (r.retry_after)
        res.set(bhttp::field::retry_after, std::to_string(r.retry_after->count()));
    if (r.clear_cookie && cookie)
        res.insert(bhttp::field::set_cookie, cookie->clear_cookie());
    json(res, {{"error", r.error}});
}

/// The value of `cookie` in `req` (what `authenticate` found there), or empty.
template <class Body, class Fields>
std::string_view request_cookie_value(const bhttp::request<Body, Fields>& req,
                                      const tessera::http::cookie_policy& cookie)
{
    auto found = tessera::http::request_cookie(request_view<Body, Fields>{req}, cookie.name());
    return found && *found ? **found : std::string_view{};
}

/** The principal of `req`, checked by `guard`; when refused, nothing, and `res` holds the refusal.
    A session whose expiry moved (`renewed`) gets its cookie sent again with the new `Max-Age`.
*/
template <class Auth, class Body, class Fields>
[[nodiscard]] std::optional<typename tessera::http::guard<Auth>::principal_type>
authenticate(const tessera::http::guard<Auth>& guard, const bhttp::request<Body, Fields>& req,
             bhttp::response<bhttp::string_body, Fields>& res)
{
    auto v = guard.check(request_view<Body, Fields>{req});
    if (!v) {
        refuse(res, v.answer, guard.cookie());
        return std::nullopt;
    }
    res.set(bhttp::field::cache_control, tessera::http::cache_control_no_store);
    if constexpr (requires { v->renewed; v->max_age; })
        if (v->renewed && v.carrier == tessera::http::carrier::cookie && guard.cookie())
            if (auto again = guard.cookie()->set_cookie(request_cookie_value(req, *guard.cookie()), v->max_age))
                res.insert(bhttp::field::set_cookie, *again);
    return std::move(v.principal);
}

} // namespace tessera::inline v0::beast
