// SPDX-License-Identifier: BSL-1.0
#pragma once
// tessera's fuzz targets: every parser of hostile input, each with properties
// checked on what it accepts, not only "no crash". One table of targets
// serves the libFuzzer binary (fuzzer.cpp, clang) and the replay suite that
// runs every seed and every regression on each `./dev test` (replay.cpp,
// any compiler).
//
// A target calls `require` for its properties; a violation prints what failed
// and aborts, as a crash does. An exception escaping a target is a failure
// too: everything here is documented to return `result<T>` on the request path.

#include <tessera/authenticator.hpp>
#include <tessera/http/cookie.hpp>
#include <tessera/http/credential.hpp>
#include <tessera/http/csrf.hpp>
#include <tessera/http/login.hpp>
#include <tessera/http/request.hpp>
#include <tessera/jwt/decode.hpp>
#include <tessera/jwt/jwks.hpp>
#include <tessera/jwt/key_ring.hpp>
#include <tessera/jwt/remote_key_set.hpp>
#include <tessera/password/hash.hpp>
#include <tessera/store/memory.hpp>
#include <tessera/store/postgres.hpp>
#include <tessera/store/redis.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tessera_fuzz {

namespace jwt = tessera::jwt;

inline void require(bool ok, const char* what)
{
    if (!ok) {
        std::fprintf(stderr, "tessera fuzz: property violated: %s\n", what);
        std::abort();
    }
}

inline std::string_view text(const std::uint8_t* data, std::size_t size)
{
    return {reinterpret_cast<const char*>(data), size};
}

/// The input cut at NUL bytes into at most `n` fields (the last takes the rest).
inline std::vector<std::string_view> fields(std::string_view in, std::size_t n)
{
    std::vector<std::string_view> out;
    while (out.size() + 1 < n) {
        const auto nul = in.find('\0');
        if (nul == std::string_view::npos)
            break;
        out.push_back(in.substr(0, nul));
        in.remove_prefix(nul + 1);
    }
    out.push_back(in);
    out.resize(n);
    return out;
}

inline const tessera::time_point now{std::chrono::seconds{1'700'000'000}};

inline const jwt::hmac_key<jwt::hs256>& hs256_key()
{
    static const auto key = jwt::hmac_key<jwt::hs256>::from_bytes(std::vector<std::uint8_t>(32, 0x5a)).value();
    return key;
}

inline jwt::verifier<jwt::hs256>& hs256_verifier()
{
    static jwt::verifier<jwt::hs256> v{hs256_key(), {.audiences = {"api"}, .require_exp = false}};
    return v;
}

inline std::string mac_token(std::string_view header, std::string_view payload)
{
    std::string token = tessera::base64url::encode(header) + "." + tessera::base64url::encode(payload);
    return token + "." + tessera::base64url::encode(hs256_key().sign(token));
}

/// Every one-byte change of an accepted token's signing input is refused (checked at a few positions).
inline void altered_copies_refused(const std::string& token)
{
    const auto dot = token.rfind('.');
    for (std::size_t i : {std::size_t{0}, dot / 2, dot - 1}) {
        std::string altered = token;
        altered[i] = altered[i] == 'A' ? 'B' : 'A';
        require(!hs256_verifier().verify(altered, now), "a token with an altered byte verified");
    }
}

// ---- the targets ------------------------------------------------------------

/// Raw bytes into the HS256 verifier.
inline void verify_raw(std::string_view in)
{
    auto claims = hs256_verifier().verify(in, now);
    if (!claims)
        return;
    auto again = hs256_verifier().verify(in, now);
    require(again && again->json() == claims->json(), "an accepted token did not verify the same way twice");
    altered_copies_refused(std::string{in});
}

/// Fuzzer-made header and payload under a correct MAC, so the JSON and claim checks are reached.
inline void verify_structured(std::string_view in)
{
    const auto parts = fields(in, 2);
    const std::string token = mac_token(parts[0], parts[1]);
    auto claims = hs256_verifier().verify(token, now);
    auto decoded = jwt::decode_unverified(token);
    if (!decoded) {
        require(!claims, "the verifier accepted what the decoder could not read");
        return;
    }
    if (!claims)
        return;
    // The decoder and the verifier read the same token.
    require(decoded->claims.has_value() && *decoded->claims == claims->json(),
            "the decoder and the verifier read different claims");
    const auto* alg = decoded->header.if_contains("alg");
    require(alg != nullptr && alg->is_string() && alg->get_string() == "HS256",
            "the decoder read another alg than the verifier pinned");
    altered_copies_refused(token);
}

/// The unverified decoder (what a debugging tool shows).
inline void decode(std::string_view in)
{
    auto decoded = jwt::decode_unverified(in);
    if (!decoded)
        return;
    require(decoded->claims.has_value() == tessera::detail::parse_object(decoded->payload_text).has_value(),
            "claims present exactly when the payload is a strict JSON object");
}

inline bool has_double(const boost::json::value& v)
{
    if (v.is_double())
        return true;
    if (v.is_array())
        return std::any_of(v.get_array().begin(), v.get_array().end(), [](const auto& e) { return has_double(e); });
    if (v.is_object())
        return std::any_of(v.get_object().begin(), v.get_object().end(),
                           [](const auto& m) { return has_double(m.value()); });
    return false;
}

/** The verifier's in-place claims reader against the strict parser: it accepts exactly the objects the
    parser accepts whose registered claims have their types, and reads from them what the object holds.
*/
inline void claims_read_in_place(std::string_view in, const tessera::result<boost::json::object>& strict)
{
    namespace jwt = tessera::jwt;
    auto read = jwt::verified_claims::read({}, in);
    const bool typed = strict && jwt::detail::check_registered_types(*strict).has_value();
    require(read.has_value() == typed, "the claims reader and the strict parser disagree on a claim set");
    if (!read)
        return;
    const jwt::detail::registered_claims r{*strict};
    const auto text = [](const boost::json::value* v) {
        return v != nullptr ? std::string_view{v->get_string()} : std::string_view{};
    };
    require(read->subject() == text(r.sub) && read->issuer() == text(r.iss) && read->jwt_id() == text(r.jti) &&
                read->has_subject() == (r.sub != nullptr) && read->has_issuer() == (r.iss != nullptr),
            "the claims reader read another sub, iss or jti");
    const auto date = [](const boost::json::value* v, jwt::detail::rounding mode) -> std::optional<std::int64_t> {
        if (v == nullptr)
            return std::nullopt;
        return *jwt::detail::numeric_date(*v, mode);
    };
    const auto seconds = [](std::optional<tessera::time_point> t) -> std::optional<std::int64_t> {
        if (!t)
            return std::nullopt;
        return t->time_since_epoch().count();
    };
    require(seconds(read->expires_at()) == date(r.exp, jwt::detail::rounding::down) &&
                seconds(read->not_before()) == date(r.nbf, jwt::detail::rounding::up) &&
                seconds(read->issued_at()) == date(r.iat, jwt::detail::rounding::up),
            "the claims reader read another exp, nbf or iat");
    require(read->has_audience_claim() == (r.aud != nullptr), "the claims reader saw aud where there is none");
    if (r.aud != nullptr) {
        if (r.aud->is_string())
            require(read->has_audience(r.aud->get_string()), "the claims reader lost the audience");
        else
            for (const auto& a : r.aud->get_array())
                require(read->has_audience(a.get_string()), "the claims reader lost an audience");
        constexpr std::string_view stranger = "an audience no seed names";
        const bool named = r.aud->is_string() ? r.aud->get_string() == stranger
                                              : std::any_of(r.aud->get_array().begin(), r.aud->get_array().end(),
                                                            [&](const auto& a) { return a.get_string() == stranger; });
        require(read->has_audience(stranger) == named, "the claims reader made up an audience");
    }
    for (const auto& m : *strict) {
        const auto found = read->find_string(m.key());
        require(m.value().is_string() ? found && *found == m.value().get_string() : !found,
                "the claims reader read another top-level string");
    }
    require(read->json() == *strict, "the claims' object is not the strict parser's");
}

/// The strict JSON parser against Boost.JSON's own.
inline void json(std::string_view in)
{
    auto strict = tessera::detail::parse_object(in);
    claims_read_in_place(in, strict);
    boost::json::error_code ec;
    boost::json::parse_options options;
    options.max_depth = 64;
    const auto loose = boost::json::parse(in, ec, {}, options);
    if (strict) {
        require(!ec && loose.is_object(), "strict accepted what Boost.JSON refuses");
        require(loose.get_object() == *strict, "strict and Boost.JSON read different values");
        require(tessera::detail::all_finite(*strict), "strict accepted a non-finite number");
        // What it accepted, written back (a store record, a renewed session), is read back: the same,
        // except that Boost.JSON 1.81 reads decimal numbers to within one ulp, not always exactly.
        auto round = tessera::detail::parse_object(boost::json::serialize(*strict));
        require(round.has_value(), "a strict object written back did not parse");
        require(has_double(*strict) || *round == *strict, "a strict object did not survive serialize and parse");
    }
}

/// base64url both ways, against its own definition.
inline void base64url(std::string_view in)
{
    if (auto bytes = tessera::base64url::decode(in)) {
        require(tessera::base64url::encode(*bytes) == in, "decode then encode changed a canonical input");
    }
    const std::span raw{reinterpret_cast<const std::uint8_t*>(in.data()), in.size()};
    const auto encoded = tessera::base64url::encode(raw);
    require(encoded.size() == tessera::base64url::encoded_size(raw.size()), "encoded size");
    auto back = tessera::base64url::decode(encoded);
    require(back && std::equal(back->begin(), back->end(), raw.begin(), raw.end()), "encode then decode");
}

template <class Key>
void jwk_round_trip(std::string_view in)
{
    auto key = Key::from_jwk(in);
    if (!key)
        return;
    if constexpr (requires { key->to_jwk(); }) {
        auto again = Key::from_jwk(boost::json::serialize(key->to_jwk()));
        require(again && again->to_jwk() == key->to_jwk(), "a loaded JWK did not load again from its own JWK");
    }
}

/// JWK and JWK Set loading, for every key kind.
inline void jwk(std::string_view in)
{
    jwk_round_trip<jwt::hmac_key<jwt::hs256>>(in);
    jwk_round_trip<jwt::public_key<jwt::rs256>>(in);
    jwk_round_trip<jwt::public_key<jwt::es256>>(in);
    jwk_round_trip<jwt::public_key<jwt::eddsa>>(in);
    jwk_round_trip<jwt::private_key<jwt::es256>>(in);
    jwk_round_trip<jwt::private_key<jwt::eddsa>>(in);
    (void)jwt::key_set::from_json(in);
}

/// `Cookie` headers and `Set-Cookie` values.
inline void cookie(std::string_view in)
{
    (void)tessera::http::parse_cookie_header(in);
    (void)tessera::http::find_cookie(in, "__Host-session");
    static const tessera::http::cookie_policy policy{};
    if (auto set = policy.set_cookie(in)) {
        // What a Set-Cookie carries, the browser sends back as `name=value`: it reads back the same.
        const std::string sent = policy.name() + "=" + std::string{in};
        auto found = tessera::http::find_cookie(sent, policy.name());
        require(found && found->has_value() && **found == in, "a cookie value did not read back");
    }
}

/// A request's credential: fields `Authorization`, `Cookie`, a second `Cookie`, a second `Authorization`.
inline void http_request(std::string_view in)
{
    const auto f = fields(in, 4);
    std::vector<tessera::http::header_field> held;
    for (const auto& [name, value] : {std::pair{"Authorization", f[0]}, std::pair{"Cookie", f[1]},
                                      std::pair{"Cookie", f[2]}, std::pair{"Authorization", f[3]}})
        if (!value.empty())
            held.push_back({name, value});
    const tessera::http::request_view r{"POST", "/api/me", held};
    auto bearer = tessera::http::bearer_token(r);
    auto cookie = tessera::http::request_cookie(r, "__Host-session");
    auto found = tessera::http::find_credential(r, "__Host-session");
    if (bearer && *bearer) {
        require(tessera::http::detail::is_b64token(**bearer), "a bearer token that is not a b64token was found");
        require(f[0].ends_with(**bearer) || f[3].ends_with(**bearer), "a bearer token not from its field");
    }
    if (cookie && *cookie)
        for (const char c : **cookie)
            require(tessera::http::detail::is_cookie_octet(c), "a cookie value with a character no cookie carries");
    if (!bearer || !cookie || (*bearer && *cookie)) {
        require(!found && found.error() == tessera::errc::invalid_request, "an ambiguous credential was taken");
    } else {
        require(found.has_value(), "an unambiguous request was refused");
        const bool as_bearer = bearer->has_value();
        require(found->carrier == (as_bearer ? tessera::http::carrier::bearer
                                   : cookie->has_value() ? tessera::http::carrier::cookie
                                                         : tessera::http::carrier::none),
                "a credential found by the wrong carrier");
    }
}

/// A login body: what is accepted is bounded, and reads back the same once written again.
inline void login_body(std::string_view in)
{
    auto form = tessera::http::parse_login(in);
    if (!form)
        return;
    require(!form->username.empty() && form->username.size() <= tessera::max_subject_size,
            "a login's username out of bounds");
    require(!form->password.empty() && form->password.size() <= tessera::max_password_size,
            "a login's password out of bounds");
    const auto again = boost::json::serialize(
        boost::json::object{{"username", form->username}, {"password", form->password}});
    auto back = tessera::http::parse_login(again);
    require(back && back->username == form->username && back->password == form->password,
            "a login body did not read back");
}

/// A route's id in a path (`DELETE /api/sessions/{id}`): one segment, no decoding, nothing to normalise.
inline void path_segment(std::string_view in)
{
    constexpr std::string_view prefix = "/api/sessions/";
    const auto id = tessera::http::path_segment(in, prefix);
    if (!id)
        return;
    const auto path = in.substr(0, in.find('?'));
    require(path.size() == prefix.size() + id->size() && path.starts_with(prefix) && path.ends_with(*id),
            "a segment that is not the rest of the path");
    require(!id->empty() && id->size() <= tessera::http::max_path_segment_size && *id != "." && *id != "..",
            "a segment out of bounds, or a dot segment");
    for (const char c : *id)
        require(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~',
                "a segment with a reserved or encoded character");
}

/// The CSRF origin check and signed tokens.
inline void csrf(std::string_view in)
{
    const auto f = fields(in, 5);
    static const tessera::http::origin_policy policy{.trusted_origins = {"https://app.example"}};
    (void)tessera::http::check_origin({f[0], f[1], f[2], f[3]}, policy);
    static const tessera::http::csrf_tokens tokens{tessera::secret::from_text("0123456789abcdef0123456789abcdef")};
    require(!tokens.verify(f[4], f[0]), "a fuzzer-made CSRF token verified");
    const auto issued = tokens.issue(f[0]);
    require(tokens.verify(issued, f[0]).has_value(), "an issued CSRF token did not verify");
    require(!tokens.verify(issued, std::string{f[0]} + "x"), "a CSRF token verified for another binding");
}

/// The PHC parser (Argon2id hash strings read from a user database).
inline void phc(std::string_view in)
{
    auto parsed = tessera::detail::parse_phc(in);
    if (!parsed)
        return;
    const auto& o = parsed->options;
    require(o.memory_kib >= 8 * o.parallelism && o.memory_kib <= 1024 * 1024 && o.iterations >= 1 &&
                o.iterations <= 64 && o.parallelism >= 1 && o.parallelism <= 16,
            "parse_phc accepted parameters Argon2 or tessera's bounds refuse");
    static const tessera::password_hasher hasher;
    (void)hasher.needs_rehash(in);
}

/// Session ids into `validate`: nothing the fuzzer writes is a live session.
inline void session_id(std::string_view in)
{
    static tessera::memory_store store;
    static tessera::session_manager sessions{store};
    auto found = sessions.validate(in);
    require(!found, "a fuzzer-made session id was accepted");
    if (in.size() != 43)
        require(found.error() == tessera::errc::malformed, "an id of the wrong length reached the store");
}

/// Every decoder of records that come back from a store.
inline void records(std::string_view in)
{
    if (auto s = tessera::detail::decode_session(in)) {
        auto again = tessera::detail::decode_session(tessera::detail::encode_session(*s));
        // (Attributes with decimal numbers may move by one ulp: Boost.JSON 1.81 does not read them exactly.)
        require(again && again->subject == s->subject &&
                    (has_double(s->attributes) || again->attributes == s->attributes) &&
                    again->created_at == s->created_at && again->last_seen == s->last_seen &&
                    again->absolute_expires_at == s->absolute_expires_at && again->user_agent == s->user_agent &&
                    again->ip == s->ip,
                "a session record did not survive encode and decode");
        // What validate computes from it stays in range.
        (void)tessera::detail::session_expiry(*s, tessera::session_options{});
    }
    // A request's reading (no user agent, no IP) accepts exactly the records the whole reading does,
    // and reads the same subject, times and attributes from them.
    {
        tessera::session_data light;
        const auto whole = tessera::detail::decode_session(in);
        const bool read = tessera::detail::decode_session(in, light, tessera::detail::session_fields::without_context)
                              .has_value();
        require(read == whole.has_value(), "the two readings of a session record disagree on whether it is one");
        require(!read || (light.subject == whole->subject && light.created_at == whole->created_at &&
                          light.last_seen == whole->last_seen &&
                          light.absolute_expires_at == whole->absolute_expires_at &&
                          light.user_agent.empty() && light.ip.empty() &&
                          (has_double(whole->attributes) || light.attributes == whole->attributes)),
                "the request's reading of a session record differs from the whole one");
    }
    if (auto f = tessera::detail::decode_family(in)) {
        auto again = tessera::detail::decode_family(tessera::detail::encode(*f));
        require(again && again->subject == f->subject && again->generation == f->generation &&
                    again->user_agent == f->user_agent && again->ip == f->ip &&
                    (has_double(f->claims) || again->claims == f->claims),
                "a family record did not survive encode and decode");
    }
    if (auto r = tessera::detail::decode_refresh(in)) {
        auto again = tessera::detail::decode_refresh(tessera::detail::encode(*r));
        require(again && again->family == r->family && again->generation == r->generation,
                "a refresh record did not survive encode and decode");
    }
    (void)tessera::detail::decode_used(in);
    (void)tessera::detail::credentials_from_json(in);
}

/** Whatever is issued authenticates, and refreshes where the scheme refreshes: subject, a claim's
    bytes, claims parsed leniently from the input (where 1e400 is infinity and nesting is unbounded), and
    the client's context, all from the fuzzer, into the three schemes on one memory store. A refusal at
    issue is `malformed` (or `token_too_large` for a token), and leaves no family behind.
    Fields, NUL-separated: subject, user agent, ip, a claim's bytes, JSON.
*/
inline void issued(std::string_view in)
{
    const auto f = fields(in, 5);
    if (f.size() < 5 || f[0].empty() || f[0].size() > 256)
        return;
    const std::string subject{f[0]};
    const tessera::session_context context{std::string{f[1]}, std::string{f[2]}};
    boost::json::object claims{{"bytes", std::string{f[3]}}};
    boost::json::error_code ec;
    boost::json::parse_options lenient;
    lenient.max_depth = 64;
    if (auto j = boost::json::parse(f[4], ec, {}, lenient); !ec)
        claims["json"] = std::move(j);

    static tessera::manual_clock clock{now};
    static tessera::basic_memory_store<tessera::manual_clock> store{{}, clock};
    static tessera::session_authenticator<decltype(store), tessera::manual_clock> web{store, {}, clock};
    static const tessera::authenticator_options named{.issuer = "https://auth.example", .audience = "api"};
    static tessera::authenticator<tessera::stateless, jwt::hs256, tessera::expiry_only, tessera::manual_clock> api{
        hs256_key(), named, clock};
    static tessera::hybrid_authenticator<jwt::hs256, decltype(store), tessera::manual_clock> mobile{store, hs256_key(),
                                                                                                    named, clock};
    const auto refused_at_issue = [](const std::error_code& e) {
        return e == tessera::errc::malformed || e == tessera::errc::token_too_large;
    };
    if (auto s = web.issue(subject, claims, context)) {
        auto who = web.authenticate(s->access_token);
        require(who && who->subject == subject, "an issued session did not authenticate");
        auto next = web.refresh(s->access_token);
        require(next && web.authenticate(next->access_token), "an issued session did not rotate");
        (void)web.revoke(next->access_token);
    } else {
        require(s.error() == tessera::errc::malformed, "a session was refused at issue other than as malformed");
    }
    if (auto a = api.issue(subject, claims)) {
        auto who = api.authenticate(a->access_token);
        require(who && who->subject == subject, "an issued JWT did not authenticate");
    } else {
        require(refused_at_issue(a.error()), "a JWT was refused at issue other than as malformed or too large");
    }
    if (auto h = mobile.issue(subject, claims, context)) {
        auto who = mobile.authenticate(h->access_token);
        require(who && who->subject == subject, "an issued hybrid access token did not authenticate");
        auto next = mobile.refresh(h->refresh_token);
        require(next && mobile.authenticate(next->access_token), "an issued family did not refresh");
        auto listed = mobile.sessions(subject);
        require(listed && listed->size() == 1 && (*listed)[0].user_agent == context.user_agent &&
                    (*listed)[0].ip == context.ip,
                "an issued family was not listed with its context");
        (void)mobile.revoke_all(subject);
    } else {
        require(refused_at_issue(h.error()), "a family was refused at issue other than as malformed or too large");
        auto listed = mobile.sessions(subject);
        require(listed && listed->empty(), "a refused login left a family behind");
    }
}

/** The Redis store's reply decoder, on replies hiredis's own reader makes from the fuzzer's bytes (RESP):
    a record comes only from an array of exactly three strings, and says what they say; none only from
    nil or three nils (or a record that expired); everything else is refused.
*/
inline void redis_reply(std::string_view in)
{
    // hiredis 0.14 allocates an array's elements before reading them: a large count is not a decoder question.
    for (std::size_t at = in.find('*'); at != std::string_view::npos; at = in.find('*', at + 1)) {
        std::size_t digits = 0;
        while (at + 1 + digits < in.size() && in[at + 1 + digits] >= '0' && in[at + 1 + digits] <= '9')
            ++digits;
        if (digits > 2)
            return;
    }
    std::unique_ptr<redisReader, void (*)(redisReader*)> reader{redisReaderCreate(), redisReaderFree};
    require(reader != nullptr, "no hiredis reader");
    if (redisReaderFeed(reader.get(), in.data(), in.size()) != REDIS_OK)
        return;
    for (int n = 0; n < 4; ++n) {
        void* raw = nullptr;
        if (redisReaderGetReply(reader.get(), &raw) != REDIS_OK || raw == nullptr)
            return;
        tessera::detail::redis_reply reply{static_cast<redisReply*>(raw)};
        const redisReply* r = reply.get();
        auto decoded = tessera::detail::redis_record(r, now);
        const bool triple = r->type == REDIS_REPLY_ARRAY && r->elements == 3;
        const auto is = [&](std::size_t i, int type) { return triple && r->element[i]->type == type; };
        if (decoded && *decoded) {
            require(is(0, REDIS_REPLY_STRING) && is(1, REDIS_REPLY_STRING) && is(2, REDIS_REPLY_STRING),
                    "a Redis record from a reply that is not three strings");
            require((*decoded)->value == std::string_view{r->element[0]->str, r->element[0]->len} &&
                        (*decoded)->subject == std::string_view{r->element[1]->str, r->element[1]->len} &&
                        (*decoded)->expires_at > now,
                    "a Redis record that says something else than its reply");
        } else if (decoded) {
            const bool nothing = r->type == REDIS_REPLY_NIL ||
                                 (is(0, REDIS_REPLY_NIL) && is(1, REDIS_REPLY_NIL) && is(2, REDIS_REPLY_NIL)) ||
                                 (is(0, REDIS_REPLY_STRING) && is(1, REDIS_REPLY_STRING) && is(2, REDIS_REPLY_STRING));
            require(nothing, "a partial or malformed Redis reply read as no record");
        }
    }
}

/** The PostgreSQL store's row decoder, on results libpq builds without a server (binary columns value,
    subject, expires_at; rows and cells from the fuzzer, a cell null or not): a single-key read yields a
    record only from exactly one row whose expiry is an 8-byte integer in range and in the future, none
    only from one row of nulls (or expired), and refuses everything else.
    Input: a byte for the number of rows (0 to 2), then per cell a byte (odd: null) and a length byte.
*/
inline void pg_result(std::string_view in)
{
    if (in.empty())
        return;
    tessera::detail::pg_result res{PQmakeEmptyPGresult(nullptr, PGRES_TUPLES_OK)};
    require(res != nullptr, "no libpq result");
    std::array<PGresAttDesc, 3> columns{};
    const std::array<const char*, 3> names{"value", "subject", "expires_at"};
    for (std::size_t i = 0; i < columns.size(); ++i) {
        columns[i].name = const_cast<char*>(names[i]);
        columns[i].format = 1;
        columns[i].typid = i == 2 ? tessera::detail::pg_bigint : tessera::detail::pg_bytea;
        columns[i].typlen = i == 2 ? 8 : -1;
        columns[i].atttypmod = -1;
    }
    require(PQsetResultAttrs(res.get(), 3, columns.data()) != 0, "no libpq columns");
    const std::size_t rows = static_cast<unsigned char>(in[0]) % 3u;
    in.remove_prefix(1);
    // Row-major, three cells a row (a nested std::array of strings crashes clang 14's parser here).
    std::vector<bool> null(6, false);
    std::vector<std::string> cell(6);
    for (std::size_t row = 0; row < rows; ++row)
        for (std::size_t col = 0; col < 3; ++col) {
            if (in.size() < 2)
                return;
            const bool is_null = (static_cast<unsigned char>(in[0]) & 1) != 0;
            const std::size_t length = std::min<std::size_t>(static_cast<unsigned char>(in[1]), in.size() - 2);
            const auto value = in.substr(2, length);
            in.remove_prefix(2 + length);
            null[row * 3 + col] = is_null;
            cell[row * 3 + col] = std::string{value};
            require(PQsetvalue(res.get(), static_cast<int>(row), static_cast<int>(col), is_null ? nullptr : const_cast<char*>(value.data()),
                               is_null ? -1 : static_cast<int>(value.size())) != 0,
                    "libpq refused a cell");
        }
    auto decoded = tessera::detail::pg_one_record(res.get(), now);
    if (rows != 1u) {
        require(!decoded, "a PostgreSQL read of other than one row was not refused");
        return;
    }
    if (decoded && *decoded) {
        require(!null[2] && cell[2].size() == 8 && (*decoded)->value == cell[0] && (*decoded)->subject == cell[1] &&
                    (*decoded)->expires_at > now,
                "a PostgreSQL record that says something else than its row");
    } else if (decoded) {
        require((null[0] && null[1] && null[2]) || (!null[2] && cell[2].size() == 8),
                "a partial or malformed PostgreSQL row read as no record");
    }
}

/** What a key ring keeps sealed, as another instance or a tampered store hands it back: the input is
    the plaintext of a sealed ring (so the reader behind the AEAD is reached), and also an outer
    document. Nothing throws; what opens is a ring whose invariants hold, that a ring can be made
    from, and that seals and opens again to the same keys, states and instants.
*/
template <class Alg>
void sealed_ring_as(std::string_view in)
{
    using ring_t = jwt::key_ring<Alg>;
    static const auto kek = jwt::ring_sealing_key::from_secret(tessera::secret{std::vector<std::uint8_t>(32, 9)}).value();
    (void)ring_t::unseal(in, kek); // as the outer document
    const std::uint64_t version = 3;
    const auto sealed = tessera::detail::aead_seal(
        kek.botan_name(), kek.bytes(), jwt::detail::ring_associated_data(Alg::name, kek.name(), version),
        std::span{reinterpret_cast<const std::uint8_t*>(in.data()), in.size()});
    const auto document = boost::json::serialize(boost::json::object{{"format", "tessera key ring 1"},
                                                                     {"alg", Alg::name},
                                                                     {"cipher", kek.name()},
                                                                     {"version", version},
                                                                     {"sealed", tessera::base64url::encode(sealed)}});
    const auto opened = ring_t::unseal(document, kek);
    if (!opened)
        return;
    require(ring_t::check(**opened) && (*opened)->version == version, "an unsealed ring that breaks its invariants");
    const ring_t ring{*opened, {.propagation = std::chrono::seconds{0}, .retention = std::chrono::seconds{1}, .rotate_every = std::chrono::seconds{2}}};
    const auto again = ring_t::unseal(ring.seal(kek), kek);
    require(again.has_value() && (*again)->keys.size() == (*opened)->keys.size(), "a ring that does not seal again");
    for (std::size_t i = 0; i < (*opened)->keys.size(); ++i) {
        const auto &a = (*opened)->keys[i], &b = (*again)->keys[i];
        require(a.kid == b.kid && a.state == b.state && a.published_at == b.published_at &&
                    a.changed_at == b.changed_at && a.key.has_value() == b.key.has_value(),
                "a ring that seals again to other keys");
    }
}

inline void sealed_ring(std::string_view in)
{
    sealed_ring_as<jwt::hs256>(in);
    sealed_ring_as<jwt::eddsa>(in);
}

/// A fetch policy that answers every request with one body (the fuzzer's input), for a remote key set.
struct fixed_fetch {
    std::string body;
    tessera::result<jwt::fetch_response> operator()(const jwt::fetch_request&) const
    {
        return jwt::fetch_response{200, {}, {}, body};
    }
};

/** A JWK Set as a provider serves it: read for a verifier of three families. What is accepted
    holds only usable keys (no private member, `key_ops` allowing `verify`, one `kid` each), builds a
    verifier without throwing, and is what a remote key set fetching the same body keeps; what is
    refused is refused with one of the four causes, and a remote set fetching it serves nothing.
    The input's first line is also read as a `Cache-Control` field and as a URL.
*/
inline void jwks_document(std::string_view in)
{
    const auto line = in.substr(0, in.find('\n'));
    if (const auto age = jwt::detail::max_age_of(line))
        require(age->count() >= 0 && age->count() <= (std::int64_t{1} << 31), "a max-age out of its range");
    if (const auto url = jwt::detail::check_fetch_url(line))
        require((url->https || url->loopback) && !url->host.empty() && line.size() <= jwt::detail::max_url_size,
                "a URL accepted that is neither https nor loopback");

    const auto read = jwt::detail::read_key_set<jwt::es256, jwt::eddsa, jwt::rs256>(in, 100);
    using set_t = jwt::remote_key_set<jwt::verifier<jwt::es256, jwt::eddsa, jwt::rs256>, fixed_fetch>;
    set_t remote{{.background = false}, "https://issuer.example/jwks", fixed_fetch{std::string{in}}};
    const auto fetched = remote.refresh(now);
    if (in.size() > remote.options().max_body)
        return;
    if (!read) {
        const auto cause = tessera::fetch_cause_of(read.error());
        require(cause == tessera::fetch_failure::malformed || cause == tessera::fetch_failure::too_many_keys ||
                    cause == tessera::fetch_failure::duplicate_kid || cause == tessera::fetch_failure::no_usable_key,
                "a key set refused without one of its causes");
        require(!fetched && !remote.status().loaded, "a remote key set kept a refused set");
        return;
    }
    require(read->usable == read->keys.size() && read->usable >= 1, "a key set accepted without a usable key");
    std::vector<std::string> kids;
    for (const auto& k : read->keys.keys()) {
        require(!jwt::detail::has_private_member(k) && jwt::detail::allows_verify(k), "an unusable key kept");
        if (const auto* kid = k.if_contains("kid")) {
            const std::string id{kid->as_string()};
            require(std::find(kids.begin(), kids.end(), id) == kids.end(), "a kid kept twice");
            kids.push_back(id);
        }
    }
    const jwt::verifier<jwt::es256, jwt::eddsa, jwt::rs256> v{read->keys};
    require(fetched.has_value() && remote.status().keys == read->usable, "a remote key set that refused a usable set");
    (void)remote.verify("eyJhbGciOiJFUzI1NiIsImtpZCI6ImEifQ.e30.AAAA", now);
}

/** An OpenID discovery document for one issuer: what is accepted names exactly that issuer and a
    `jwks_uri` a key set may be fetched from.
*/
inline void discovery_document(std::string_view in)
{
    constexpr std::string_view issuer = "https://issuer.example";
    const auto uri = jwt::detail::read_discovery(in, issuer);
    if (!uri) {
        const auto cause = tessera::fetch_cause_of(uri.error());
        require(cause == tessera::fetch_failure::malformed || cause == tessera::fetch_failure::wrong_issuer ||
                    cause == tessera::fetch_failure::insecure_url,
                "a discovery document refused without one of its causes");
        return;
    }
    require(jwt::detail::check_fetch_url(*uri).has_value(), "a jwks_uri accepted that a key set may not come from");
    const auto doc = boost::json::parse(in).as_object();
    require(doc.at("issuer").as_string() == issuer && doc.at("jwks_uri").as_string() == *uri,
            "a discovery document read as another");
}

struct target {
    const char* name;
    void (*run)(std::string_view);
};

inline constexpr target targets[] = {
    {"verify_raw", verify_raw}, {"verify_structured", verify_structured},
    {"decode", decode},         {"json", json},
    {"base64url", base64url},   {"jwk", jwk},
    {"cookie", cookie},         {"csrf", csrf},
    {"phc", phc},               {"session_id", session_id},
    {"records", records},       {"issued", issued},
    {"redis_reply", redis_reply}, {"pg_result", pg_result},
    {"http_request", http_request}, {"login_body", login_body},
    {"path_segment", path_segment}, {"sealed_ring", sealed_ring},
    {"jwks_document", jwks_document}, {"discovery_document", discovery_document},
};

inline const target* find(std::string_view name)
{
    for (const auto& t : targets)
        if (name == t.name)
            return &t;
    return nullptr;
}

/// Runs one input; an exception escaping is a failure of the non-throwing contract.
inline void run(const target& t, const std::uint8_t* data, std::size_t size)
{
    try {
        t.run(text(data, size));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tessera fuzz: %s threw: %s\n", t.name, e.what());
        std::abort();
    } catch (...) {
        std::fprintf(stderr, "tessera fuzz: %s threw a non-standard exception\n", t.name);
        std::abort();
    }
}

} // namespace tessera_fuzz
