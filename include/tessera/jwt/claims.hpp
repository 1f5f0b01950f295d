// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    Claims: `claims` builds them for signing, `verified_claims` reads them
    after a verifier has accepted a token (RFC 7519 §4).
*/

#include <tessera/core/clock.hpp>
#include <tessera/core/result.hpp>
#include <tessera/detail/claim_set.hpp>
#include <tessera/detail/strict_json.hpp>
#include <tessera/jwt/token.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
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

namespace detail {

/// Where a claim's text lies: in the payload, or (a string that had escapes) in the reader's side buffer.
struct text_span {
    std::uint32_t offset = 0;
    std::uint32_t size = 0;
    bool side = false;
    bool present = false;
};

/// What a claims reader found, as it streamed past: the registered claims typed, and the other top-level strings.
struct claim_fields {
    text_span iss, sub, jti;
    /// `aud`: a string (`aud`), or an array (`auds`, the first four; `aud_overflow` past them).
    bool has_aud = false;
    bool aud_array = false;
    bool aud_overflow = false;
    text_span aud;
    std::array<text_span, 4> auds{};
    std::size_t aud_count = 0;
    /// NumericDates, rounded towards the stricter reading: `exp` down, `nbf` and `iat` up.
    std::optional<std::int64_t> exp, nbf, iat;
    /// The other top-level members whose value is a string, the first eight (`strings_overflow` past them).
    struct member {
        text_span name, value;
    };
    std::array<member, 8> strings{};
    std::size_t string_count = 0;
    bool strings_overflow = false;
};

/** Reads a claim set without building a DOM, as strictly as `parse_object` does (the same grammar,
    UTF-8, depth and finite numbers; no repeated member name at any depth), and checks the registered
    claims' types as they stream past (RFC 7519 §4.1: `iss`, `sub`, `jti` strings; `aud` a string or
    an array of strings; `exp`, `nbf`, `iat` NumericDates).
*/
class claims_handler {
public:
    static constexpr std::size_t max_object_size = boost::json::object::max_size();
    static constexpr std::size_t max_array_size = boost::json::array::max_size();
    static constexpr std::size_t max_key_size = boost::json::string::max_size();
    static constexpr std::size_t max_string_size = boost::json::string::max_size();

    claims_handler(std::string_view text, claim_fields& out, std::string& side) : text_(text), out_(out), side_(side)
    {
        names_.input(text);
    }

    bool on_document_begin(boost::json::error_code&) { return true; }
    bool on_document_end(boost::json::error_code&) { return true; }
    bool on_object_begin(boost::json::error_code& ec)
    {
        if (names_.depth() == 0 ? seen_top_ : (at_value() && target_ != target::other) || in_aud_)
            return refuse(ec); // a second document, or an object where a registered claim or an audience goes
        seen_top_ = true;
        names_.enter_object();
        return true;
    }
    bool on_object_end(std::size_t, boost::json::error_code&)
    {
        names_.leave_object();
        return true;
    }
    bool on_array_begin(boost::json::error_code& ec)
    {
        if (names_.depth() == 0 || in_aud_)
            return refuse(ec); // a top-level array, or an array in `aud`
        if (at_value()) {
            if (target_ == target::aud) {
                in_aud_ = true;
                out_.has_aud = out_.aud_array = true;
            } else if (target_ != target::other) {
                return refuse(ec);
            }
        }
        ++arrays_;
        return true;
    }
    bool on_array_end(std::size_t, boost::json::error_code&)
    {
        --arrays_;
        if (arrays_ == 0)
            in_aud_ = false;
        return true;
    }
    bool on_key_part(boost::json::string_view s, std::size_t, boost::json::error_code&)
    {
        names_.key_part(s);
        return true;
    }
    bool on_key(boost::json::string_view s, std::size_t, boost::json::error_code& ec)
    {
        if (!names_.key(s))
            return refuse(ec);
        if (names_.depth() != 1)
            return true;
        key_ = names_.last();
        target_ = target_of(key_);
        return true;
    }
    bool on_string_part(boost::json::string_view s, std::size_t, boost::json::error_code&)
    {
        if (capturing()) {
            if (!parts_)
                part_start_ = side_.size();
            parts_ = true;
            side_.append(s.data(), s.size());
        }
        return true;
    }
    bool on_string(boost::json::string_view s, std::size_t, boost::json::error_code& ec)
    {
        if (names_.depth() == 0)
            return refuse(ec);
        if (!capturing())
            return true;
        const auto value = finish({s.data(), s.size()});
        if (in_aud_) {
            if (out_.aud_count < out_.auds.size())
                out_.auds[out_.aud_count++] = value;
            else
                out_.aud_overflow = true;
            return true;
        }
        switch (target_) {
        case target::iss: out_.iss = value; break;
        case target::sub: out_.sub = value; break;
        case target::jti: out_.jti = value; break;
        case target::aud:
            out_.has_aud = true;
            out_.aud = value;
            break;
        case target::other:
            if (out_.string_count < out_.strings.size())
                out_.strings[out_.string_count++] = {span_of(key_), value};
            else
                out_.strings_overflow = true;
            break;
        default: return refuse(ec); // a string where a NumericDate goes
        }
        return true;
    }
    bool on_number_part(boost::json::string_view, boost::json::error_code&) { return true; }
    bool on_int64(std::int64_t i, boost::json::string_view, boost::json::error_code& ec)
    {
        if (!at_value() && !in_aud_)
            return top_level_ok(ec);
        if (i < 0 || i > max_numeric_date)
            return date_or_refuse(ec, std::nullopt);
        return date_or_refuse(ec, i);
    }
    bool on_uint64(std::uint64_t u, boost::json::string_view, boost::json::error_code& ec)
    {
        if (!at_value() && !in_aud_)
            return top_level_ok(ec);
        return date_or_refuse(ec, u > static_cast<std::uint64_t>(max_numeric_date)
                                      ? std::nullopt
                                      : std::optional<std::int64_t>{static_cast<std::int64_t>(u)});
    }
    bool on_double(double d, boost::json::string_view, boost::json::error_code& ec)
    {
        // Boost.JSON reads 1e400 as infinity, which no JSON can be written back as: refused everywhere.
        if (!std::isfinite(d))
            return refuse(ec);
        if (!at_value() && !in_aud_)
            return top_level_ok(ec);
        if (d < 0 || d > static_cast<double>(max_numeric_date))
            return date_or_refuse(ec, std::nullopt);
        const double rounded = target_ == target::exp ? std::floor(d) : std::ceil(d);
        return date_or_refuse(ec, static_cast<std::int64_t>(rounded));
    }
    bool on_bool(bool, boost::json::error_code& ec) { return other_scalar(ec); }
    bool on_null(boost::json::error_code& ec) { return other_scalar(ec); }
    bool on_comment_part(boost::json::string_view, boost::json::error_code&) { return true; }
    bool on_comment(boost::json::string_view, boost::json::error_code&) { return true; }

private:
    enum class target { other, iss, sub, aud, exp, nbf, iat, jti };

    static target target_of(std::string_view k) noexcept
    {
        if (k.size() != 3)
            return target::other;
        if (k == "iss")
            return target::iss;
        if (k == "sub")
            return target::sub;
        if (k == "aud")
            return target::aud;
        if (k == "exp")
            return target::exp;
        if (k == "nbf")
            return target::nbf;
        if (k == "iat")
            return target::iat;
        if (k == "jti")
            return target::jti;
        return target::other;
    }

    /// The value of a top-level member is being read (not something nested in it).
    [[nodiscard]] bool at_value() const noexcept { return names_.depth() == 1 && arrays_ == 0; }
    [[nodiscard]] bool capturing() const noexcept { return at_value() || in_aud_; }

    /// A scalar inside something nested, or at the top level (refused).
    bool top_level_ok(boost::json::error_code& ec) const { return names_.depth() == 0 ? refuse(ec) : true; }

    bool date_or_refuse(boost::json::error_code& ec, std::optional<std::int64_t> date)
    {
        if (in_aud_)
            return refuse(ec); // an audience that is not a string
        switch (target_) {
        case target::other: return true;
        case target::exp: out_.exp = date; break;
        case target::nbf: out_.nbf = date; break;
        case target::iat: out_.iat = date; break;
        default: return refuse(ec); // a number where a string goes
        }
        return date ? true : refuse(ec); // negative, past year 9999
    }

    bool other_scalar(boost::json::error_code& ec) const
    {
        if (names_.depth() == 0 || in_aud_ || (at_value() && target_ != target::other))
            return refuse(ec);
        return true;
    }

    /// Where a string just completed lies: in the text when it was read in one piece from it, else in the side buffer.
    text_span finish(std::string_view last)
    {
        if (parts_) {
            parts_ = false;
            side_.append(last.data(), last.size());
            return side_span(part_start_);
        }
        return span_of(last);
    }

    text_span span_of(std::string_view s)
    {
        const std::less_equal<const char*> le;
        if (le(text_.data(), s.data()) && le(s.data() + s.size(), text_.data() + text_.size()))
            return {static_cast<std::uint32_t>(s.data() - text_.data()), static_cast<std::uint32_t>(s.size()), false,
                    true};
        const auto start = side_.size();
        side_.append(s.data(), s.size());
        return side_span(start);
    }

    text_span side_span(std::size_t start) const
    {
        return {static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(side_.size() - start), true, true};
    }

    static bool refuse(boost::json::error_code& ec)
    {
        ec = boost::json::error::syntax;
        return false;
    }

    std::string_view text_;
    claim_fields& out_;
    std::string& side_;
    tessera::detail::member_names names_;
    std::string_view key_;
    target target_ = target::other;
    std::size_t arrays_ = 0;
    std::size_t part_start_ = 0;
    bool parts_ = false;
    bool in_aud_ = false;
    bool seen_top_ = false;
};

} // namespace detail

/** The claims of a token a verifier accepted, with typed access to the registered ones.

    Only a verifier makes these: holding one means the signature, the
    algorithm, the header and every configured claim check passed. The
    registered claims and the other top-level strings are read in place from
    the payload; the JSON object of every claim is built only when `find` or
    `json` asks for it.
*/
class verified_claims {
    struct read_key {
        explicit read_key() = default;
    };

public:
    /** Reads `payload`, the text of a token whose signature verified, as strictly as
        `detail::parse_object` with `max_depth` does, and checks the registered claims' types.
        @return `malformed` for anything that is not such a claim set.
    */
    static result<verified_claims> read(jose_header header, std::string_view payload,
                                        std::size_t max_depth = tessera::detail::json_limits{}.max_depth)
    {
        // Built where the caller receives it, and returned as the one named object (a claim set is a
        // few hundred bytes: each move would be a copy).
        result<verified_claims> out{boost::system::in_place_value, read_key{}, std::move(header)};
        if (auto r = out->read_text(payload, max_depth); !r)
            out = r.error();
        return out;
    }

    /// Only `read` can name the key: no other code makes verified claims.
    verified_claims(read_key, jose_header header) noexcept : header_(std::move(header)) {}

    verified_claims(const verified_claims&) = default;
    verified_claims& operator=(const verified_claims&) = default;
    // A moved-from object reads as no claims at all: its offsets go with its text.
    verified_claims(verified_claims&& other) noexcept
        : header_(std::move(other.header_)), claims_(std::move(other.claims_)), side_(std::move(other.side_)),
          fields_(std::exchange(other.fields_, {}))
    {
        other.side_.clear();
    }
    verified_claims& operator=(verified_claims&& other) noexcept
    {
        if (this != &other) {
            header_ = std::move(other.header_);
            claims_ = std::move(other.claims_);
            side_ = std::move(other.side_);
            other.side_.clear();
            fields_ = std::exchange(other.fields_, {});
        }
        return *this;
    }
    ~verified_claims() = default;

    /// `sub`, or empty when absent.
    [[nodiscard]] std::string_view subject() const noexcept { return view(fields_.sub); }
    /// `iss`, or empty when absent.
    [[nodiscard]] std::string_view issuer() const noexcept { return view(fields_.iss); }
    /// `jti`, or empty when absent.
    [[nodiscard]] std::string_view jwt_id() const noexcept { return view(fields_.jti); }
    [[nodiscard]] bool has_subject() const noexcept { return fields_.sub.present; }
    [[nodiscard]] bool has_issuer() const noexcept { return fields_.iss.present; }
    [[nodiscard]] std::optional<time_point> expires_at() const noexcept { return time_of(fields_.exp); }
    [[nodiscard]] std::optional<time_point> not_before() const noexcept { return time_of(fields_.nbf); }
    [[nodiscard]] std::optional<time_point> issued_at() const noexcept { return time_of(fields_.iat); }
    /// Whether the claims name an audience at all (`aud`, a string or an array).
    [[nodiscard]] bool has_audience_claim() const noexcept { return fields_.has_aud; }
    /// True when `aud` is `audience` or an array holding it.
    [[nodiscard]] bool has_audience(std::string_view audience) const
    {
        if (!fields_.has_aud)
            return false;
        if (!fields_.aud_array)
            return view(fields_.aud) == audience;
        if (fields_.aud_overflow) { // more audiences than were kept in place: ask the object
            for (const auto& a : json().at("aud").get_array())
                if (a.get_string() == audience)
                    return true;
            return false;
        }
        for (std::size_t i = 0; i < fields_.aud_count; ++i)
            if (view(fields_.auds[i]) == audience)
                return true;
        return false;
    }

    /** The top-level claim `name` when it is a string, read in place (no object is built unless more
        than eight other strings came before it); nothing when it is absent or not a string.
    */
    [[nodiscard]] std::optional<std::string_view> find_string(std::string_view name) const
    {
        if (name.size() == 3) {
            if (name == "sub")
                return present(fields_.sub);
            if (name == "iss")
                return present(fields_.iss);
            if (name == "jti")
                return present(fields_.jti);
            if (name == "aud")
                return fields_.has_aud && !fields_.aud_array ? present(fields_.aud) : std::nullopt;
            if (name == "exp" || name == "nbf" || name == "iat")
                return std::nullopt;
        }
        for (std::size_t i = 0; i < fields_.string_count; ++i)
            if (view(fields_.strings[i].name) == name)
                return view(fields_.strings[i].value);
        if (fields_.strings_overflow)
            if (const auto* v = find(name); v != nullptr && v->is_string())
                return std::string_view{v->get_string()};
        return std::nullopt;
    }

    /// Any claim, or nullptr (builds the claims' object on the first call).
    [[nodiscard]] const boost::json::value* find(std::string_view name) const { return claims_.if_contains(name); }
    /// Every claim (built on the first call).
    [[nodiscard]] const boost::json::object& json() const& { return claims_.json(); }
    /// Every claim, copied out.
    [[nodiscard]] boost::json::object json() && { return claims_.json(); }
    /// The claims as a principal keeps them: the text, and the object if it was built.
    [[nodiscard]] claim_set release() && noexcept { return std::move(claims_); }
    /// The verified header's `alg`, `typ` and `kid`.
    [[nodiscard]] const jose_header& header() const noexcept { return header_; }

private:
    result<void> read_text(std::string_view payload, std::size_t max_depth)
    {
        const auto first = payload.find_first_not_of(" \t\r\n");
        if (payload.size() > tessera::detail::json_limits{}.max_size || first == std::string_view::npos ||
            payload[first] != '{')
            return fail(errc::malformed);
        // The views the reader makes are offsets into this copy of the text, or into `side_`.
        claims_ = claim_set::from_text(std::string{payload}, max_depth);
        const auto text = claims_.text();
        boost::json::parse_options options;
        options.max_depth = max_depth;
        boost::json::basic_parser<detail::claims_handler> parser{options, text, fields_, side_};
        boost::json::error_code ec;
        const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
        if (ec || used != text.size() || !parser.done())
            return fail(errc::malformed);
        return {};
    }

    [[nodiscard]] std::string_view view(const detail::text_span& s) const noexcept
    {
        if (!s.present)
            return {};
        return (s.side ? std::string_view{side_} : claims_.text()).substr(s.offset, s.size);
    }
    [[nodiscard]] std::optional<std::string_view> present(const detail::text_span& s) const noexcept
    {
        return s.present ? std::optional<std::string_view>{view(s)} : std::nullopt;
    }
    static std::optional<time_point> time_of(const std::optional<std::int64_t>& t) noexcept
    {
        return t ? std::optional<time_point>{time_point{std::chrono::seconds{*t}}} : std::nullopt;
    }

    jose_header header_;
    claim_set claims_;
    std::string side_;
    detail::claim_fields fields_;
};

} // namespace tessera::inline v0::jwt
