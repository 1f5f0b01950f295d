// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `http::guard`: one request's whole check, for any authenticator and any
    framework. It finds the credential (the scheme's cookie or a bearer
    token, never both), refuses a cross-site unsafe request before the store
    is asked, authenticates, checks the double-submit CSRF token of a
    cookie-carried credential, and answers every refusal as `answer.hpp`
    says.

    @par Example
    @code
    const http::guard web{auth, {.realm = "app", .cookie = http::cookie_options{},
                                 .origins = {{"https://app.example"}}}, &csrf};
    auto v = web.check(request);          // any http::request
    if (!v) return send(v.answer);        // 400, 401, 403 or 503, with its challenge
    use(v->subject);
    @endcode
*/

#include <tessera/core/error.hpp>
#include <tessera/http/answer.hpp>
#include <tessera/http/cookie.hpp>
#include <tessera/http/credential.hpp>
#include <tessera/http/csrf.hpp>
#include <tessera/http/request.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace tessera::inline v0::http {

/// How a scheme's requests are checked.
struct guard_options {
    /// The realm of the `WWW-Authenticate` challenges.
    std::string realm = "api";
    /// The cookie the credential travels in (the session scheme); none: `Authorization: Bearer` only.
    std::optional<cookie_options> cookie{};
    /// Who may send unsafe requests carrying the cookie. A guard with a cookie needs one origin at least.
    origin_policy origins{};
    /// The field carrying the double-submit token of an unsafe cookie-carried request, checked when the
    /// guard is given `csrf_tokens` (bound to the credential's handle, `principal::id`).
    std::string csrf_field = "X-CSRF-Token";
};

/// What a guard decided: the principal, or what to answer.
template <class Principal>
struct verdict {
    std::optional<Principal> principal{};
    /// When refused: the status, the challenge, and whether to clear the cookie.
    refusal answer{};
    /// How the credential came (none: it did not).
    http::carrier carrier = carrier::none;

    [[nodiscard]] explicit operator bool() const noexcept { return principal.has_value(); }
    [[nodiscard]] Principal& operator*() noexcept { return *principal; }
    [[nodiscard]] const Principal& operator*() const noexcept { return *principal; }
    [[nodiscard]] Principal* operator->() noexcept { return &*principal; }
    [[nodiscard]] const Principal* operator->() const noexcept { return &*principal; }
};

/** Checks requests for `Auth` (any authenticator: what it needs is `authenticate(credential)`).

    A scheme with a cookie takes its credential from the cookie or, for a client that is no browser,
    from `Authorization: Bearer` (which no other site can make a browser send, so it needs no CSRF
    check); never from both.

    @par Thread Safety
    `check` may be called from many threads at once (as `Auth::authenticate` may).
*/
template <class Auth>
class guard {
public:
    using principal_type = std::remove_cvref_t<decltype(*std::declval<Auth&>().authenticate(std::string_view{}))>;

    /** @param csrf the double-submit tokens checked on unsafe cookie-carried requests; null: the origin
        check alone (enough where every browser sends `Sec-Fetch-Site` or `Origin`).
        @throws tessera::error `invalid_configuration` for a bad realm or cookie, or a cookie without a
        trusted origin.
    */
    guard(Auth& auth, guard_options options = {}, const csrf_tokens* csrf = nullptr)
        : auth_(auth), challenge_(std::move(options.realm)), origins_(std::move(options.origins)),
          csrf_field_(std::move(options.csrf_field)), csrf_(csrf)
    {
        if (options.cookie) {
            cookie_.emplace(std::move(*options.cookie));
            if (origins_.trusted_origins.empty())
                throw error{errc::invalid_configuration, "a guard with a cookie needs a trusted origin (CSRF)"};
        }
    }

    /// The principal of `r`, or the answer to refuse it with.
    template <request R>
    [[nodiscard]] verdict<principal_type> check(const R& r) const
    {
        verdict<principal_type> v;
        const bool cookie_scheme = cookie_.has_value();
        auto found = find_credential(r, cookie_scheme ? std::string_view{cookie_->name()} : std::string_view{});
        if (!found)
            return refused(std::move(v), found.error(), carrier::bearer);
        if (!*found) {
            v.answer = challenge_.missing();
            return v;
        }
        v.carrier = found->carrier;
        const bool unsafe_cookie = found->carrier == carrier::cookie && !detail::is_safe_method(r.method());
        if (unsafe_cookie) // before the store is asked: a cross-site request costs no lookup
            if (auto same = check_origin(origin_of(r), origins_); !same)
                return refused(std::move(v), same.error(), carrier::cookie);
        auto p = auth_.authenticate(found->value);
        if (!p)
            return refused(std::move(v), p.error(), found->carrier);
        if (unsafe_cookie && csrf_ != nullptr) {
            auto token = single_field(r, csrf_field_);
            auto same = token && *token ? csrf_->verify(**token, p->id) : result<void>{fail(errc::csrf_mismatch)};
            if (!same)
                return refused(std::move(v), same.error(), carrier::cookie);
        }
        v.principal.emplace(std::move(*p));
        return v;
    }

    [[nodiscard]] const http::challenge& challenge() const noexcept { return challenge_; }
    /// The scheme's cookie, if its credential travels in one.
    [[nodiscard]] const std::optional<cookie_policy>& cookie() const noexcept { return cookie_; }

private:
    template <request R>
    static request_origin origin_of(const R& r)
    {
        return {r.method(), field_or_empty(r, "Sec-Fetch-Site"), field_or_empty(r, "Origin"),
                field_or_empty(r, "Referer")};
    }

    verdict<principal_type> refused(verdict<principal_type> v, const std::error_code& ec, carrier from) const
    {
        v.answer = challenge_.refuse(ec, from);
        return v;
    }

    Auth& auth_;
    http::challenge challenge_;
    std::optional<cookie_policy> cookie_;
    origin_policy origins_;
    std::string csrf_field_;
    const csrf_tokens* csrf_;
};

} // namespace tessera::inline v0::http
