// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    tessera's error codes: one `errc` enumeration in the category "tessera",
    each with a stable snake_case name that tools and logs may depend on.
*/

#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace tessera::inline v0 {

/** Why tessera refused a credential, a key or a request.

    The names (see `to_string`) are stable: scripts, logs and the
    `tessera-jwt` program print them, so they never change meaning.
*/
enum class errc : int {
    /// The input does not have the exact shape required (bad base64url, not three parts, bad JSON, ...).
    malformed = 1,
    /// The token is longer than the configured maximum (8 KiB by default).
    token_too_large,
    /// The `alg` is not one tessera implements (`none` included: it never is).
    unsupported_algorithm,
    /// The `alg` is valid but not the one the verifier pins, or does not fit the key.
    algorithm_mismatch,
    /// The signature or MAC does not verify.
    bad_signature,
    /// `exp` is in the past beyond the leeway, or the token is older than the maximum age.
    expired,
    /// `nbf` (or `iat`) is in the future beyond the leeway.
    not_yet_valid,
    /// `iss` is not one of the accepted issuers.
    wrong_issuer,
    /// None of the token's audiences is accepted.
    wrong_audience,
    /// The header's `typ` is not the expected one.
    wrong_type,
    /// A claim the verifier requires is absent.
    missing_claim,
    /// The credential was revoked before it expired.
    revoked,
    /// No live session has this id.
    unknown_session,
    /// A refresh token was presented a second time; its family is now revoked.
    refresh_reused,
    /// The store could not answer; tessera fails closed.
    store_unavailable,
    /// The key cannot be used: unparsable, wrong type or curve for the algorithm.
    invalid_key,
    /// The key is too short for the algorithm.
    weak_key,
    /// The CSRF token or origin check failed.
    csrf_mismatch,
    /// Too many attempts; try again later.
    rate_limited,
    /// The user name or password is wrong.
    bad_credentials,
    /// No key in the key set matches the token's `kid`.
    unknown_key,
    /// `sub` is not the subject the verifier requires.
    wrong_subject,
    /// A setting given at construction cannot work (a lifetime, a missing issuer); thrown, never returned.
    invalid_configuration,
    /** The store answered, and refused a write for lack of room (a full `memory_store`, a Redis at its
        memory limit under `noeviction`): nothing was written. Unavailable, like `store_unavailable`, but
        known not to have happened, so a caller may undo the steps before it.
    */
    store_full,
    /// A new password is refused: shorter than the minimum, longer than `max_password_size`, or the current one.
    weak_password,
    /** The request is not one tessera can read without guessing (RFC 6750 `invalid_request`): a
        credential sent two ways, a field that may appear once sent twice, an `Authorization: Bearer`
        value that is not a token, a body that is not the expected JSON.
    */
    invalid_request,
    /** A key ring refused a change its invariants forbid: promoting a key that is not next, retiring
        the primary (promote another key instead), publishing a key the ring already holds.
    */
    wrong_key_state,
    /** No key set can be trusted to verify this token: a remote key set could not be fetched (or
        what it fetched was refused) and the last good set is older than its maximum staleness, or
        none was ever fetched. Unavailable (503), never rejected: the token was not found wanting,
        the verifier could not look. The cause is in the `key_set_fetch_failed` events.
    */
    keys_unavailable,
};

/** What an HTTP layer needs to know of an error: one condition per response status.

    Every `errc` is equivalent to exactly one of them, compared with `==`:
    @code
    if (r.error() == tessera::condition::rejected) return 401;
    @endcode
    or in one line, `tessera::http_status(r.error())`.
*/
enum class condition : int {
    /// The credential is not accepted: 401 (send `WWW-Authenticate`, or clear the cookie).
    rejected = 1,
    /// The request is refused whoever sent it (CSRF): 403.
    forbidden,
    /// Too many attempts: 429 (with `Retry-After`).
    throttled,
    /// The store cannot answer; nobody was let in: 503.
    unavailable,
    /// The server is set up wrongly (a key, a setting): 500.
    misconfigured,
    /// The request cannot be taken as it is (`invalid_request`, a new password refused): 400.
    bad_request,
};

/** Why a store could not answer. A store's failure is an error code of this
    enumeration (category "tessera-store"): on the request path it *is*
    `store_unavailable` — `to_string` says so, it is equivalent to
    `condition::unavailable`, `http_status` is 503 — and its cause is kept
    for the operator, in `message()`, `describe()` and `cause_of()`, in the
    code's value (nothing is allocated). Compare a result's error with
    `condition::unavailable`, not with `errc::store_unavailable`, to match
    every store failure whatever its cause.
*/
enum class store_failure : int {
    /// No connection could be made: nothing listens there, or the route is refused.
    refused = 1,
    /// No answer within the store's timeout: a frozen or overloaded server, a partition.
    timeout,
    /// The server refused the login (user, password, ACL, `pg_hba`).
    authentication,
    /// A connection broke in the middle of a request (reset, end of stream); it is closed.
    connection_lost,
    /// The server answered with an error (a script or statement failed, a read-only replica, a lock).
    server_error,
    /// A reply or a record that is not of the shape tessera writes: not a truthful answer.
    corrupt_reply,
    /// The store lost what it held (keys evicted, a snapshot restored, a schema re-created, a file
    /// replaced): revocations may be gone, so nothing is answered from it.
    lost_state,
    /// The server's settings are refused (an eviction policy, no persistence, a clock too far off).
    refused_settings,
    /// Every connection stayed busy for the whole wait, or the database stayed locked.
    busy,
};

/** Why a remote key set (or its discovery document) could not be fetched or was refused. Like a
    store failure, such a code *is* `keys_unavailable` for the HTTP layer — `to_string` says so, it
    is equivalent to `condition::unavailable`, `http_status` is 503 — and keeps its cause for the
    operator (`describe`, `fetch_cause_of`, the `key_set_fetch_failed` and `key_set_refused` events).
*/
enum class fetch_failure : int {
    /// No connection could be made (nothing listens, the name does not resolve, the route is refused).
    unreachable = 1,
    /// No whole answer within the timeout (connecting, or the total).
    timeout,
    /// TLS failed: a certificate no trusted authority signed, a host name it does not name, a broken handshake.
    tls,
    /// The body is longer than the limit.
    too_large,
    /// The status was neither 200 nor (for a revalidation) 304.
    bad_status,
    /// The provider answered with a redirect, which is never followed.
    redirect,
    /// The URL is not `https` (plain `http` only to a loopback address), or not one tessera reads without guessing.
    insecure_url,
    /// The body is not the JSON document expected (a JWK Set, a discovery document).
    malformed,
    /// The set holds no key this verifier can use: refused, the previous set kept.
    no_usable_key,
    /// The set holds more keys than the limit.
    too_many_keys,
    /// Two usable keys share a `kid`: which one a token means cannot be told.
    duplicate_kid,
    /// The discovery document's `issuer` is not exactly the configured issuer.
    wrong_issuer,
};

} // namespace tessera::inline v0

// Declared before any use so that `errc` converts to `std::error_code` everywhere.
template <>
struct std::is_error_code_enum<tessera::errc> : std::true_type {};
template <>
struct std::is_error_condition_enum<tessera::condition> : std::true_type {};
template <>
struct std::is_error_code_enum<tessera::store_failure> : std::true_type {};
template <>
struct std::is_error_code_enum<tessera::fetch_failure> : std::true_type {};

namespace tessera::inline v0 {

/// The stable snake_case name of `e`, e.g. `"bad_signature"`.
constexpr std::string_view to_string(errc e) noexcept
{
    switch (e) {
    case errc::malformed: return "malformed";
    case errc::token_too_large: return "token_too_large";
    case errc::unsupported_algorithm: return "unsupported_algorithm";
    case errc::algorithm_mismatch: return "algorithm_mismatch";
    case errc::bad_signature: return "bad_signature";
    case errc::expired: return "expired";
    case errc::not_yet_valid: return "not_yet_valid";
    case errc::wrong_issuer: return "wrong_issuer";
    case errc::wrong_audience: return "wrong_audience";
    case errc::wrong_type: return "wrong_type";
    case errc::missing_claim: return "missing_claim";
    case errc::revoked: return "revoked";
    case errc::unknown_session: return "unknown_session";
    case errc::refresh_reused: return "refresh_reused";
    case errc::store_unavailable: return "store_unavailable";
    case errc::store_full: return "store_full";
    case errc::invalid_key: return "invalid_key";
    case errc::weak_key: return "weak_key";
    case errc::csrf_mismatch: return "csrf_mismatch";
    case errc::rate_limited: return "rate_limited";
    case errc::bad_credentials: return "bad_credentials";
    case errc::unknown_key: return "unknown_key";
    case errc::wrong_subject: return "wrong_subject";
    case errc::invalid_configuration: return "invalid_configuration";
    case errc::weak_password: return "weak_password";
    case errc::invalid_request: return "invalid_request";
    case errc::wrong_key_state: return "wrong_key_state";
    case errc::keys_unavailable: return "keys_unavailable";
    }
    return "unknown_error";
}

/// The stable name of a condition, e.g. `"rejected"`.
constexpr std::string_view to_string(condition c) noexcept
{
    switch (c) {
    case condition::rejected: return "rejected";
    case condition::forbidden: return "forbidden";
    case condition::throttled: return "throttled";
    case condition::unavailable: return "unavailable";
    case condition::misconfigured: return "misconfigured";
    case condition::bad_request: return "bad_request";
    }
    return "unknown_condition";
}

/// The stable name of a store failure's cause, e.g. `"timeout"`.
constexpr std::string_view to_string(store_failure f) noexcept
{
    switch (f) {
    case store_failure::refused: return "refused";
    case store_failure::timeout: return "timeout";
    case store_failure::authentication: return "authentication";
    case store_failure::connection_lost: return "connection_lost";
    case store_failure::server_error: return "server_error";
    case store_failure::corrupt_reply: return "corrupt_reply";
    case store_failure::lost_state: return "lost_state";
    case store_failure::refused_settings: return "refused_settings";
    case store_failure::busy: return "busy";
    }
    return "unknown_cause";
}

/// The stable name of a fetch failure's cause, e.g. `"timeout"`.
constexpr std::string_view to_string(fetch_failure f) noexcept
{
    switch (f) {
    case fetch_failure::unreachable: return "unreachable";
    case fetch_failure::timeout: return "timeout";
    case fetch_failure::tls: return "tls";
    case fetch_failure::too_large: return "too_large";
    case fetch_failure::bad_status: return "bad_status";
    case fetch_failure::redirect: return "redirect";
    case fetch_failure::insecure_url: return "insecure_url";
    case fetch_failure::malformed: return "malformed";
    case fetch_failure::no_usable_key: return "no_usable_key";
    case fetch_failure::too_many_keys: return "too_many_keys";
    case fetch_failure::duplicate_kid: return "duplicate_kid";
    case fetch_failure::wrong_issuer: return "wrong_issuer";
    }
    return "unknown_cause";
}

/// The condition `e` belongs to.
constexpr condition condition_of(errc e) noexcept
{
    switch (e) {
    case errc::csrf_mismatch: return condition::forbidden;
    case errc::rate_limited: return condition::throttled;
    case errc::store_unavailable:
    case errc::store_full:
    case errc::keys_unavailable: return condition::unavailable;
    case errc::invalid_key:
    case errc::weak_key:
    case errc::invalid_configuration:
    case errc::wrong_key_state: return condition::misconfigured;
    case errc::weak_password:
    case errc::invalid_request: return condition::bad_request;
    default: return condition::rejected;
    }
}

namespace detail {

class error_category final : public std::error_category {
public:
    const char* name() const noexcept override { return "tessera"; }

    std::string message(int ev) const override
    {
        return std::string{to_string(static_cast<errc>(ev))};
    }
};

class store_failure_category final : public std::error_category {
public:
    const char* name() const noexcept override { return "tessera-store"; }

    std::string message(int ev) const override
    {
        return "store_unavailable (" + std::string{to_string(static_cast<store_failure>(ev))} + ")";
    }
};

class fetch_failure_category final : public std::error_category {
public:
    const char* name() const noexcept override { return "tessera-fetch"; }

    std::string message(int ev) const override
    {
        return "keys_unavailable (" + std::string{to_string(static_cast<fetch_failure>(ev))} + ")";
    }
};

class condition_category final : public std::error_category {
public:
    const char* name() const noexcept override { return "tessera-condition"; }

    std::string message(int cv) const override { return std::string{to_string(static_cast<condition>(cv))}; }

    bool equivalent(const std::error_code& code, int cv) const noexcept override;
};

} // namespace detail

/// The category of every `errc`; one instance per program (an inline variable).
inline const std::error_category& tessera_category() noexcept
{
    static const detail::error_category category;
    return category;
}

/// Makes `errc` values usable as `std::error_code` (found by ADL).
inline std::error_code make_error_code(errc e) noexcept
{
    return {static_cast<int>(e), tessera_category()};
}

/// The category of every `store_failure`.
inline const std::error_category& tessera_store_category() noexcept
{
    static const detail::store_failure_category category;
    return category;
}

/// Makes `store_failure` values usable as `std::error_code` (found by ADL).
inline std::error_code make_error_code(store_failure f) noexcept
{
    return {static_cast<int>(f), tessera_store_category()};
}

/// The cause of a store failure; nothing for any other code (`errc::store_unavailable` included, which has none).
inline std::optional<store_failure> cause_of(const std::error_code& ec) noexcept
{
    if (ec.category() != tessera_store_category())
        return std::nullopt;
    return static_cast<store_failure>(ec.value());
}

/// The category of every `fetch_failure`.
inline const std::error_category& tessera_fetch_category() noexcept
{
    static const detail::fetch_failure_category category;
    return category;
}

/// Makes `fetch_failure` values usable as `std::error_code` (found by ADL).
inline std::error_code make_error_code(fetch_failure f) noexcept
{
    return {static_cast<int>(f), tessera_fetch_category()};
}

/// The cause of a remote key set's failure; nothing for any other code.
inline std::optional<fetch_failure> fetch_cause_of(const std::error_code& ec) noexcept
{
    if (ec.category() != tessera_fetch_category())
        return std::nullopt;
    return static_cast<fetch_failure>(ec.value());
}

/// The category of every `condition`.
inline const std::error_category& tessera_condition_category() noexcept
{
    static const detail::condition_category category;
    return category;
}

/// Makes `condition` values comparable with any `std::error_code` (found by ADL).
inline std::error_condition make_error_condition(condition c) noexcept
{
    return {static_cast<int>(c), tessera_condition_category()};
}

inline bool detail::condition_category::equivalent(const std::error_code& code, int cv) const noexcept
{
    if (code.category() == tessera_store_category() || code.category() == tessera_fetch_category())
        return condition{cv} == condition::unavailable;
    return code.category() == tessera_category() && condition_of(static_cast<errc>(code.value())) == condition{cv};
}

/** The HTTP status for an error: 400, 401, 403, 429, 503, or 500 for a
    misconfiguration and for any code not in tessera's category.
*/
inline int http_status(const std::error_code& ec) noexcept
{
    if (ec.category() == tessera_store_category() || ec.category() == tessera_fetch_category())
        return 503;
    if (ec.category() != tessera_category())
        return 500;
    switch (condition_of(static_cast<errc>(ec.value()))) {
    case condition::rejected: return 401;
    case condition::forbidden: return 403;
    case condition::throttled: return 429;
    case condition::unavailable: return 503;
    case condition::misconfigured: return 500;
    case condition::bad_request: return 400;
    }
    return 500;
}

/// The stable name of a code in tessera's categories (every store failure is `"store_unavailable"`), or its message otherwise.
inline std::string to_string(const std::error_code& ec)
{
    if (ec.category() == tessera_category())
        return std::string{to_string(static_cast<errc>(ec.value()))};
    if (ec.category() == tessera_store_category())
        return std::string{to_string(errc::store_unavailable)};
    if (ec.category() == tessera_fetch_category())
        return std::string{to_string(errc::keys_unavailable)};
    return ec.message();
}

/** For an operator's log: the stable name, and for a store failure its cause,
    e.g. `"store_unavailable (timeout)"`. Never for the client, which gets `to_string`.
*/
inline std::string describe(const std::error_code& ec)
{
    const bool has_cause = ec.category() == tessera_store_category() || ec.category() == tessera_fetch_category();
    return has_cause ? ec.message() : to_string(ec);
}

/** The one exception tessera throws: only from constructors and key loading,
    for a setting or a key that cannot work (`invalid_configuration`,
    `invalid_key`, `weak_key`, a store that cannot be opened). Never on the
    request path, which returns `result<T>`.
*/
class error : public std::system_error {
public:
    explicit error(errc e, const std::string& what) : std::system_error(make_error_code(e), what) {}
    explicit error(std::error_code ec, const std::string& what) : std::system_error(ec, what) {}
};

} // namespace tessera::inline v0
