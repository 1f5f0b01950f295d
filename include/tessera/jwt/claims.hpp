// SPDX-License-Identifier: BSL-1.0
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

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

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

/// A three-letter member name as one integer.
constexpr std::uint32_t name_code(std::string_view k) noexcept
{
    return static_cast<std::uint32_t>(static_cast<unsigned char>(k[0])) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(k[1])) << 8 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(k[2])) << 16;
}

/// A slot from 0 to 7 in which the seven registered names never collide (checked below).
constexpr std::size_t claim_slot(std::uint32_t code) noexcept
{
    const std::uint32_t c0 = code & 0xff, c1 = code >> 8 & 0xff, c2 = code >> 16;
    return (((c0 * 6) ^ (c1 << 1) ^ c2) >> 1) & 7;
}

/// The registered name each slot holds (0 for the free slot).
inline constexpr auto registered_names = [] {
    std::array<std::uint32_t, 8> slots{};
    for (std::string_view n : {"iss", "sub", "aud", "exp", "nbf", "iat", "jti"})
        slots[claim_slot(name_code(n))] = name_code(n);
    return slots;
}();
static_assert(std::count(registered_names.begin(), registered_names.end(), 0u) == 1,
              "the seven registered claim names must land in seven distinct slots");

/// The registered claims of a claim set, found in one pass over its members.
struct registered_claims {
    const boost::json::value* iss = nullptr;
    const boost::json::value* sub = nullptr;
    const boost::json::value* aud = nullptr;
    const boost::json::value* exp = nullptr;
    const boost::json::value* nbf = nullptr;
    const boost::json::value* iat = nullptr;
    const boost::json::value* jti = nullptr;

    registered_claims() = default;

    explicit registered_claims(const boost::json::object& claims) noexcept
    {
        // One scan, one table probe per three-letter name: no chain of string
        // compares whose branches a claim set in any order would mispredict.
        std::array<const boost::json::value*, 8> slot{};
        for (const auto& member : claims) {
            const std::string_view k = member.key();
            if (k.size() != 3)
                continue;
            const auto code = name_code(k);
            const auto s = claim_slot(code);
            if (registered_names[s] == code)
                slot[s] = &member.value();
        }
        iss = slot[claim_slot(name_code("iss"))];
        sub = slot[claim_slot(name_code("sub"))];
        aud = slot[claim_slot(name_code("aud"))];
        exp = slot[claim_slot(name_code("exp"))];
        nbf = slot[claim_slot(name_code("nbf"))];
        iat = slot[claim_slot(name_code("iat"))];
        jti = slot[claim_slot(name_code("jti"))];
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
        : header_(std::move(header)), claims_(std::move(claims)), registered_(claims_)
    {
    }
    // A moved object keeps its table, so the registered claims found in it stay where they were.
    verified_claims(verified_claims&& other) noexcept
        : header_(std::move(other.header_)), claims_(std::move(other.claims_)),
          registered_(std::exchange(other.registered_, {}))
    {
    }
    verified_claims(const verified_claims& other)
        : header_(other.header_), claims_(other.claims_), registered_(claims_)
    {
    }
    verified_claims& operator=(const verified_claims& other)
    {
        if (this != &other) {
            header_ = other.header_;
            claims_ = other.claims_;
            registered_ = detail::registered_claims{claims_};
        }
        return *this;
    }
    // Assignment between objects of different memory resources copies: look the claims up again.
    // The moved-from object forgets where its registered claims were, as after the move constructor:
    // they now belong to this object, and die with it.
    verified_claims& operator=(verified_claims&& other)
    {
        if (this != &other) {
            header_ = std::move(other.header_);
            claims_ = std::move(other.claims_);
            registered_ = detail::registered_claims{claims_};
            other.registered_ = {};
        }
        return *this;
    }
    ~verified_claims() = default;

    /// `sub`, or empty when absent.
    [[nodiscard]] std::string_view subject() const noexcept { return text_of(registered_.sub); }
    /// `iss`, or empty when absent.
    [[nodiscard]] std::string_view issuer() const noexcept { return text_of(registered_.iss); }
    /// `jti`, or empty when absent.
    [[nodiscard]] std::string_view jwt_id() const noexcept { return text_of(registered_.jti); }
    [[nodiscard]] std::optional<time_point> expires_at() const noexcept
    {
        return time_of(registered_.exp, detail::rounding::down);
    }
    [[nodiscard]] std::optional<time_point> not_before() const noexcept
    {
        return time_of(registered_.nbf, detail::rounding::up);
    }
    [[nodiscard]] std::optional<time_point> issued_at() const noexcept
    {
        return time_of(registered_.iat, detail::rounding::up);
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
    /// Every claim, moved out (their memory resource moves with them).
    [[nodiscard]] boost::json::object json() && noexcept
    {
        registered_ = {};
        return std::move(claims_);
    }
    /// The verified header's `alg`, `typ` and `kid`.
    [[nodiscard]] const jose_header& header() const noexcept { return header_; }
    /// Where the registered claims are, found once when the claims were verified.
    [[nodiscard]] const detail::registered_claims& registered() const noexcept { return registered_; }

private:
    static std::string_view text_of(const boost::json::value* v) noexcept
    {
        return v != nullptr && v->is_string() ? std::string_view{v->get_string()} : std::string_view{};
    }
    static std::optional<time_point> time_of(const boost::json::value* v, detail::rounding mode) noexcept
    {
        if (v == nullptr)
            return std::nullopt;
        auto t = detail::numeric_date(*v, mode);
        if (!t)
            return std::nullopt;
        return time_point{std::chrono::seconds{*t}};
    }

    jose_header header_;
    boost::json::object claims_;
    detail::registered_claims registered_;
};

} // namespace tessera::inline v0::jwt
