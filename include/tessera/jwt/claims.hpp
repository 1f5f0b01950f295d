#pragma once

/** @file
    Claims: `claims` builds them for signing, `verified_claims` reads them
    after a verifier has accepted a token (RFC 7519 §4).
*/

#include <tessera/core/clock.hpp>
#include <tessera/core/result.hpp>
#include <tessera/jwt/token.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::inline v0::jwt {

/// The latest NumericDate tessera accepts: 9999-12-31T23:59:59Z. Later values are `malformed`.
inline constexpr std::int64_t max_numeric_date = 253'402'300'799;

namespace detail {

/// How a fractional NumericDate is rounded: always towards the stricter reading.
enum class rounding { down, up };

/** A NumericDate claim (RFC 7519 §2) as whole seconds.

    Only JSON numbers are accepted; a string, a negative, a non-finite or a
    value past year 9999 is `malformed`, never "absent" (the mistake of
    CVE-2026-25537) and never an overflowing clock (jwt-cpp's year 2262).
*/
inline result<std::int64_t> numeric_date(const boost::json::value& v, rounding mode) noexcept
{
    if (v.is_int64()) {
        const auto i = v.get_int64();
        if (i < 0 || i > max_numeric_date)
            return fail(errc::malformed);
        return i;
    }
    if (v.is_uint64()) {
        if (v.get_uint64() > static_cast<std::uint64_t>(max_numeric_date))
            return fail(errc::malformed);
        return static_cast<std::int64_t>(v.get_uint64());
    }
    if (v.is_double()) {
        const double d = v.get_double();
        if (!std::isfinite(d) || d < 0 || d > static_cast<double>(max_numeric_date))
            return fail(errc::malformed);
        return static_cast<std::int64_t>(mode == rounding::down ? std::floor(d) : std::ceil(d));
    }
    return fail(errc::malformed);
}

/// The registered claims of a claim set, found in one pass over its members.
struct registered_claims {
    const boost::json::value* iss = nullptr;
    const boost::json::value* sub = nullptr;
    const boost::json::value* aud = nullptr;
    const boost::json::value* exp = nullptr;
    const boost::json::value* nbf = nullptr;
    const boost::json::value* iat = nullptr;
    const boost::json::value* jti = nullptr;

    explicit registered_claims(const boost::json::object& claims) noexcept
    {
        // One scan instead of a lookup per claim: every registered name has three letters.
        for (const auto& member : claims) {
            const std::string_view k = member.key();
            if (k.size() != 3)
                continue;
            const boost::json::value* v = &member.value();
            if (k == "iss")
                iss = v;
            else if (k == "sub")
                sub = v;
            else if (k == "aud")
                aud = v;
            else if (k == "exp")
                exp = v;
            else if (k == "nbf")
                nbf = v;
            else if (k == "iat")
                iat = v;
            else if (k == "jti")
                jti = v;
        }
    }
};

/// Checks the JSON types of the registered claims (RFC 7519 §4.1).
inline result<void> check_registered_types(const registered_claims& r) noexcept
{
    for (const auto* v : {r.iss, r.sub, r.jti})
        if (v != nullptr && !v->is_string())
            return fail(errc::malformed);
    for (const auto* v : {r.exp, r.nbf, r.iat})
        if (v != nullptr && !numeric_date(*v, rounding::down))
            return fail(errc::malformed);
    if (r.aud != nullptr) {
        if (r.aud->is_array()) {
            for (const auto& a : r.aud->get_array())
                if (!a.is_string())
                    return fail(errc::malformed);
        } else if (!r.aud->is_string()) {
            return fail(errc::malformed);
        }
    }
    return {};
}

inline result<void> check_registered_types(const boost::json::object& claims) noexcept
{
    return check_registered_types(registered_claims{claims});
}

inline std::string_view string_claim(const boost::json::object& claims, std::string_view name) noexcept
{
    const auto* v = claims.if_contains(name);
    return v != nullptr && v->is_string() ? std::string_view{v->get_string()} : std::string_view{};
}

inline std::optional<time_point> time_claim(const boost::json::object& claims, std::string_view name,
                                            rounding mode) noexcept
{
    const auto* v = claims.if_contains(name);
    if (v == nullptr)
        return std::nullopt;
    auto seconds = numeric_date(*v, mode);
    if (!seconds)
        return std::nullopt;
    return time_point{std::chrono::seconds{*seconds}};
}

} // namespace detail

/** Claims to sign: the registered ones through named setters, any other through `set`.

    @par Example
    @code
    auto c = jwt::claims{}.subject("42").issuer("https://auth.example").audience("api")
                          .lifetime(clock.now(), 15min).set("role", "admin");
    @endcode
*/
class claims {
public:
    claims() = default;

    /// Starts from an existing JSON object (all members are kept).
    explicit claims(boost::json::object object) : object_(std::move(object)) {}

    claims& issuer(std::string_view iss) { return set("iss", text(iss)); }
    claims& subject(std::string_view sub) { return set("sub", text(sub)); }
    claims& audience(std::string_view aud) { return set("aud", text(aud)); }
    /// Several audiences: written as a JSON array.
    claims& audiences(std::initializer_list<std::string_view> auds)
    {
        boost::json::array a;
        for (auto aud : auds)
            a.emplace_back(text(aud));
        return set("aud", std::move(a));
    }
    claims& expires_at(time_point t) { return set("exp", t.time_since_epoch().count()); }
    claims& not_before(time_point t) { return set("nbf", t.time_since_epoch().count()); }
    claims& issued_at(time_point t) { return set("iat", t.time_since_epoch().count()); }
    claims& jwt_id(std::string_view jti) { return set("jti", text(jti)); }

    /// `iat = now` and `exp = now + ttl`.
    claims& lifetime(time_point now, std::chrono::seconds ttl) { return issued_at(now).expires_at(now + ttl); }

    /// Any claim; registered claims are type-checked when the token is signed.
    claims& set(std::string_view name, boost::json::value value)
    {
        object_[name] = std::move(value);
        return *this;
    }

    [[nodiscard]] bool contains(std::string_view name) const noexcept { return object_.contains(name); }
    [[nodiscard]] const boost::json::object& json() const noexcept { return object_; }

private:
    static boost::json::string_view text(std::string_view s) noexcept { return {s.data(), s.size()}; }

    boost::json::object object_;
};

/** The claims of a token a verifier accepted, with typed access to the registered ones.

    Only a verifier makes these: holding one means the signature, the
    algorithm, the header and every configured claim check passed.
*/
class verified_claims {
public:
    verified_claims(jose_header header, boost::json::object claims) noexcept
        : header_(std::move(header)), claims_(std::move(claims))
    {
    }

    /// `sub`, or empty when absent.
    [[nodiscard]] std::string_view subject() const noexcept { return detail::string_claim(claims_, "sub"); }
    /// `iss`, or empty when absent.
    [[nodiscard]] std::string_view issuer() const noexcept { return detail::string_claim(claims_, "iss"); }
    /// `jti`, or empty when absent.
    [[nodiscard]] std::string_view jwt_id() const noexcept { return detail::string_claim(claims_, "jti"); }
    [[nodiscard]] std::optional<time_point> expires_at() const noexcept
    {
        return detail::time_claim(claims_, "exp", detail::rounding::down);
    }
    [[nodiscard]] std::optional<time_point> not_before() const noexcept
    {
        return detail::time_claim(claims_, "nbf", detail::rounding::up);
    }
    [[nodiscard]] std::optional<time_point> issued_at() const noexcept
    {
        return detail::time_claim(claims_, "iat", detail::rounding::up);
    }
    /// True when `aud` is `audience` or an array holding it.
    [[nodiscard]] bool has_audience(std::string_view audience) const noexcept
    {
        const auto* aud = claims_.if_contains("aud");
        if (aud == nullptr)
            return false;
        if (aud->is_string())
            return aud->get_string() == audience;
        for (const auto& a : aud->get_array())
            if (a.get_string() == audience)
                return true;
        return false;
    }

    /// Any claim, or nullptr.
    [[nodiscard]] const boost::json::value* find(std::string_view name) const noexcept
    {
        return claims_.if_contains(name);
    }
    /// Every claim.
    [[nodiscard]] const boost::json::object& json() const& noexcept { return claims_; }
    /// Every claim, moved out (their arena moves with them).
    [[nodiscard]] boost::json::object json() && noexcept { return std::move(claims_); }
    /// The verified header's `alg`, `typ` and `kid`.
    [[nodiscard]] const jose_header& header() const noexcept { return header_; }

private:
    jose_header header_;
    boost::json::object claims_;
};

} // namespace tessera::inline v0::jwt
