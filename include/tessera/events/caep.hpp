// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `caep_events`: a sink that tells other services that a user was logged
    out, as OpenID CAEP 1.0 `session-revoked` Security Event Tokens (RFC
    8417), signed with a key the application gives and handed to a delivery
    function (a push to the receivers' endpoints, a queue).

    | event | SET |
    |---|---|
    | `session_revoked` | `session-revoked`, the session (`opaque`: its handle or family id) and its user (`iss_sub`), `initiating_entity` `user` |
    | `revoked_everywhere` | `session-revoked` for the user (`iss_sub`): every session derived from it |
    | `refresh_reuse_detected` | `session-revoked`, the family and its user, `initiating_entity` `policy`, `reason_admin` |
    | `credential_changed` | `credential-change` for the user: `credential_type` `password`, `change_type` `update`, `initiating_entity` `user` |

    Other events send nothing. A SET carries what
    the event carries and no more: no credential can be in one. Its header's
    `typ` is `secevent+jwt` (RFC 8417 §2.3), so that no verifier of access
    tokens takes it for one.
*/

#include <tessera/core/random.hpp>
#include <tessera/events.hpp>
#include <tessera/jwt/claims.hpp>
#include <tessera/jwt/sign.hpp>

#include <boost/json/object.hpp>

#include <concepts>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace tessera::inline v0 {

/// Who sends the SETs, to whom, and whose subjects they name.
struct caep_options {
    /// `iss` of every SET: this service.
    std::string issuer{};
    /// `aud` of every SET: the receivers.
    std::string audience{};
    /// The issuer of the subjects named (`iss` of their `iss_sub` identifiers); empty: `issuer`.
    std::string subject_issuer{};
};

/// The CAEP event type of session revocation.
inline constexpr std::string_view caep_session_revoked =
    "https://schemas.openid.net/secevent/caep/event-type/session-revoked";
/// The CAEP event type of a credential created, changed, revoked or deleted.
inline constexpr std::string_view caep_credential_change =
    "https://schemas.openid.net/secevent/caep/event-type/credential-change";

/** Renders the revocation and credential events as signed CAEP SETs and calls `deliver(set)` with each.

    @tparam Deliver callable as `deliver(std::string_view set)`; it runs on the request's thread, so a
    slow delivery belongs on a queue. An exception from it is dropped, never the request's.
*/
template <jwt::algorithm Alg, class Deliver>
    requires std::invocable<Deliver&, std::string_view>
class caep_events {
public:
    /// @throws tessera::error `invalid_configuration` without an issuer or an audience.
    caep_events(jwt::signing_key_t<Alg> key, caep_options options, Deliver deliver)
        : state_(std::make_shared<state>(std::move(key), std::move(options), std::move(deliver)))
    {
        if (state_->options.issuer.empty() || state_->options.audience.empty())
            throw error{errc::invalid_configuration, "caep_events: a SET needs an issuer and an audience"};
        if (state_->options.subject_issuer.empty())
            state_->options.subject_issuer = state_->options.issuer;
    }

    void operator()(const security_event& e) const noexcept
    {
        try {
            if (auto set = render(e))
                state_->deliver(std::string_view{*set});
        } catch (...) { // a receiver that cannot be told never fails a logout
        }
    }

    /// The SET for `e`; none for an event that is neither a revocation nor a credential change.
    [[nodiscard]] std::optional<std::string> render(const security_event& e) const
    {
        boost::json::object body;
        std::string_view type = caep_session_revoked;
        switch (e.kind) {
        case event_kind::session_revoked: body["initiating_entity"] = "user"; break;
        case event_kind::revoked_everywhere: break;
        case event_kind::refresh_reuse_detected:
            body["initiating_entity"] = "policy";
            body["reason_admin"] = boost::json::object{{"en", "refresh token reuse detected"}};
            break;
        case event_kind::credential_changed:
            type = caep_credential_change;
            body["credential_type"] = "password";
            body["change_type"] = "update";
            body["initiating_entity"] = "user";
            break;
        default: return std::nullopt;
        }
        body["event_timestamp"] = e.at.time_since_epoch().count();
        jwt::claims c;
        c.issuer(state_->options.issuer).audience(state_->options.audience).issued_at(e.at).jwt_id(random_id());
        c.set("sub_id", subject_of(e));
        c.set("events", boost::json::object{{type, std::move(body)}});
        auto set = state_->signer.sign(c);
        if (!set)
            return std::nullopt;
        return std::move(*set);
    }

private:
    struct state {
        state(jwt::signing_key_t<Alg> key, caep_options o, Deliver d)
            : signer(std::move(key), jwt::sign_options{.type = "secevent+jwt", .generate_jti = false}),
              options(std::move(o)), deliver(std::move(d))
        {
        }
        jwt::signer<Alg> signer;
        caep_options options;
        Deliver deliver;
    };

    /// The subject: the user, the session, or both (RFC 9493 subject identifiers, CAEP's `complex`).
    boost::json::object subject_of(const security_event& e) const
    {
        boost::json::object user{{"format", "iss_sub"}, {"iss", state_->options.subject_issuer}, {"sub", e.subject}};
        boost::json::object session{{"format", "opaque"}, {"id", e.handle}};
        if (e.handle.empty())
            return user;
        if (e.subject.empty())
            return session;
        return boost::json::object{{"format", "complex"}, {"session", std::move(session)}, {"user", std::move(user)}};
    }

    std::shared_ptr<state> state_; // shared by the copies an authenticator makes
};

} // namespace tessera::inline v0
