// tessera-jwt: decode, verify and sign JSON Web Tokens with tessera.
//
//   tessera-jwt decode [--json] [TOKEN|-]
//   tessera-jwt verify --alg ALG (--key FILE | --jwks FILE) [--iss ISS]... [--aud AUD]...
//                      [--typ TYP] [--leeway SECONDS] [--now EPOCH] [--require CLAIM]... [--json] [TOKEN|-]
//   tessera-jwt sign   --alg ALG --key FILE [--kid KID] [--ttl SECONDS] [--iss ISS] [--sub SUB]
//                      [--aud AUD] [--claims JSON] [--now EPOCH]
//
// Exit status: 0 ok, 1 token rejected or not decodable (stderr "error: <name>"), 2 usage error.

#include <tessera/tessera.hpp>

#include <boost/json.hpp>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace jwt = tessera::jwt;

namespace {

constexpr std::size_t max_input = 16 * 1024 * 1024;

struct usage_error {
    std::string message;
};

struct arguments {
    std::string command;
    std::multimap<std::string, std::string> options;
    std::vector<std::string> positional;
    bool json = false;

    [[nodiscard]] std::string get(const std::string& name, std::string fallback = {}) const
    {
        auto it = options.find(name);
        return it == options.end() ? fallback : it->second;
    }
    [[nodiscard]] std::vector<std::string> all(const std::string& name) const
    {
        std::vector<std::string> out;
        for (auto [it, end] = options.equal_range(name); it != end; ++it)
            out.push_back(it->second);
        return out;
    }
    [[nodiscard]] bool has(const std::string& name) const { return options.contains(name); }
};

arguments parse_arguments(int argc, char** argv, std::initializer_list<std::string_view> valued)
{
    arguments args;
    args.command = argv[1];
    for (int i = 2; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--json") {
            args.json = true;
        } else if (a.starts_with("--")) {
            bool known = false;
            for (auto v : valued)
                known = known || v == a.substr(2);
            if (!known)
                throw usage_error{"unknown option " + std::string{a}};
            if (i + 1 >= argc)
                throw usage_error{"option " + std::string{a} + " needs a value"};
            args.options.emplace(std::string{a.substr(2)}, argv[++i]);
        } else {
            args.positional.emplace_back(a);
        }
    }
    if (args.positional.size() > 1)
        throw usage_error{"expected at most one token"};
    return args;
}

std::string read_file(const std::string& path)
{
    std::ifstream in{path, std::ios::binary};
    if (!in)
        throw usage_error{"cannot read file " + path};
    std::string data{std::istreambuf_iterator<char>{in}, {}};
    if (data.size() > max_input)
        throw usage_error{"file too large: " + path};
    return data;
}

std::string read_token(const arguments& args)
{
    std::string token;
    if (args.positional.empty() || args.positional.front() == "-") {
        std::string chunk(64 * 1024, '\0');
        while (std::cin.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || std::cin.gcount() > 0) {
            token.append(chunk.data(), static_cast<std::size_t>(std::cin.gcount()));
            if (token.size() > max_input)
                break;
        }
    } else {
        token = args.positional.front();
    }
    auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    std::string_view t = token;
    while (!t.empty() && is_space(t.front()))
        t.remove_prefix(1);
    while (!t.empty() && is_space(t.back()))
        t.remove_suffix(1);
    if (t.starts_with("Bearer "))
        t.remove_prefix(7);
    return std::string{t};
}

std::int64_t parse_integer(const std::string& text, const char* what)
{
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size())
        throw usage_error{std::string{what} + " must be an integer: " + text};
    return value;
}

tessera::time_point now_from(const arguments& args)
{
    if (args.has("now"))
        return tessera::time_point{std::chrono::seconds{parse_integer(args.get("now"), "--now")}};
    return tessera::system_clock{}.now();
}

std::string iso8601(std::int64_t epoch)
{
    const auto t = tessera::time_point{std::chrono::seconds{epoch}};
    const auto day = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::year_month_day ymd{day};
    const std::chrono::hh_mm_ss hms{t - day};
    char out[32];
    std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return out;
}

std::string relative(std::int64_t epoch, std::int64_t now)
{
    std::int64_t d = epoch - now;
    const bool past = d < 0;
    if (past)
        d = -d;
    std::ostringstream s;
    if (d >= 86400)
        s << d / 86400 << "d " << d % 86400 / 3600 << "h";
    else if (d >= 3600)
        s << d / 3600 << "h " << d % 3600 / 60 << "m";
    else if (d >= 60)
        s << d / 60 << "m " << (d % 60 < 10 ? "0" : "") << d % 60 << "s";
    else
        s << d << "s";
    return past ? s.str() + " ago" : "in " + s.str();
}

int fail_with(std::error_code ec)
{
    std::cerr << "error: " << tessera::to_string(ec) << "\n";
    return 1;
}

// Runs `f.template operator()<Alg>()` for the algorithm named `name`.
template <class F>
int with_algorithm(std::string_view name, F&& f)
{
    int status = -1;
    [&]<class... A>(jwt::algorithm_list<A...>) {
        ((name == A::name ? (status = f.template operator()<A>(), true) : false) || ...);
    }(jwt::all_algorithms{});
    if (status == -1)
        throw usage_error{"unknown algorithm " + std::string{name} + " (HS256 HS384 HS512 RS256 RS384 RS512 "
                                                                     "PS256 PS384 PS512 ES256 ES384 ES512 EdDSA)"};
    return status;
}

// A key file: raw bytes for HS*, PEM for the others, or a JWK for any.
// `kid` (from --kid) names the key in the header of tokens it signs.
template <class Key>
Key load_key(const std::string& path, const std::string& kid = {})
{
    const std::string data = read_file(path);
    auto key = [&] {
        if constexpr (jwt::symmetric_algorithm<typename Key::algorithm_type>) {
            if (data.starts_with("{"))
                return Key::from_jwk(std::string_view{data});
            return Key::from_secret(tessera::secret::from_text(data), kid);
        } else {
            if (data.starts_with("{"))
                return Key::from_jwk(std::string_view{data});
            return Key::from_pem(data, kid);
        }
    }();
    if (!key)
        throw usage_error{"cannot use key " + path + ": " + tessera::to_string(key.error())};
    return std::move(*key);
}

int cmd_decode(const arguments& args)
{
    const std::string token = read_token(args);
    auto decoded = jwt::decode_unverified(token, max_input);
    if (!decoded)
        return fail_with(decoded.error());
    boost::json::value payload = decoded->claims ? boost::json::value(*decoded->claims)
                                                 : boost::json::value(decoded->payload_text);
    if (args.json) {
        std::cout << boost::json::serialize(boost::json::object{{"header", decoded->header},
                                                                {"payload", payload},
                                                                {"signature_bytes", decoded->signature.size()}})
                  << "\n";
        return 0;
    }
    const auto now = tessera::system_clock{}.now().time_since_epoch().count();
    std::cout << "signature NOT verified\n\nheader:  " << boost::json::serialize(decoded->header)
              << "\npayload: " << boost::json::serialize(payload) << "\n";
    if (decoded->claims) {
        for (const char* name : {"iat", "nbf", "exp"}) {
            const auto* v = decoded->claims->if_contains(name);
            if (v == nullptr || !v->is_number())
                continue;
            const auto epoch = v->to_number<std::int64_t>();
            std::cout << name << ": " << epoch << " = " << iso8601(epoch) << " (" << relative(epoch, now) << ")\n";
        }
    }
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
    if (args.has("leeway"))
        options.leeway = std::chrono::seconds{parse_integer(args.get("leeway"), "--leeway")};
    const auto now = now_from(args);
    std::optional<jwt::key_set> jwks;
    if (args.has("jwks")) {
        auto set = jwt::key_set::from_json(read_file(args.get("jwks")));
        if (!set)
            throw usage_error{"cannot use JWK Set " + args.get("jwks") + ": " + tessera::to_string(set.error())};
        jwks = std::move(*set);
    }
    return with_algorithm(args.get("alg"), [&]<class Alg>() {
        auto verifier = jwks ? jwt::verifier<Alg>{*jwks, options}
                             : jwt::verifier<Alg>{load_key<jwt::verification_key_t<Alg>>(args.get("key")), options};
        const std::string token = read_token(args);
        auto claims = verifier.verify(token, now);
        if (!claims)
            return fail_with(claims.error());
        std::cout << boost::json::serialize(claims->json()) << "\n";
        return 0;
    });
}

int cmd_sign(const arguments& args)
{
    if (!args.has("alg") || !args.has("key"))
        throw usage_error{"sign needs --alg and --key"};
    jwt::claims claims;
    if (args.has("claims")) {
        auto parsed = tessera::detail::parse_object(args.get("claims"));
        if (!parsed)
            throw usage_error{"--claims must be a JSON object"};
        claims = jwt::claims{std::move(*parsed)};
    }
    const auto now = now_from(args);
    if (args.has("ttl"))
        claims.lifetime(now, std::chrono::seconds{parse_integer(args.get("ttl"), "--ttl")});
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

void print_help()
{
    std::cout << "usage:\n"
                 "  tessera-jwt decode [--json] [TOKEN|-]\n"
                 "  tessera-jwt verify --alg ALG (--key FILE | --jwks FILE) [--iss ISS]... [--aud AUD]...\n"
                 "                     [--typ TYP] [--leeway SECONDS] [--now EPOCH] [--require CLAIM]... [--json] "
                 "[TOKEN|-]\n"
                 "  tessera-jwt sign   --alg ALG --key FILE [--kid KID] [--ttl SECONDS] [--iss ISS] [--sub SUB]\n"
                 "                     [--aud AUD] [--claims JSON] [--now EPOCH]\n"
                 "  tessera-jwt --help | --version\n";
}

} // namespace

int main(int argc, char** argv)
{
    try {
        if (argc < 2) {
            print_help();
            return 2;
        }
        const std::string_view command = argv[1];
        if (command == "--help" || command == "-h" || command == "help") {
            print_help();
            return 0;
        }
        if (command == "--version") {
            std::cout << "tessera-jwt " << tessera::version_string << "\n";
            return 0;
        }
        if (command == "decode")
            return cmd_decode(parse_arguments(argc, argv, {}));
        if (command == "verify")
            return cmd_verify(
                parse_arguments(argc, argv, {"alg", "key", "jwks", "iss", "aud", "typ", "leeway", "now", "require"}));
        if (command == "sign")
            return cmd_sign(
                parse_arguments(argc, argv, {"alg", "key", "kid", "ttl", "iss", "sub", "aud", "claims", "now"}));
        throw usage_error{"unknown command " + std::string{command}};
    } catch (const usage_error& e) {
        std::cerr << "tessera-jwt: " << e.message << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "tessera-jwt: " << e.what() << "\n";
        return 2;
    }
}
