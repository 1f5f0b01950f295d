// SPDX-License-Identifier: BSL-1.0
// tessera-jwt: decode, verify and sign JSON Web Tokens, and convert
// timestamps, with tessera's own headers. `tessera-jwt --help` shows the
// interface; scripts depend on it, so it changes only by addition.
//
// Exit status: 0 ok, 1 token (or time) rejected or not decodable, with
// "error: <name>" on stderr, 2 usage error, with a one-line message.

#include "format.hpp"

#include <tessera/tessera.hpp>

#include <boost/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jwt = tessera::jwt;
using namespace tessera_jwt;

namespace {

/// The most tessera-jwt reads from stdin or a file; a 10 MB line is judged, not refused unread.
constexpr std::size_t max_input = 16 * 1024 * 1024;

constexpr std::string_view usage_text = R"(usage:
  tessera-jwt decode [--json] [TOKEN|-]
  tessera-jwt verify --alg ALG (--key FILE | --jwks FILE) [--iss ISS]... [--aud AUD]... [--typ TYP]
                     [--leeway SECONDS] [--now EPOCH] [--require CLAIM]... [--json] [TOKEN|-]
  tessera-jwt sign   --alg ALG --key FILE [--kid KID] [--ttl SECONDS] [--iss ISS] [--sub SUB] [--aud AUD]
                     [--claims JSON | --claims-file FILE] [--now EPOCH]
  tessera-jwt time   [EPOCH | ISO-8601 | now]
  tessera-jwt --help | --version

  decode   shows a token's header and claims WITHOUT checking its signature
  verify   checks the signature and the claims; prints the claims, or "error: <name>"
  sign     prints a new token; --ttl sets iat and exp, a random jti is added unless given
  time     converts between a NumericDate (epoch seconds) and ISO-8601 UTC

  TOKEN absent or "-": one token is read from stdin (surrounding whitespace and
  "Bearer " are stripped). ALG: HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384
  PS512 ES256 ES384 ES512 EdDSA. --key: HS* takes the file's raw bytes as the
  secret; the others a PEM key (PKCS#8 private or SPKI public; sign needs the
  private one); any algorithm takes a JWK file. --jwks: a JWK Set, the key is
  chosen by the token's kid.

exit status: 0 ok, 1 rejected or not decodable, 2 usage error
)";

struct usage_error {
    std::string message;
};

/// The options of one command: which take a value, which may repeat.
struct command_spec {
    std::vector<std::string_view> valued;
    std::vector<std::string_view> repeatable;
    std::size_t max_positional = 1;
};

struct arguments {
    std::multimap<std::string, std::string, std::less<>> options;
    std::vector<std::string> positional;
    bool json = false;

    [[nodiscard]] bool has(std::string_view name) const { return options.contains(name); }
    [[nodiscard]] std::string get(std::string_view name) const
    {
        auto it = options.find(name);
        return it == options.end() ? std::string{} : it->second;
    }
    [[nodiscard]] std::vector<std::string> all(std::string_view name) const
    {
        std::vector<std::string> out;
        for (auto [it, end] = options.equal_range(name); it != end; ++it)
            out.push_back(it->second);
        return out;
    }
};

bool contains(const std::vector<std::string_view>& names, std::string_view name)
{
    return std::find(names.begin(), names.end(), name) != names.end();
}

/// `--name VALUE` or `--name=VALUE`; `--json` is the one flag.
arguments parse_arguments(int argc, char** argv, const command_spec& spec, bool json_allowed)
{
    arguments args;
    for (int i = 2; i < argc; ++i) {
        std::string_view a = argv[i];
        if (!a.starts_with("--")) {
            args.positional.emplace_back(a);
            continue;
        }
        std::string_view name = a.substr(2);
        std::optional<std::string_view> value;
        if (auto eq = name.find('='); eq != std::string_view::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        if (name == "json" && json_allowed && !value) {
            args.json = true;
            continue;
        }
        if (!contains(spec.valued, name))
            throw usage_error{"unknown option --" + std::string{name}};
        if (!value) {
            if (i + 1 >= argc)
                throw usage_error{"option --" + std::string{name} + " needs a value"};
            value = argv[++i];
        }
        if (args.has(name) && !contains(spec.repeatable, name))
            throw usage_error{"option --" + std::string{name} + " given twice"};
        args.options.emplace(std::string{name}, std::string{*value});
    }
    if (args.positional.size() > spec.max_positional)
        throw usage_error{"unexpected argument " + args.positional.back()};
    return args;
}

std::string read_file(const std::string& path, std::string_view what)
{
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw usage_error{"cannot read " + std::string{what} + " " + path + ": is a directory"};
    errno = 0;
    std::ifstream in{path, std::ios::binary};
    if (!in)
        throw usage_error{"cannot read " + std::string{what} + " " + path + ": " +
                          (errno ? std::strerror(errno) : "cannot open")};
    std::string data;
    std::string chunk(64 * 1024, '\0');
    while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0) {
        data.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
        if (data.size() > max_input)
            throw usage_error{std::string{what} + " " + path + " is larger than 16 MiB"};
    }
    if (in.bad())
        throw usage_error{"cannot read " + std::string{what} + " " + path};
    return data;
}

/// The token from the command line or stdin, without surrounding whitespace or "Bearer ".
std::string read_token(const arguments& args)
{
    std::string token;
    if (args.positional.empty() || args.positional.front() == "-") {
        std::string chunk(64 * 1024, '\0');
        // Past the limit the rest is left unread: the token is refused as too large anyway.
        while (token.size() <= max_input &&
               (std::cin.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || std::cin.gcount() > 0))
            token.append(chunk.data(), static_cast<std::size_t>(std::cin.gcount()));
    } else {
        token = args.positional.front();
    }
    auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    std::size_t begin = 0, end = token.size();
    while (begin < end && is_space(token[begin]))
        ++begin;
    while (end > begin && is_space(token[end - 1]))
        --end;
    if (std::string_view{token}.substr(begin, end - begin).starts_with("Bearer "))
        begin += 7;
    return token.substr(begin, end - begin);
}

std::int64_t parse_integer(const std::string& text, std::string_view what)
{
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size())
        throw usage_error{std::string{what} + " must be an integer, not \"" + text + "\""};
    return value;
}

std::int64_t now_from(const arguments& args)
{
    if (!args.has("now"))
        return tessera::system_clock{}.now().time_since_epoch().count();
    const auto now = parse_integer(args.get("now"), "--now");
    if (now < 0 || now > jwt::max_numeric_date)
        throw usage_error{"--now must be an epoch from 0 to " + std::to_string(jwt::max_numeric_date)};
    return now;
}

tessera::time_point at(std::int64_t epoch)
{
    return tessera::time_point{std::chrono::seconds{epoch}};
}

bool colour_wanted()
{
    return ::isatty(STDOUT_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr;
}

int fail_with(std::error_code ec)
{
    std::cerr << "error: " << tessera::to_string(ec) << "\n";
    return 1;
}

/// Runs `f.template operator()<Alg>()` for the algorithm named `name`.
template <class F>
int with_algorithm(std::string_view name, F&& f)
{
    int status = -1;
    [&]<class... A>(jwt::algorithm_list<A...>) {
        (void)((name == A::name ? (status = f.template operator()<A>(), true) : false) || ...);
    }(jwt::all_algorithms{});
    if (status == -1)
        throw usage_error{"unknown algorithm " + std::string{name} +
                          " (HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA)"};
    return status;
}

/// A JWK file is a JSON object with a `kty`. An HMAC secret is raw bytes that
/// may well start with '{', so the first byte alone decides nothing.
bool is_jwk(std::string_view data)
{
    if (!data.starts_with("{"))
        return false;
    auto object = tessera::detail::parse_object(data);
    return object && object->contains("kty");
}

/// A key file: raw bytes for HS*, PEM for the others, or a JWK for any.
/// `kid` (from --kid) names the key in the header of the tokens it signs.
template <class Key>
Key load_key(const std::string& path, const std::string& kid = {})
{
    const std::string data = read_file(path, "key file");
    auto key = [&] {
        if (is_jwk(data))
            return Key::from_jwk(std::string_view{data});
        if constexpr (jwt::symmetric_algorithm<typename Key::algorithm_type>)
            return Key::from_secret(tessera::secret::from_text(data), kid);
        else
            return Key::from_pem(data, kid);
    }();
    if (!key)
        throw usage_error{"cannot use key file " + path + ": " + tessera::to_string(key.error())};
    return std::move(*key);
}

/// The registered time claims with their dates and what they mean now.
std::string times_of(const boost::json::object& claims, std::int64_t now, const style& st)
{
    std::string out;
    for (const char* name : {"iat", "nbf", "exp"}) {
        const auto* v = claims.if_contains(name);
        if (v == nullptr)
            continue;
        out += "  " + st.key(name) + "  ";
        auto epoch = jwt::detail::numeric_date(*v, jwt::detail::rounding::down);
        if (!epoch) {
            out += st.bad("not a NumericDate: " + boost::json::serialize(*v)) + "\n";
            continue;
        }
        std::string meaning = time_claim_meaning(name, *epoch, now);
        const bool alarming = (std::string_view{name} == "exp" && *epoch <= now) ||
                              (std::string_view{name} != "exp" && *epoch > now);
        out += std::to_string(*epoch) + "  " + iso8601(*epoch) + "  " +
               (alarming ? st.bad(meaning) : meaning) + "\n";
    }
    return out;
}

int cmd_decode(const arguments& args)
{
    const std::string token = read_token(args);
    auto decoded = jwt::decode_unverified(token, max_input);
    if (!decoded)
        return fail_with(decoded.error());
    if (args.json) {
        // The JSON form is for JWTs: a payload that is not a JSON object has no claims to show.
        if (!decoded->claims)
            return fail_with(tessera::make_error_code(tessera::errc::malformed));
        std::cout << boost::json::serialize(boost::json::object{{"header", decoded->header},
                                                                {"payload", *decoded->claims},
                                                                {"signature_bytes", decoded->signature.size()}})
                  << "\n";
        return 0;
    }
    const style st{colour_wanted()};
    const auto now = tessera::system_clock{}.now().time_since_epoch().count();
    std::cout << st.warn("signature NOT verified") << ": anyone can write this header and these claims\n\n"
              << st.bold("header") << "\n"
              << pretty(decoded->header, st) << "\n\n";
    if (!decoded->claims) {
        std::cout << st.bold("payload") << " (" << decoded->payload_text.size() << " bytes, not a JSON object)\n"
                  << printable(decoded->payload_text) << "\n";
        return fail_with(tessera::make_error_code(tessera::errc::malformed));
    }
    std::cout << st.bold("payload") << "\n" << pretty(*decoded->claims, st) << "\n";
    if (const auto times = times_of(*decoded->claims, now, st); !times.empty())
        std::cout << "\n" << st.bold("times") << " (now " << iso8601(now) << ")\n" << times;
    std::cout << "\n" << st.bold("signature") << "  " << decoded->signature.size() << " bytes\n";
    return 0;
}

int cmd_verify(const arguments& args)
{
    if (!args.has("alg"))
        throw usage_error{"verify needs --alg"};
    if (args.has("key") == args.has("jwks"))
        throw usage_error{"verify needs exactly one of --key and --jwks"};
    jwt::verify_options options;
    options.issuers = args.all("iss");
    options.audiences = args.all("aud");
    options.required_claims = args.all("require");
    if (args.has("typ"))
        options.type = args.get("typ");
    if (args.has("leeway")) {
        const auto leeway = parse_integer(args.get("leeway"), "--leeway");
        if (leeway < 0 || leeway > 86400)
            throw usage_error{"--leeway must be from 0 to 86400 seconds"};
        options.leeway = std::chrono::seconds{leeway};
    }
    const auto now = now_from(args);
    std::optional<jwt::key_set> jwks;
    if (args.has("jwks")) {
        auto set = jwt::key_set::from_json(read_file(args.get("jwks"), "JWK Set"));
        if (!set)
            throw usage_error{"cannot use JWK Set " + args.get("jwks") + ": " + tessera::to_string(set.error())};
        jwks = std::move(*set);
    }
    return with_algorithm(args.get("alg"), [&]<class Alg>() {
        auto verifier = jwks ? jwt::verifier<Alg>{*jwks, options}
                             : jwt::verifier<Alg>{load_key<jwt::verification_key_t<Alg>>(args.get("key")), options};
        const std::string token = read_token(args);
        auto claims = verifier.verify(token, at(now));
        if (!claims)
            return fail_with(claims.error());
        if (args.json) {
            std::cout << boost::json::serialize(claims->json()) << "\n";
            return 0;
        }
        const style st{colour_wanted()};
        std::cout << st.good("signature verified") << " (" << Alg::name << "), claims valid at " << iso8601(now)
                  << "\n\n"
                  << st.bold("claims") << "\n"
                  << pretty(claims->json(), st) << "\n";
        if (const auto times = times_of(claims->json(), now, st); !times.empty())
            std::cout << "\n" << st.bold("times") << "\n" << times;
        return 0;
    });
}

int cmd_sign(const arguments& args)
{
    if (!args.has("alg") || !args.has("key"))
        throw usage_error{"sign needs --alg and --key"};
    if (args.has("claims") && args.has("claims-file"))
        throw usage_error{"give --claims or --claims-file, not both"};
    jwt::claims claims;
    if (args.has("claims") || args.has("claims-file")) {
        const bool inline_json = args.has("claims");
        const std::string text = inline_json ? args.get("claims") : read_file(args.get("claims-file"), "claims file");
        auto parsed = tessera::detail::parse_object(text);
        if (!parsed)
            throw usage_error{std::string{inline_json ? "--claims" : "claims file " + args.get("claims-file")} +
                              " is not a JSON object (" + tessera::to_string(parsed.error()) + ")"};
        claims = jwt::claims{std::move(*parsed)};
    }
    const auto now = now_from(args);
    if (args.has("ttl")) {
        const auto ttl = parse_integer(args.get("ttl"), "--ttl");
        if (ttl <= 0 || ttl > jwt::max_numeric_date - now)
            throw usage_error{"--ttl must be a positive number of seconds that ends before year 10000"};
        claims.lifetime(at(now), std::chrono::seconds{ttl});
    }
    if (args.has("iss"))
        claims.issuer(args.get("iss"));
    if (args.has("sub"))
        claims.subject(args.get("sub"));
    if (args.has("aud"))
        claims.audience(args.get("aud"));
    return with_algorithm(args.get("alg"), [&]<class Alg>() {
        auto key = load_key<jwt::signing_key_t<Alg>>(args.get("key"), args.get("kid"));
        auto token = jwt::signer<Alg>{key}.sign(claims);
        if (!token)
            return fail_with(token.error());
        std::cout << *token << "\n";
        return 0;
    });
}

int cmd_time(const arguments& args)
{
    const auto now = tessera::system_clock{}.now().time_since_epoch().count();
    const std::string input = args.positional.empty() ? "now" : args.positional.front();
    std::int64_t epoch = now;
    if (input != "now") {
        const std::string_view digits = std::string_view{input}.substr(input.starts_with('-') ? 1 : 0);
        const bool numeric = !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
        std::optional<std::int64_t> parsed;
        if (numeric) {
            std::int64_t value = 0;
            auto [end, ec] = std::from_chars(input.data(), input.data() + input.size(), value);
            if (ec == std::errc{} && end == input.data() + input.size() && value >= 0 &&
                value <= jwt::max_numeric_date)
                parsed = value;
        } else {
            parsed = parse_iso8601(input);
        }
        if (!parsed) {
            std::cerr << "error: malformed\n"
                      << "tessera-jwt: \"" << printable(input, 64) << "\" is not "
                      << (numeric ? "an epoch from 0 (1970) to " + std::to_string(jwt::max_numeric_date) + " (9999)"
                                  : "an ISO-8601 UTC time from 1970 to 9999, such as 2026-11-25T12:00:00Z")
                      << "\n";
            return 1;
        }
        epoch = *parsed;
    }
    const style st{colour_wanted()};
    std::cout << st.key("epoch") << "     " << epoch << "\n"
              << st.key("iso-8601") << "  " << iso8601(epoch) << "\n"
              << st.key("relative") << "  " << relative(epoch, now) << "\n";
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    try {
        if (argc < 2) {
            std::cerr << usage_text;
            return 2;
        }
        const std::string_view command = argv[1];
        if (command == "--help" || command == "-h" || command == "help") {
            std::cout << usage_text;
            return 0;
        }
        if (command == "--version") {
            std::cout << "tessera-jwt " << tessera::version_string << "\n";
            return 0;
        }
        for (int i = 2; i < argc; ++i) {
            if (std::string_view{argv[i]} == "--help" || std::string_view{argv[i]} == "-h") {
                std::cout << usage_text;
                return 0;
            }
        }
        if (command == "decode")
            return cmd_decode(parse_arguments(argc, argv, {}, true));
        if (command == "verify")
            return cmd_verify(parse_arguments(
                argc, argv,
                {{"alg", "key", "jwks", "iss", "aud", "typ", "leeway", "now", "require"}, {"iss", "aud", "require"}},
                true));
        if (command == "sign")
            return cmd_sign(parse_arguments(
                argc, argv,
                {{"alg", "key", "kid", "ttl", "iss", "sub", "aud", "claims", "claims-file", "now"}, {}, 0}, false));
        if (command == "time")
            return cmd_time(parse_arguments(argc, argv, {}, false));
        throw usage_error{"unknown command " + std::string{command} + " (decode, verify, sign, time)"};
    } catch (const usage_error& e) {
        std::cerr << "tessera-jwt: " << e.message << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "tessera-jwt: " << e.what() << "\n";
        return 2;
    }
}
