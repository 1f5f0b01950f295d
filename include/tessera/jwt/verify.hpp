// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `verifier<Algs...>`: the strict JWT verifier.

    Order of checks, each refusal with its own error name:
    1. size (`token_too_large`), shape and encoding (`malformed`);
    2. header: `alg` known (`unsupported_algorithm`) and pinned (`algorithm_mismatch`),
       no `crit`, no nesting (`malformed`);
    3. key by `kid` (`unknown_key`, or `algorithm_mismatch` if that key is for another algorithm);
    4. signature over the received bytes (`bad_signature`);
    5. only then the payload: a strict JSON object (`malformed`), `typ`
       (`wrong_type`), `exp` (`expired`, `missing_claim`), `nbf`/`iat`
       (`not_yet_valid`), maximum age (`expired`), `iss` (`wrong_issuer`),
       `aud` (`wrong_audience`), `sub` (`wrong_subject`), required claims
       (`missing_claim`).
*/

#include <tessera/core/ascii.hpp>
#include <tessera/core/clock.hpp>
#include <tessera/jwt/claims.hpp>
#include <tessera/jwt/detail/verified_cache.hpp>
#include <tessera/jwt/jwks.hpp>
#include <tessera/jwt/keys.hpp>
#include <tessera/jwt/token.hpp>


#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace tessera::inline v0::jwt {

/** What a verifier requires of a token beyond its signature.

    An empty list accepts any value, with one exception: a token that names
    an audience is refused by a verifier that has none configured (RFC 7519
    §4.1.3: a recipient that does not identify with `aud` must reject).
*/
struct verify_options {
    /// Accepted `iss` values, compared exactly.
    std::vector<std::string> issuers{};
    /// This service's identifiers; one must appear in `aud`.
    std::vector<std::string> audiences{};
    /// When set, `sub` must be exactly this.
    std::optional<std::string> subject{};
    /// When set, the header's `typ` must match (case-insensitive, `application/` optional; RFC 7515 §4.1.9).
    std::optional<std::string> type{};
    /// Claims that must be present.
    std::vector<std::string> required_claims{};
    /// Clock skew tolerated for `exp`, `nbf` and `iat`.
    std::chrono::seconds leeway{60};
    /// When set, tokens whose `iat` is older than this are `expired` (and `iat` is required).
    std::optional<std::chrono::seconds> max_age{};
    /// Refuse tokens without `exp` (`missing_claim`). On by default: a token without it lives forever.
    bool require_exp = true;
    /// Longest accepted token, in bytes.
    std::size_t max_token_size = default_max_token_size;
    /// Deepest JSON nesting accepted in the header and the claims.
    std::size_t max_json_depth = 16;
    /** Tokens remembered once verified, by their exact bytes (0, the default: none; at most
        `max_cache_size`). A token presented again skips its signature and its parse, and has its
        time claims checked again (`exp`, `nbf`, `iat`, maximum age); see `detail::verified_cache`.
        Memory: up to about 2.5 KiB a slot when full of tessera's tokens (a few hundred bytes each).
    */
    std::size_t cache_size = 0;
};

/// The most tokens a verifier's cache holds (`verify_options::cache_size`).
inline constexpr std::size_t max_cache_size = std::size_t{1} << 20;

/// A JWS whose signature verified, with its payload bytes (which need not be JSON).
struct verified_jws {
    jose_header header;
    std::string payload;
};

namespace detail {

inline bool type_matches(std::string_view expected, std::string_view actual) noexcept
{
    auto strip = [](std::string_view t) {
        constexpr std::string_view prefix = "application/";
        if (tessera::detail::starts_with_ignoring_ascii_case(t, prefix))
            t.remove_prefix(prefix.size());
        return t;
    };
    return tessera::detail::equal_ignoring_ascii_case(strip(expected), strip(actual));
}

inline bool any_equal(const std::vector<std::string>& accepted, std::string_view value) noexcept
{
    for (const auto& a : accepted)
        if (a == value)
            return true;
    return false;
}

/// Every claim check, in the documented order, on claims whose signature verified (their types were
/// checked as they were read).
inline result<void> check_claims(const verified_claims& c, const verify_options& options, time_point now)
{
    const auto& header = c.header();
    if (options.type && !(header.has_typ && type_matches(*options.type, header.typ)))
        return fail(errc::wrong_type);

    const std::int64_t t = now.time_since_epoch().count();
    const std::int64_t leeway = options.leeway.count();
    if (const auto exp = c.expires_at()) {
        // exp is the first instant the token is no longer valid (RFC 7519 §4.1.4).
        if (t >= exp->time_since_epoch().count() + leeway)
            return fail(errc::expired);
    } else if (options.require_exp) {
        return fail(errc::missing_claim);
    }
    if (const auto nbf = c.not_before(); nbf && t + leeway < nbf->time_since_epoch().count())
        return fail(errc::not_yet_valid);
    if (const auto iat = c.issued_at()) {
        const auto issued = iat->time_since_epoch().count();
        // A token issued in the future was made by a clock that is wrong, or by someone else.
        if (t + leeway < issued)
            return fail(errc::not_yet_valid);
        if (options.max_age && t - issued > options.max_age->count() + leeway)
            return fail(errc::expired);
    } else if (options.max_age) {
        return fail(errc::missing_claim);
    }

    if (!options.issuers.empty()) {
        if (!c.has_issuer())
            return fail(errc::missing_claim);
        if (!any_equal(options.issuers, c.issuer()))
            return fail(errc::wrong_issuer);
    }

    if (c.has_audience_claim()) {
        bool accepted = false;
        for (const auto& a : options.audiences)
            accepted = accepted || c.has_audience(a);
        if (!accepted)
            return fail(errc::wrong_audience);
    } else if (!options.audiences.empty()) {
        return fail(errc::missing_claim);
    }

    if (options.subject) {
        if (!c.has_subject())
            return fail(errc::missing_claim);
        if (c.subject() != *options.subject)
            return fail(errc::wrong_subject);
    }
    for (const auto& name : options.required_claims)
        if (c.find(name) == nullptr)
            return fail(errc::missing_claim);
    return {};
}

/// A decoded payload: on the stack when it fits, on the heap otherwise.
struct payload_buffer {
    std::array<char, 4096> local;
    std::string heap;
    std::string_view text;

    result<void> decode(std::string_view encoded)
    {
        const auto size = base64url::decoded_size(encoded.size());
        if (!size)
            return fail(errc::malformed);
        std::span<std::uint8_t> out;
        if (*size <= local.size()) {
            out = {reinterpret_cast<std::uint8_t*>(local.data()), *size};
        } else {
            heap.resize(*size);
            out = {reinterpret_cast<std::uint8_t*>(heap.data()), *size};
        }
        auto n = base64url::decode_into(encoded, out);
        if (!n)
            return fail(n.error());
        text = {reinterpret_cast<const char*>(out.data()), *n};
        return {};
    }
};

} // namespace detail

/** Verifies JWTs signed with one of the pinned algorithms.

    The token never chooses the algorithm: `Algs` does, at compile time, and
    each key is bound to one of them. With one algorithm and one key:
    @code
    jwt::verifier<jwt::es256> verify{public_key, {.issuers = {"https://auth.example"}, .audiences = {"api"}}};
    auto claims = verify(token);              // result<verified_claims>
    if (!claims) log(tessera::to_string(claims.error()));
    @endcode
    With a JWK Set, keys are chosen by `kid`:
    @code
    jwt::verifier<jwt::rs256, jwt::es256> verify{jwks, options};
    @endcode

    @par Thread Safety
    `verify` may be called from many threads on one verifier.
*/
template <algorithm... Algs>
    requires(sizeof...(Algs) >= 1)
class verifier {
public:
    /// One key per pinned algorithm.
    explicit verifier(verification_key_t<Algs>... keys, verify_options options = {})
        : options_(std::move(options)), cache_(cache_for(options_))
    {
        (std::get<std::vector<verification_key_t<Algs>>>(keys_).push_back(std::move(keys)), ...);
        (remember_headers<Algs>(), ...);
    }

    /** Several keys per pinned algorithm, chosen by the token's `kid` (a key ring's view: every key
        has one). An empty list for an algorithm leaves it without keys: its tokens are `unknown_key`.
    */
    explicit verifier(std::vector<verification_key_t<Algs>>... keys, verify_options options = {})
        : options_(std::move(options)), cache_(cache_for(options_))
    {
        ((std::get<std::vector<verification_key_t<Algs>>>(keys_) = std::move(keys)), ...);
        (remember_headers<Algs>(), ...);
    }

    /** The keys of `set` that fit a pinned algorithm.

        A key fits when its `kty` (and `crv`) is the algorithm's, its `use`
        is absent or `sig` and its `alg` is absent or the algorithm's; other
        keys are remembered only by `kid`, so that a token naming one gets
        `algorithm_mismatch` rather than `unknown_key`.

        @throws tessera::error `weak_key` if a key that fits is too short.
    */
    explicit verifier(const key_set& set, verify_options options = {})
        : options_(std::move(options)), cache_(cache_for(options_))
    {
        for (const auto& jwk : set.keys()) {
            bool fitted = false;
            (add_from_jwk<Algs>(jwk, fitted), ...);
            if (!fitted)
                if (const auto* kid = jwk.if_contains("kid"); kid != nullptr && kid->is_string())
                    foreign_kids_.emplace_back(kid->get_string());
        }
        (remember_headers<Algs>(), ...);
    }

    /// `verify(token, system_clock{}.now())`.
    [[nodiscard]] result<verified_claims> verify(std::string_view token) const
    {
        return verify(token, system_clock{}.now());
    }

    /// Verifies `token` as of `now`.
    [[nodiscard]] result<verified_claims> verify(std::string_view token, time_point now) const
    {
        if (!cache_)
            return verified_in_full(token, now);
        if (auto seen = cache_->find(token))
            return checked_again(std::move(*seen), now);
        auto verified = verified_in_full(token, now);
        if (verified)
            cache_->remember(token, *verified);
        return verified;
    }

    [[nodiscard]] result<verified_claims> operator()(std::string_view token) const { return verify(token); }

    /** Checks only the JWS layer (shape, header, algorithm, key, signature)
        and returns the payload bytes, for payloads that are not JWT claims.
    */
    [[nodiscard]] result<verified_jws> verify_signature(std::string_view token) const
    {
        detail::payload_buffer payload;
        auto header = verify_jws_into(token, payload);
        if (!header)
            return header.error();
        return verified_jws{std::move(*header), std::string{payload.text}};
    }

    [[nodiscard]] const verify_options& options() const noexcept { return options_; }

    /// How the cache of verified tokens has served (zeros without one). Copies of a verifier share it.
    [[nodiscard]] verify_cache_stats cache_stats() const noexcept
    {
        return cache_ ? cache_->stats() : verify_cache_stats{};
    }

private:
    static std::shared_ptr<detail::verified_cache> cache_for(const verify_options& options)
    {
        if (options.cache_size > max_cache_size)
            throw error{errc::invalid_configuration, "tessera: verify_options::cache_size is at most 2^20 tokens"};
        if (options.cache_size == 0)
            return nullptr;
        return std::make_shared<detail::verified_cache>(options.cache_size);
    }

    [[nodiscard]] result<verified_claims> verified_in_full(std::string_view token, time_point now) const
    {
        detail::payload_buffer payload;
        auto header = verify_jws_into(token, payload);
        if (!header)
            return header.error();
        return checked_claims(std::move(*header), payload.text, now);
    }

    // A remembered token: the same bytes verified to these claims; only the instant is new.
    [[nodiscard]] result<verified_claims> checked_again(verified_claims&& claims, time_point now) const
    {
        result<verified_claims> out{boost::system::in_place_value, std::move(claims)};
        if (auto ok = detail::check_claims(*out, options_, now); !ok)
            out = ok.error();
        return out;
    }

    // The claims are read in place: their text is copied once (they outlive this call), and the
    // JSON object of every claim is built only if the caller asks for it. (Building it was most
    // of a verification's time and all of its allocations; an arena per claim set was no faster.)
    // One named result, returned on every path: the claims are built where the caller receives them.
    result<verified_claims> checked_claims(jose_header header, std::string_view text, time_point now) const
    {
        auto verified = verified_claims::read(std::move(header), text, options_.max_json_depth);
        if (verified)
            if (auto ok = detail::check_claims(*verified, options_, now); !ok)
                verified = ok.error();
        return verified;
    }

    template <class Alg>
    void add_from_jwk(const boost::json::object& jwk, bool& fitted)
    {
        auto key = verification_key_t<Alg>::from_jwk(jwk);
        if (key) {
            std::get<std::vector<verification_key_t<Alg>>>(keys_).push_back(std::move(*key));
            fitted = true;
        } else if (key.error() == errc::weak_key) {
            throw error{errc::weak_key, "JWK Set key too weak for " + std::string{Alg::name}};
        }
    }

    /// A header segment byte-identical to one tessera's signer writes for a key, and what it says.
    struct known_header {
        std::string encoded;
        jose_header header;
    };

    /** Remembers, for each key of `Alg`, the header segment tessera's signer
        writes with it (`typ` JWT), parsed once here by the same parser: a
        token that carries exactly those bytes has exactly that header, and
        skips decoding and parsing it. Any other header takes the full path.
    */
    template <class Alg>
    void remember_headers()
    {
        for (const auto& key : keys_for<Alg>()) {
            auto encoded = encode_header(Alg::name, "JWT", key.kid());
            if (auto parsed = parse_header(encoded, options_.max_json_depth))
                known_headers_.push_back({std::move(encoded), std::move(*parsed)});
        }
    }

    [[nodiscard]] result<jose_header> header_of(std::string_view encoded) const
    {
        for (const auto& known : known_headers_)
            if (known.encoded == encoded)
                return known.header;
        return parse_header(encoded, options_.max_json_depth);
    }

    template <class Alg>
    const std::vector<verification_key_t<Alg>>& keys_for() const noexcept
    {
        return std::get<std::vector<verification_key_t<Alg>>>(keys_);
    }

    /// True if some key for an algorithm other than `Skip` (or a key that fits none) has `kid`.
    template <class Skip>
    bool kid_elsewhere(std::string_view kid) const noexcept
    {
        bool found = false;
        auto look = [&]<class A>(const std::vector<verification_key_t<A>>& keys) {
            if constexpr (!std::is_same_v<A, Skip>)
                for (const auto& k : keys)
                    found = found || k.kid() == kid;
        };
        (look.template operator()<Algs>(keys_for<Algs>()), ...);
        for (const auto& k : foreign_kids_)
            found = found || k == kid;
        return found;
    }

    template <class Alg>
    result<void> check_signature(const jose_header& header, const token_parts& parts) const
    {
        constexpr std::size_t max_signature = 1024; // 8192-bit RSA
        std::array<std::uint8_t, max_signature> signature;
        const auto size = base64url::decoded_size(parts.signature.size());
        if (!size || *size > max_signature)
            return fail(errc::bad_signature);
        auto n = base64url::decode_into(parts.signature, signature);
        if (!n)
            return fail(errc::malformed);
        const std::span<const std::uint8_t> sig{signature.data(), *n};

        bool candidate = false;
        for (const auto& key : keys_for<Alg>()) {
            // A key without a kid answers for any token; one with a kid only for its own.
            if (header.has_kid && !key.kid().empty() && key.kid() != header.kid)
                continue;
            candidate = true;
            if (key.verify(parts.signing_input, sig))
                return {};
        }
        if (candidate)
            return fail(errc::bad_signature);
        if (header.has_kid && !kid_elsewhere<Alg>(header.kid))
            return fail(errc::unknown_key);
        return fail(errc::algorithm_mismatch);
    }

    result<jose_header> verify_jws_into(std::string_view token, detail::payload_buffer& payload) const
    {
        auto parts = split(token, options_.max_token_size);
        if (!parts)
            return parts.error();
        auto header = header_of(parts->header);
        if (!header)
            return header.error();

        // The token never chooses the algorithm: one the verifier does not pin stops here, named
        // `unsupported_algorithm` when tessera does not implement it at all (`none` in every spelling).
        if (!((header->alg == Algs::name) || ...))
            return fail(is_known_algorithm(header->alg) ? errc::algorithm_mismatch : errc::unsupported_algorithm);
        if (parts->signature.empty())
            return fail(errc::malformed);
        // Decoding is not trusting: a payload that is not canonical base64url
        // is refused as malformed whatever its signature says.
        if (auto decoded = payload.decode(parts->payload); !decoded)
            return decoded.error();

        result<void> checked = fail(errc::algorithm_mismatch);
        (void)((header->alg == Algs::name ? (checked = check_signature<Algs>(*header, *parts), true) : false) || ...);
        if (!checked)
            return checked.error();
        return header;
    }

    std::tuple<std::vector<verification_key_t<Algs>>...> keys_;
    std::vector<std::string> foreign_kids_;
    std::vector<known_header> known_headers_;
    verify_options options_;
    std::shared_ptr<detail::verified_cache> cache_;
};

} // namespace tessera::inline v0::jwt
