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
#include <tessera/events.hpp>
#include <tessera/options.hpp>
#include <tessera/revocation/server_side.hpp>
#include <tessera/scheme/scheme.hpp>
#include <tessera/scheme/session_manager.hpp>
#include <tessera/store/concepts.hpp>
#include <tessera/store/keys.hpp>

#include <boost/json/object.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::inline v0 {

/** Server-side sessions: what `authenticator<Store, opaque, server_side>` is.

    @par Thread Safety
    Every member function may be called from many threads at once.
*/
template <store Storage, clock Clock, class Events>
class session_scheme {
public:
    /// @throws tessera::error `invalid_configuration` for lifetimes that cannot work.
    explicit session_scheme(Storage& store, authenticator_options options = {}, Clock clock = {}, Events events = {})
        : options_(checked(std::move(options))), sessions_(store, options_.session, clock), store_(store),
          clock_(std::move(clock)), events_(std::move(events))
    {
    }

    /// Starts a session; `claims` become its attributes. `malformed` for an empty or oversized subject.
    result<credentials> issue(std::string_view subject, boost::json::object claims = {},
                              const session_context& context = {})
    {
        auto ctx = begin();
        auto created = sessions_.create(ctx.now, subject, context, std::move(claims));
        ctx.report(name, created, [&] {
            const auto handle = handle_of(created->id);
            ctx.emit({event_kind::session_created, name, ctx.now, created->data.subject, handle, context.user_agent,
                      context.ip});
        });
        return credentials_of(std::move(created));
    }

    /// Looks the session up, enforcing idle and absolute timeouts, renewing when due.
    result<principal> authenticate(std::string_view session_id)
    {
        auto ctx = begin();
        auto found = sessions_.validate(ctx.now, session_id, detail::session_fields::without_context);
        ctx.report(name, found, [] {});
        // One named result, filled where the caller receives it: nothing of the principal is moved twice.
        result<principal> out{boost::system::in_place_value};
        if (!found) {
            out = found.error();
            return out;
        }
        auto& who = *out;
        who.subject = std::move(found->data.subject);
        // Most sessions have no attributes: then the principal holds no object at all.
        if (!found->data.attributes.empty())
            who.claims = claim_set{std::move(found->data.attributes)};
        who.expires_at = ctx.now + found->max_age;
        who.id = std::move(found->handle);
        who.renewed = found->renewed;
        who.max_age = found->max_age;
        return out;
    }

    /// A new session id for the same session (login, privilege change); the old id dies.
    result<credentials> refresh(std::string_view session_id)
    {
        auto ctx = begin();
        return rotated(ctx, sessions_.rotate(ctx.now, session_id));
    }

    /// As `refresh`, and the session's attributes become `attributes`, in the same step (a role granted).
    result<credentials> refresh(std::string_view session_id, boost::json::object attributes)
    {
        auto ctx = begin();
        return rotated(ctx, sessions_.rotate(ctx.now, session_id, std::move(attributes)));
    }

    /// Ends the session (logout). True if it was live.
    result<bool> revoke(std::string_view session_id)
    {
        auto ctx = begin();
        auto revoked = sessions_.revoke(session_id);
        ctx.report(name, revoked, [&] {
            if (*revoked) {
                const auto handle = handle_of(session_id);
                ctx.emit({event_kind::session_revoked, name, ctx.now, {}, handle});
            }
        });
        return revoked;
    }

    /** Ends one session of `subject` by the handle `sessions(subject)` listed (a device logged out from
        the list). True if it was live and `subject`'s; another subject's session is never touched.
        @return `malformed` for a handle not of the listed shape (the store is not asked).
    */
    result<bool> revoke_session(std::string_view subject, std::string_view handle)
    {
        auto ctx = begin();
        auto revoked = sessions_.revoke_handle(subject, handle);
        ctx.report(name, revoked, [&] {
            if (*revoked)
                ctx.emit({event_kind::session_revoked, name, ctx.now, subject, handle});
        });
        return revoked;
    }

    /// Ends every session of `subject`; returns how many were live.
    result<std::size_t> revoke_all(std::string_view subject)
    {
        auto ctx = begin();
        auto ended = sessions_.revoke_all(subject);
        ctx.report_revoke_all(name, subject, ended);
        return ended;
    }

    /// The subject's live sessions, oldest first.
    result<std::vector<session_info>> sessions(std::string_view subject)
    {
        auto ctx = begin();
        auto listed = sessions_.sessions(ctx.now, subject);
        ctx.report(name, listed, [] {});
        return listed;
    }

    [[nodiscard]] const authenticator_options& options() const noexcept { return options_; }

private:
    using request = request_context<Storage, Events>;
    static constexpr std::string_view name = "session";

    /// A session's handle (the hash of its id, as `sessions()` lists it); empty for an id of another shape.
    std::string handle_of(std::string_view id) const
    {
        auto key = sessions_.key_of(id);
        return key ? keys::take_id(keys::kind::session, std::move(*key)) : std::string{};
    }

    result<credentials> rotated(const request& ctx, result<issued_session> r)
    {
        ctx.report(name, r, [&] {
            const auto handle = handle_of(r->id);
            ctx.emit({event_kind::session_rotated, name, ctx.now, r->data.subject, handle});
        });
        return credentials_of(std::move(r));
    }

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
    [[no_unique_address]] mutable Events events_;
};

template <store Storage, clock Clock, class Events>
struct scheme_of<Storage, opaque, server_side, Clock, Events> {
    using type = session_scheme<Storage, Clock, Events>;
};

} // namespace tessera::inline v0
