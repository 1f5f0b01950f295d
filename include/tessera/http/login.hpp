// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    A login endpoint in a few lines: the body read with a bound, the
    throttle asked before Argon2id runs, the password checked, the
    credentials issued, and every refusal carrying what the answer needs
    (`Retry-After` for a throttled one).

    @par Example
    @code
    auto in = http::log_in(auth, hasher, throttle, body, client_ip,
                           [&](std::string_view user) { return users.hash_of(user); },
                           {.user_agent = ua, .ip = client_ip});
    if (!in) return send(web.challenge().refuse(in.error, http::carrier::none, in.retry_after));
    set_cookies(in->credentials);
    @endcode
*/

#include <tessera/core/error.hpp>
#include <tessera/credentials.hpp>
#include <tessera/detail/strict_json.hpp>
#include <tessera/events.hpp>
#include <tessera/options.hpp>
#include <tessera/password/hash.hpp>
#include <tessera/password/throttle.hpp>

#include <boost/json/object.hpp>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace tessera::inline v0::http {

/// The longest login body read.
inline constexpr std::size_t max_login_body_size = 4096;

/// What a login form sends.
struct login_form {
    std::string username;
    std::string password;
};

/** The body of a login request: a JSON object with exactly the string members `username` and
    `password` (read strictly: a repeated member, invalid UTF-8 or trailing data is refused).

    @return `invalid_request` for a body over `max_login_body_size`, or not of that shape, or whose
    username is empty or over `max_subject_size`, or whose password is empty or over `max_password_size`.
*/
inline result<login_form> parse_login(std::string_view body)
{
    if (body.size() > max_login_body_size)
        return fail(errc::invalid_request);
    auto parsed = tessera::detail::parse_object(body);
    if (!parsed || parsed->size() != 2)
        return fail(errc::invalid_request);
    const auto* user = parsed->if_contains("username");
    const auto* password = parsed->if_contains("password");
    if (user == nullptr || password == nullptr || !user->is_string() || !password->is_string())
        return fail(errc::invalid_request);
    login_form form{std::string{user->get_string()}, std::string{password->get_string()}};
    if (form.username.empty() || form.username.size() > max_subject_size || form.password.empty() ||
        form.password.size() > max_password_size)
        return fail(errc::invalid_request);
    return form;
}

/// What `log_in` did: the credentials, or the error and, when throttled, how long to wait.
struct login_outcome {
    std::optional<tessera::credentials> credentials{};
    std::error_code error{};
    /// `rate_limited`: the wait, for `Retry-After`.
    std::optional<std::chrono::seconds> retry_after{};
    /// The subject logged in (the form's username); empty on failure.
    std::string subject{};
    /// The stored hash uses old parameters: store `hasher.hash(password)` in its place.
    bool needs_rehash = false;

    [[nodiscard]] explicit operator bool() const noexcept { return credentials.has_value(); }
    [[nodiscard]] tessera::credentials* operator->() noexcept { return &*credentials; }
    [[nodiscard]] const tessera::credentials* operator->() const noexcept { return &*credentials; }
};

/** The whole login: `parse_login`, then `check_password` (throttle first, a dummy hash for an unknown
    user, failures counted), then `auth.issue(username, {}, context)`.

    @param hash_of the stored PHC hash of a username, or nothing for an unknown user
    (`std::optional<std::string>` or anything convertible to `std::optional<std::string_view>`).
    @param events told what `check_password` tells (`login_succeeded`, `login_failed`, ...).
    @return `invalid_request` for a body `parse_login` refuses (nothing counted: no password was tried),
    `rate_limited` with `retry_after`, `bad_credentials`, `store_unavailable`, or what `issue` returns.
*/
template <class Auth, store Store, clock Clock, class HashOf, event_sink Events = no_events>
    requires std::invocable<HashOf&, std::string_view>
login_outcome log_in(Auth& auth, const password_hasher& hasher, login_throttle<Store, Clock>& throttle,
                     std::string_view body, std::string_view client, HashOf&& hash_of,
                     const session_context& context = {}, Events events = {})
{
    login_outcome out;
    auto form = parse_login(body);
    if (!form) {
        out.error = form.error();
        return out;
    }
    const auto stored = hash_of(std::string_view{form->username});
    std::optional<std::string_view> hash;
    if (stored)
        hash = std::string_view{*stored};
    auto checked = check_password(hasher, throttle, form->username, client, form->password, hash, events);
    if (!checked) {
        out.error = checked.error();
        if (checked.error() == errc::rate_limited) {
            auto wait = throttle.wait(form->username, client);
            out.retry_after = wait && *wait > std::chrono::seconds{0} ? *wait : std::chrono::seconds{1};
        }
        return out;
    }
    auto issued = auth.issue(form->username, {}, context);
    if (!issued) {
        out.error = issued.error();
        return out;
    }
    out.needs_rehash = checked->needs_rehash;
    out.subject = std::move(form->username);
    out.credentials.emplace(std::move(*issued));
    return out;
}

} // namespace tessera::inline v0::http
