// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    The session scheme, `authenticator<Store, opaque, server_side>`: the
    credential is a session id, its meaning a record in the store
    (session_manager.hpp does the work). `issue` starts a session,
    `authenticate` looks it up (timeouts, renewal), `refresh` rotates the id,
    `revoke`/`revoke_all` delete records, `sessions` lists them.
*/

#include <tessera/context.hpp>
#include <tessera/core/clock.hpp>
#include <tessera/core/result.hpp>
#include <tessera/credentials.hpp>
#include <tessera/options.hpp>
#include <tessera/revocation/server_side.hpp>
#include <tessera/scheme/scheme.hpp>
#include <tessera/scheme/session_manager.hpp>
#include <tessera/store/concepts.hpp>

#include <boost/json/object.hpp>

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::inline v0 {

/** Server-side sessions: what `authenticator<Store, opaque, server_side>` is.

    @par Thread Safety
    Every member function may be called from many threads at once.
*/
template <store Storage, clock Clock>
class session_scheme {
public:
    /// @throws tessera::error `invalid_configuration` for lifetimes that cannot work.
    explicit session_scheme(Storage& store, authenticator_options options = {}, Clock clock = {})
        : options_(checked(std::move(options))), sessions_(store, options_.session, clock), store_(store),
          clock_(std::move(clock))
    {
    }

    /// Starts a session; `claims` become its attributes. `malformed` for an empty or oversized subject.
    result<credentials> issue(std::string_view subject, boost::json::object claims = {},
                              const session_context& context = {})
    {
        auto ctx = begin();
        return credentials_of(sessions_.create(ctx.now, subject, context, std::move(claims)));
    }

    /// Looks the session up, enforcing idle and absolute timeouts, renewing when due.
    result<principal> authenticate(std::string_view session_id)
    {
        auto ctx = begin();
        auto found = sessions_.validate(ctx.now, session_id);
        if (!found)
            return fail(found.error());
        const auto expires_at = ctx.now + found->max_age;
        return principal{std::move(found->data.subject), std::move(found->data.attributes), expires_at,
                         std::move(found->handle), found->renewed, found->max_age};
    }

    /// A new session id for the same session (login, privilege change); the old id dies.
    result<credentials> refresh(std::string_view session_id)
    {
        auto ctx = begin();
        return credentials_of(sessions_.rotate(ctx.now, session_id));
    }

    /// As `refresh`, and the session's attributes become `attributes`, in the same step (a role granted).
    result<credentials> refresh(std::string_view session_id, boost::json::object attributes)
    {
        auto ctx = begin();
        return credentials_of(sessions_.rotate(ctx.now, session_id, std::move(attributes)));
    }

    /// Ends the session (logout). True if it was live.
    result<bool> revoke(std::string_view session_id) { return sessions_.revoke(session_id); }

    /// Ends every session of `subject`; returns how many were live.
    result<std::size_t> revoke_all(std::string_view subject) { return sessions_.revoke_all(subject); }

    /// The subject's live sessions, oldest first.
    result<std::vector<session_info>> sessions(std::string_view subject)
    {
        auto ctx = begin();
        return sessions_.sessions(ctx.now, subject);
    }

    [[nodiscard]] const authenticator_options& options() const noexcept { return options_; }

private:
    using request = request_context<Storage>;

    request begin() const { return request{store_, clock_.now(), options_, events_}; }

    static authenticator_options checked(authenticator_options o)
    {
        detail::validate(o, false);
        return o;
    }

    static result<credentials> credentials_of(result<issued_session> s)
    {
        if (!s)
            return fail(s.error());
        const auto expiry = s->data.created_at + s->max_age;
        return credentials{std::move(s->id), expiry, {}, {}};
    }

    authenticator_options options_;
    session_manager<Storage, Clock> sessions_;
    Storage& store_;
    [[no_unique_address]] Clock clock_;
    [[no_unique_address]] mutable no_events events_;
};

template <store Storage, clock Clock>
struct scheme_of<Storage, opaque, server_side, Clock> {
    using type = session_scheme<Storage, Clock>;
};

} // namespace tessera::inline v0
