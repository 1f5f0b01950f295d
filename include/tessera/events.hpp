// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    Security events: what an authenticator tells an operator, in one fixed
    vocabulary, as it happens. An authenticator is given a sink at compile
    time (its `Events` parameter); without one (`no_events`) nothing is built
    and nothing is called.

    Every event is redacted by construction: a `security_event` has no field
    that could hold a credential. It names the subject, a handle that is not
    a secret (a session's handle is the hash of its id; a refresh family's id
    routes its tokens but opens none; a JWT's `jti`), the client context the
    credential was issued to, and for a store failure its cause. A session
    id, an access or refresh token, a refresh secret or a password never
    reaches a sink (`composition/events_carry_no_credential`, every scheme on
    every store).
*/

#include <tessera/core/clock.hpp>
#include <tessera/core/error.hpp>

#include <concepts>
#include <cstddef>
#include <string_view>
#include <system_error>

namespace tessera::inline v0 {

/// What happened.
enum class event_kind : int {
    /// A password check passed (`check_password`).
    login_succeeded = 1,
    /// A password check failed: a wrong password or an unknown user.
    login_failed,
    /// A login refused without checking the password: its subject or client is locked out for now.
    login_throttled,
    /// A session or a refresh family started (`issue`).
    session_created,
    /// A session's id was replaced (`refresh` of the session scheme).
    session_rotated,
    /// One credential was ended before its expiry (`revoke`: logout, a denied token).
    session_revoked,
    /// Every credential of a subject was ended (`revoke_all`: "log out everywhere").
    revoked_everywhere,
    /// A refresh token was exchanged for the family's next one.
    refresh_rotated,
    /// A refresh token was presented again after its rotation: someone holds a copy; its family is ended.
    refresh_reuse_detected,
    /// A credential that was revoked was presented (a denied JWT, a version revoked, an ended family).
    revoked_credential_presented,
    /// A request failed the CSRF check.
    csrf_refused,
    /// The store could not answer; `error` says why (`describe`).
    store_unavailable,
    /// A subject's password was changed (`change_password`): its other sessions are usually ended next.
    credential_changed,
    /// A signing key joined a key ring as its next key: published, verifying, not yet signing. `handle`: its `kid`.
    key_published,
    /// A key ring's next key became its primary: it signs from now on. `handle`: its `kid`.
    key_promoted,
    /// A key stopped signing and keeps verifying until its retention ends. `handle`: its `kid`.
    key_retired,
    /// A key was revoked: tokens it signed are refused at once, and it can never come back. `handle`: its `kid`.
    key_revoked,
    /// A retired key's retention ended: it no longer verifies. `handle`: its `kid`.
    key_dropped,
    /** A remote key set was fetched (or revalidated: 304) and is in use. `handle`: its URL; `count`:
        its usable keys. Scheme `"remote_key_set"`, like the four below.
    */
    key_set_fetched,
    /// A remote key set (or its discovery document) could not be fetched; `error`: why (`describe`).
    key_set_fetch_failed,
    /// A fetched key set was refused (junk, no usable key, too many keys, a `kid` twice); the previous one is kept.
    key_set_refused,
    /// The key set in use is past its freshness (its provider cannot be reached) and still serves, within its staleness bound.
    key_set_stale_served,
    /// The key set in use is past its staleness bound (or none was ever fetched): its tokens get `keys_unavailable`.
    key_set_unavailable,
};

/// The stable snake_case name of an event kind, e.g. `"refresh_reuse_detected"`.
constexpr std::string_view to_string(event_kind k) noexcept
{
    switch (k) {
    case event_kind::login_succeeded: return "login_succeeded";
    case event_kind::login_failed: return "login_failed";
    case event_kind::login_throttled: return "login_throttled";
    case event_kind::session_created: return "session_created";
    case event_kind::session_rotated: return "session_rotated";
    case event_kind::session_revoked: return "session_revoked";
    case event_kind::revoked_everywhere: return "revoked_everywhere";
    case event_kind::refresh_rotated: return "refresh_rotated";
    case event_kind::refresh_reuse_detected: return "refresh_reuse_detected";
    case event_kind::revoked_credential_presented: return "revoked_credential_presented";
    case event_kind::csrf_refused: return "csrf_refused";
    case event_kind::store_unavailable: return "store_unavailable";
    case event_kind::credential_changed: return "credential_changed";
    case event_kind::key_published: return "key_published";
    case event_kind::key_promoted: return "key_promoted";
    case event_kind::key_retired: return "key_retired";
    case event_kind::key_revoked: return "key_revoked";
    case event_kind::key_dropped: return "key_dropped";
    case event_kind::key_set_fetched: return "key_set_fetched";
    case event_kind::key_set_fetch_failed: return "key_set_fetch_failed";
    case event_kind::key_set_refused: return "key_set_refused";
    case event_kind::key_set_stale_served: return "key_set_stale_served";
    case event_kind::key_set_unavailable: return "key_set_unavailable";
    }
    return "unknown_event";
}

/** One security event. Its views are valid during the sink's call only: a sink that keeps an event
    copies what it keeps.
*/
struct security_event {
    event_kind kind{};
    /// `"session"`, `"jwt"` or `"hybrid"`; `"key_ring"` for a key's life, `"remote_key_set"` for a fetched set's; empty for an event of no scheme (a login, a CSRF check).
    std::string_view scheme{};
    /// When, on the emitter's clock.
    time_point at{};
    /// Whose credential; empty where the credential named none (an unknown session id).
    std::string_view subject{};
    /// Which credential, by a name that is not a secret: a session's handle, a family's id, a JWT's `jti`.
    std::string_view handle{};
    /// The client the credential was issued to (refresh reuse, session start), where known.
    std::string_view user_agent{};
    std::string_view ip{};
    /// `revoked_everywhere`: how many credentials ended; `key_set_fetched`: how many keys the set holds that verify.
    std::size_t count = 0;
    /// `store_unavailable`: the failure, with its cause; `login_failed`: why; `key_set_fetch_failed`, `key_set_refused`: why.
    std::error_code error{};
};

/// A sink: called with every event, and never failing the request (it does not throw).
template <class S>
concept event_sink = requires(S& sink, const security_event& e) {
    { sink(e) } noexcept;
};

/// The event sink of an authenticator that was given none: no event is built, nothing is called.
struct no_events {
    constexpr void operator()(const security_event&) const noexcept {}
};

static_assert(event_sink<no_events>);

} // namespace tessera::inline v0
