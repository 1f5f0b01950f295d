// SPDX-License-Identifier: BSL-1.0
// tessera-jwt, run as a user runs it: the built binary, with keys made by the
// openssl command line, checked on its exit status, its stdout and its
// stderr ("error: <name>" for every refusal of the attack corpus).

#include "jwt_support.hpp"

#include <tessera/version.hpp>

#include <boost/json.hpp>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#ifndef TESSERA_JWT_PATH
#error "TESSERA_JWT_PATH must name the built tessera-jwt"
#endif

namespace fs = std::filesystem;

namespace {

struct run_result {
    int status = -1;
    std::string out;
    std::string err;
};

std::string quote(std::string_view s)
{
    std::string q = "'";
    for (char c : s)
        q += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
    return q + "'";
}

std::string read_all(const fs::path& path)
{
    std::ifstream in{path, std::ios::binary};
    return {std::istreambuf_iterator<char>{in}, {}};
}

void write_file(const fs::path& path, std::string_view data)
{
    std::ofstream{path, std::ios::binary}.write(data.data(), static_cast<std::streamsize>(data.size()));
}

/// A scratch folder with every key the suite needs, made once per process.
class workspace {
public:
    static workspace& get()
    {
        static workspace w;
        return w;
    }

    [[nodiscard]] const fs::path& dir() const { return dir_; }
    [[nodiscard]] fs::path file(std::string_view name) const { return dir_ / name; }

    /// `private` and `public` PEM files of the algorithm's key type (`secret` for HS*).
    [[nodiscard]] fs::path key(std::string_view alg, std::string_view which) const
    {
        return dir_ / (std::string{alg} + "." + std::string{which});
    }

    /// Runs a shell command in the workspace; fails the test if it fails.
    void shell(const std::string& command) const
    {
        const int status = std::system(("cd " + quote(dir_.string()) + " && " + command + " 2>/dev/null").c_str());
        BOOST_TEST_REQUIRE(status == 0, "failed: " << command);
    }

    ~workspace() { fs::remove_all(dir_); }
    workspace(const workspace&) = delete;
    workspace& operator=(const workspace&) = delete;

private:
    workspace() : dir_(fs::temp_directory_path() / ("tessera-cli-" + tessera::random_id(8)))
    {
        fs::create_directories(dir_);
        for (const auto* alg : {"HS256", "HS384", "HS512"}) {
            const std::size_t bytes = alg[3] == '2' ? 32 : alg[3] == '3' ? 48 : 64;
            std::vector<std::uint8_t> secret(bytes);
            tessera::random_bytes(secret);
            write_file(key(alg, "private"), {reinterpret_cast<const char*>(secret.data()), secret.size()});
            fs::copy_file(key(alg, "private"), key(alg, "public"));
            tessera::random_bytes(secret);
            write_file(key(alg, "other"), {reinterpret_cast<const char*>(secret.data()), secret.size()});
        }
        const std::map<std::string, std::string> genpkey{
            {"RS", "-algorithm RSA -pkeyopt rsa_keygen_bits:2048"},
            {"ES256", "-algorithm EC -pkeyopt ec_paramgen_curve:P-256"},
            {"ES384", "-algorithm EC -pkeyopt ec_paramgen_curve:P-384"},
            {"ES512", "-algorithm EC -pkeyopt ec_paramgen_curve:P-521"},
            {"EdDSA", "-algorithm ED25519"}};
        for (const auto& [name, options] : genpkey) {
            for (const char* which : {"private", "other"})
                shell("openssl genpkey " + options + " -out " + name + "." + which);
            shell("openssl pkey -in " + name + ".private -pubout -out " + name + ".public");
            shell("openssl pkey -in " + name + ".other -pubout -out " + name + ".other-public");
        }
        // RSA keys serve RS* and PS* alike.
        for (const auto* alg : {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
            for (const char* which : {"private", "public", "other", "other-public"})
                fs::copy_file(dir_ / (std::string{"RS."} + which), key(alg, which));
        // test::hs256_key() as a key file: 32 bytes of 'Z' (0x5a).
        write_file(file("forge.key"), std::string(32, 'Z'));
    }

    fs::path dir_;
};

/// Runs tessera-jwt with `args`, `input` on stdin, and NO_COLOR set when `no_color`.
run_result run(const std::vector<std::string>& args, std::string_view input = {})
{
    const auto& ws = workspace::get();
    const auto in = ws.file("stdin"), out = ws.file("stdout"), err = ws.file("stderr");
    write_file(in, input);
    std::string command = "cd " + quote(ws.dir().string()) + " && exec " + quote(TESSERA_JWT_PATH);
    for (const auto& a : args)
        command += " " + quote(a);
    command += " < " + quote(in.string()) + " > " + quote(out.string()) + " 2> " + quote(err.string());
    const int status = std::system(command.c_str());
    BOOST_TEST_REQUIRE(WIFEXITED(status), "tessera-jwt did not exit normally: " << command);
    return {WEXITSTATUS(status), read_all(out), read_all(err)};
}

/// The error name a refused token was reported with, after checking exit status 1.
std::string refusal(const std::vector<std::string>& args, std::string_view input = {})
{
    const auto r = run(args, input);
    BOOST_TEST(r.status == 1, "exit status " << r.status << ", stderr: " << r.err);
    BOOST_TEST(r.out.empty());
    if (!r.err.starts_with("error: ") || !r.err.ends_with("\n"))
        return "no error line: " + r.err;
    return r.err.substr(7, r.err.find('\n') - 7);
}

boost::json::object parse_object(const std::string& text)
{
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    BOOST_TEST_REQUIRE(!ec, "not JSON: " << text);
    BOOST_TEST_REQUIRE(v.is_object(), "not a JSON object: " << text);
    return v.as_object();
}

std::string line_of(const std::string& out)
{
    BOOST_TEST_REQUIRE(out.ends_with("\n"));
    return out.substr(0, out.size() - 1);
}

const std::vector<std::string> all_algs{"HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256",
                                        "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"};

// Forged tokens for the attack corpus: verified at this instant with forge.key.
constexpr std::int64_t now = 1'700'000'000;
const std::string now_arg = std::to_string(now);
const std::string valid_claims = R"({"sub":"alice","iss":"https://auth.example","exp":1700000600})";

std::string forge(std::string_view header, std::string_view payload)
{
    return test::forge(header, payload, test::hs256_key());
}

std::string forge_claims(std::string_view payload)
{
    return forge(R"({"alg":"HS256","typ":"JWT"})", payload);
}

/// `verify` of a forged HS256 token, pinned to HS256, forge.key, and the clock above.
std::string hs256_refusal(const std::string& token, std::vector<std::string> extra = {})
{
    std::vector<std::string> args{"verify", "--alg", "HS256", "--key", "forge.key", "--now", now_arg};
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(token);
    return refusal(args);
}

} // namespace

BOOST_AUTO_TEST_SUITE(cli)

BOOST_AUTO_TEST_CASE(every_algorithm_signs_decodes_and_verifies)
{
    for (const auto& alg : all_algs) {
        BOOST_TEST_CONTEXT(alg)
        {
            const auto priv = workspace::get().key(alg, "private").string();
            const auto pub = workspace::get().key(alg, "public").string();
            const auto other = alg.starts_with("HS") ? workspace::get().key(alg, "other").string()
                                                     : workspace::get().key(alg, "other-public").string();
            const auto signed_ = run({"sign", "--alg", alg, "--key", priv, "--kid", "k1", "--ttl", "600", "--sub",
                                      "user-7", "--iss", "https://auth.example", "--aud", "api", "--claims",
                                      R"({"role":"admin"})"});
            BOOST_TEST_REQUIRE(signed_.status == 0, signed_.err);
            const std::string token = line_of(signed_.out);

            const auto decoded = run({"decode", "--json", token});
            BOOST_TEST_REQUIRE(decoded.status == 0);
            const auto json = parse_object(decoded.out);
            BOOST_TEST(json.size() == 3u);
            BOOST_TEST(json.at("header").at("alg").as_string() == alg);
            BOOST_TEST(json.at("header").at("kid").as_string() == "k1");
            const auto& payload = json.at("payload").as_object();
            BOOST_TEST(payload.at("sub").as_string() == "user-7");
            BOOST_TEST(payload.at("role").as_string() == "admin");
            BOOST_TEST(payload.at("exp").as_int64() - payload.at("iat").as_int64() == 600);
            BOOST_TEST(payload.at("jti").as_string().size() == 43u);
            BOOST_TEST(json.at("signature_bytes").as_int64() > 0);

            const auto verified = run({"verify", "--json", "--alg", alg, "--key", pub, "--iss",
                                       "https://auth.example", "--aud", "api", token});
            BOOST_TEST_REQUIRE(verified.status == 0, verified.err);
            BOOST_TEST(parse_object(verified.out) == payload);
            // From stdin, as a header value.
            BOOST_TEST(run({"verify", "--alg", alg, "--key", pub, "--aud", "api", "-"}, "  Bearer " + token + "\r\n")
                           .status == 0);
            // The private key verifies too (its public half is used).
            BOOST_TEST(run({"verify", "--alg", alg, "--key", priv, "--aud", "api", token}).status == 0);
            // A token for another audience, or for an audience the verifier does not name.
            BOOST_TEST(refusal({"verify", "--alg", alg, "--key", pub, "--aud", "billing", token}) == "wrong_audience");
            BOOST_TEST(refusal({"verify", "--alg", alg, "--key", pub, token}) == "wrong_audience");

            BOOST_TEST(refusal({"verify", "--alg", alg, "--key", other, "--aud", "api", token}) == "bad_signature");
            std::string tampered = token;
            const auto at = tampered.find('.') + 5;
            tampered[at] = tampered[at] == 'A' ? 'B' : 'A';
            BOOST_TEST(refusal({"verify", "--alg", alg, "--key", pub, "--aud", "api", tampered}) == "bad_signature");
        }
    }
}

BOOST_AUTO_TEST_CASE(jwk_and_jwks_keys)
{
    const auto& ws = workspace::get();
    // A JWK private key (made by tessera from the PEM) signs; a JWK Set with kids verifies.
    auto priv = jwt::private_key<jwt::es256>::from_pem(read_all(ws.key("ES256", "private")), "key-a").value();
    auto other = jwt::private_key<jwt::es256>::from_pem(read_all(ws.key("ES256", "other")), "key-b").value();
    auto a = priv.public_key().to_jwk();
    a["kid"] = "key-a";
    auto b = other.public_key().to_jwk();
    b["kid"] = "key-b";
    write_file(ws.file("a.jwk"), boost::json::serialize(a));
    write_file(ws.file("set.jwks"), boost::json::serialize(jwt::key_set{}.add(a).add(b).json()));

    const auto token = line_of(run({"sign", "--alg", "ES256", "--key", ws.key("ES256", "private").string(), "--kid",
                                    "key-a", "--ttl", "60"})
                                   .out);
    BOOST_TEST(run({"verify", "--alg", "ES256", "--jwks", "set.jwks", token}).status == 0);
    BOOST_TEST(run({"verify", "--alg", "ES256", "--key", "a.jwk", token}).status == 0);
    // The right kid on a signature made by the other key of the set.
    const auto impostor = line_of(run({"sign", "--alg", "ES256", "--key", ws.key("ES256", "other").string(),
                                       "--kid", "key-a", "--ttl", "60"})
                                      .out);
    BOOST_TEST(refusal({"verify", "--alg", "ES256", "--jwks", "set.jwks", impostor}) == "bad_signature");
    // kids that are not in the set, however they look, simply do not match.
    for (std::string kid : {"key-c", "../../etc/passwd", "' OR '1'='1' --", "key-a\\u0000", "KEY-A"}) {
        const auto t = line_of(run({"sign", "--alg", "ES256", "--key", ws.key("ES256", "private").string(), "--kid",
                                    kid, "--ttl", "60"})
                                   .out);
        BOOST_TEST(refusal({"verify", "--alg", "ES256", "--jwks", "set.jwks", t}) == "unknown_key", kid);
    }
    // A set whose only key says RS256, against a verifier pinned to PS256.
    auto rsa = jwt::private_key<jwt::rs256>::from_pem(read_all(ws.key("RS256", "private")), "rsa-1").value();
    auto rsa_jwk = rsa.public_key().to_jwk();
    rsa_jwk["kid"] = "rsa-1";
    write_file(ws.file("rsa.jwks"), boost::json::serialize(jwt::key_set{}.add(rsa_jwk).json()));
    const auto ps = line_of(run({"sign", "--alg", "PS256", "--key", ws.key("PS256", "private").string(), "--kid",
                                 "rsa-1", "--ttl", "60"})
                                .out);
    BOOST_TEST(refusal({"verify", "--alg", "PS256", "--jwks", "rsa.jwks", ps}) == "algorithm_mismatch");
}

BOOST_AUTO_TEST_CASE(attack_corpus_is_refused_by_name)
{
    const std::string claims = valid_claims;
    BOOST_TEST(run({"verify", "--alg", "HS256", "--key", "forge.key", "--now", now_arg, forge_claims(claims)})
                   .status == 0);

    for (std::string alg : {"none", "None", "NONE"}) {
        const auto header = R"({"alg":")" + alg + R"(","typ":"JWT"})";
        BOOST_TEST(hs256_refusal(tessera::base64url::encode(header) + "." + tessera::base64url::encode(claims) +
                                 ".") == "unsupported_algorithm");
        BOOST_TEST(hs256_refusal(forge(header, claims)) == "unsupported_algorithm");
    }
    // Algorithm confusion: an HS256 token MACed with the RSA public key's PEM, against RS256.
    {
        const auto pem = read_all(workspace::get().key("RS256", "public"));
        auto pem_key = jwt::hmac_key<jwt::hs256>::from_secret(tessera::secret::from_text(pem)).value();
        const auto token = test::forge(R"({"alg":"HS256","typ":"JWT"})", claims, pem_key);
        BOOST_TEST(refusal({"verify", "--alg", "RS256", "--key", workspace::get().key("RS256", "public").string(),
                            "--now", now_arg, token}) == "algorithm_mismatch");
    }
    // ECDSA: r = s = 0 (CVE-2022-21449), r >= n, and a DER signature made by openssl itself.
    {
        const auto& ws = workspace::get();
        const std::string input = tessera::base64url::encode(R"({"alg":"ES256","typ":"JWT"})") + "." +
                                  tessera::base64url::encode(claims);
        const auto es256 = [&](const std::vector<std::uint8_t>& sig) {
            return refusal({"verify", "--alg", "ES256", "--key", ws.key("ES256", "public").string(), "--now",
                            now_arg, input + "." + tessera::base64url::encode(sig)});
        };
        BOOST_TEST(es256(std::vector<std::uint8_t>(64, 0)) == "bad_signature");
        std::vector<std::uint8_t> r_too_big(64, 0xff);
        r_too_big[63] = 1;
        BOOST_TEST(es256(r_too_big) == "bad_signature");
        write_file(ws.file("input"), input);
        ws.shell("openssl dgst -sha256 -sign ES256.private -out input.der input");
        const auto der = read_all(ws.file("input.der"));
        BOOST_TEST(es256({der.begin(), der.end()}) == "bad_signature");
        // A JOSE r||s signature from the same key verifies: the refusal is about the form alone.
        const std::string good = line_of(run({"sign", "--alg", "ES256", "--key", ws.key("ES256", "private").string(),
                                              "--now", now_arg, "--ttl", "60"})
                                             .out);
        BOOST_TEST(run({"verify", "--alg", "ES256", "--key", ws.key("ES256", "public").string(), "--now", now_arg,
                        good})
                       .status == 0);
    }
    const auto token = forge_claims(claims);
    const auto dot1 = token.find('.'), dot2 = token.rfind('.');
    BOOST_TEST(hs256_refusal(token.substr(0, dot2 + 1)) == "malformed");                        // stripped signature
    BOOST_TEST(hs256_refusal(token.substr(0, dot1) + "=" + token.substr(dot1)) == "malformed"); // padding
    BOOST_TEST(hs256_refusal(token.substr(0, dot1) + " " + token.substr(dot1)) == "malformed"); // space
    BOOST_TEST(hs256_refusal(test::with_char(token, dot1 + 2, '+')) == "malformed");
    BOOST_TEST(hs256_refusal(test::with_char(token, dot1 + 2, '/')) == "malformed");
    BOOST_TEST(hs256_refusal(token.substr(0, dot2)) == "malformed");        // two parts
    BOOST_TEST(hs256_refusal(token + "." + token.substr(dot2 + 1)) == "malformed"); // four parts
    // 1 MiB, through stdin.
    BOOST_TEST(refusal({"verify", "--alg", "HS256", "--key", "forge.key"}, token + std::string(1 << 20, 'A')) ==
               "token_too_large");
    // 10,000 levels of nesting are refused by size before any parsing; 2,000 by depth.
    BOOST_TEST(hs256_refusal(forge_claims(std::string(10'000, '[') + std::string(10'000, ']'))) == "token_too_large");
    BOOST_TEST(hs256_refusal(forge_claims(std::string(2'000, '[') + std::string(2'000, ']'))) == "malformed");
    BOOST_TEST(hs256_refusal(forge_claims(R"({"exp":1700000600,"a":)" + std::string(2'000, '[') +
                                          std::string(2'000, ']') + "}")) == "malformed");
    BOOST_TEST(hs256_refusal(forge_claims(R"({"sub":"a","exp":1700000600,"sub":"b")" +
                                          std::string{"}"})) == "malformed");
    BOOST_TEST(hs256_refusal(forge(R"({"alg":"HS256","alg":"none"})", claims)) == "malformed");
    BOOST_TEST(hs256_refusal(forge_claims(R"({"exp":1700000600,"exp":1900000000})")) == "malformed");
    BOOST_TEST(hs256_refusal(forge(R"({"alg":"HS256","crit":["exp"]})", claims)) == "malformed");
    BOOST_TEST(hs256_refusal(forge_claims(R"({"sub":"alice","exp":"1700000600"})")) == "malformed");
    BOOST_TEST(hs256_refusal(forge_claims(R"({"sub":"alice","exp":1699999000})")) == "expired");
    BOOST_TEST(hs256_refusal(forge_claims(R"({"exp":1700000600,"nbf":1700000300})")) == "not_yet_valid");
    BOOST_TEST(hs256_refusal(token, {"--iss", "https://other.example"}) == "wrong_issuer");
    BOOST_TEST(hs256_refusal(token, {"--aud", "billing"}) == "missing_claim"); // the token names no audience
    BOOST_TEST(hs256_refusal(forge_claims(R"({"aud":["api","web"],"exp":1700000600})"), {"--aud", "billing"}) ==
               "wrong_audience");
    BOOST_TEST(hs256_refusal(token, {"--typ", "at+jwt"}) == "wrong_type");
    BOOST_TEST(hs256_refusal(token, {"--require", "jti"}) == "missing_claim");
    // The leeway moves the boundary, and only by what is asked.
    const auto just_expired = forge_claims(R"({"exp":1699999990})");
    BOOST_TEST(run({"verify", "--alg", "HS256", "--key", "forge.key", "--now", now_arg, just_expired}).status == 0);
    BOOST_TEST(hs256_refusal(just_expired, {"--leeway", "5"}) == "expired");
}

BOOST_AUTO_TEST_CASE(weak_keys_and_usage_errors_exit_2)
{
    const auto& ws = workspace::get();
    write_file(ws.file("short.key"), std::string(16, 'k'));
    const auto weak = run({"sign", "--alg", "HS256", "--key", "short.key"});
    BOOST_TEST(weak.status == 2);
    BOOST_TEST(weak.err.find("weak_key") != std::string::npos, weak.err);
    const auto token = forge_claims(valid_claims);

    struct usage_case {
        std::vector<std::string> args;
        std::string_view says;
    };
    const std::vector<usage_case> cases{
        {{}, "usage:"},
        {{"frobnicate"}, "unknown command frobnicate"},
        {{"decode", "--bogus", token}, "unknown option --bogus"},
        {{"verify", "--key", "forge.key", token}, "verify needs --alg"},
        {{"verify", "--alg", "HS256", token}, "exactly one of --key and --jwks"},
        {{"verify", "--alg", "HS256", "--key", "forge.key", "--jwks", "x", token}, "exactly one of --key and --jwks"},
        {{"verify", "--alg", "HS999", "--key", "forge.key", token}, "unknown algorithm HS999"},
        {{"verify", "--alg", "HS256", "--key", "missing.key", token}, "cannot read key file missing.key"},
        {{"verify", "--alg", "HS256", "--key", ".", token}, "cannot read key file ."},
        {{"verify", "--alg", "HS256", "--jwks", "forge.key", token}, "cannot use JWK Set forge.key"},
        {{"verify", "--alg", "HS256", "--key", "forge.key", "--leeway", "soon", token}, "--leeway must be"},
        {{"verify", "--alg", "HS256", "--key", "forge.key", "--now", "-1", token}, "--now must be"},
        {{"verify", "--alg", "HS256", "--key", "forge.key", "--typ", "JWT", "--typ", "x", token}, "given twice"},
        {{"verify", "--alg", "HS256", "--key", "forge.key", token, token}, "unexpected argument"},
        {{"verify", "--alg", "RS256", "--key", "forge.key", token}, "cannot use key file forge.key: invalid_key"},
        {{"sign", "--alg", "HS256"}, "sign needs --alg and --key"},
        {{"sign", "--alg", "HS256", "--key", "forge.key", "--claims", "[1]"}, "--claims is not a JSON object"},
        {{"sign", "--alg", "HS256", "--key", "forge.key", "--claims", "{}", "--claims-file", "x"}, "not both"},
        {{"sign", "--alg", "HS256", "--key", "forge.key", "--claims-file", "nope.json"}, "cannot read claims file"},
        {{"sign", "--alg", "HS256", "--key", "forge.key", "--ttl"}, "--ttl needs a value"},
        {{"sign", "--alg", "HS256", "--key", "forge.key", "--ttl", "-5"}, "--ttl must be"},
        {{"sign", "--alg", "HS256", "--key", "forge.key", "--json"}, "unknown option --json"},
        {{"sign", "--alg", "ES256", "--key", ws.key("ES256", "public").string()}, "invalid_key"},
    };
    for (const auto& c : cases) {
        const auto r = run(c.args);
        BOOST_TEST_CONTEXT(c.says)
        {
            BOOST_TEST(r.status == 2);
            BOOST_TEST(r.out.empty());
            BOOST_TEST(r.err.find(c.says) != std::string::npos, r.err);
            // One line naming the problem (the usage text itself aside).
            if (!c.args.empty())
                BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1);
        }
    }
    const auto help = run({"--help"});
    BOOST_TEST(help.status == 0);
    BOOST_TEST(help.out.find("tessera-jwt time") != std::string::npos);
    const auto version = run({"--version"});
    BOOST_TEST(version.status == 0);
    BOOST_TEST(version.out == "tessera-jwt " + std::string{tessera::version_string} + "\n");
}

BOOST_AUTO_TEST_CASE(sign_options)
{
    const auto& ws = workspace::get();
    write_file(ws.file("claims.json"), R"({"jti":"fixed-id","scope":["read","write"]})");
    const auto token = line_of(run({"sign", "--alg", "HS256", "--key", "forge.key", "--claims-file", "claims.json",
                                    "--now", "1700000000", "--ttl", "900", "--sub", "bob"})
                                   .out);
    const auto payload = parse_object(run({"decode", "--json", token}).out).at("payload").as_object();
    BOOST_TEST(payload.at("jti").as_string() == "fixed-id");
    BOOST_TEST(payload.at("scope").as_array().size() == 2u);
    BOOST_TEST(payload.at("iat").as_int64() == 1700000000);
    BOOST_TEST(payload.at("exp").as_int64() == 1700000900);
    BOOST_TEST(payload.at("sub").as_string() == "bob");
    // Without --ttl there is no exp, and verify requires one.
    const auto forever = line_of(run({"sign", "--alg", "HS256", "--key", "forge.key"}).out);
    BOOST_TEST(refusal({"verify", "--alg", "HS256", "--key", "forge.key", forever}) == "missing_claim");
    // A key file that starts with '{' but is no JWK is an HMAC secret like any other.
    write_file(ws.file("brace.key"), "{" + std::string(40, 'x'));
    const auto braced = line_of(run({"sign", "--alg", "HS256", "--key", "brace.key", "--ttl", "60"}).out);
    BOOST_TEST(run({"verify", "--alg", "HS256", "--key", "brace.key", braced}).status == 0);
}

BOOST_AUTO_TEST_CASE(decode_human_output)
{
    const auto token = line_of(run({"sign", "--alg", "HS256", "--key", "forge.key", "--ttl", "843", "--sub", "alice"}).out);
    const auto r = run({"decode", token});
    BOOST_TEST_REQUIRE(r.status == 0);
    BOOST_TEST(r.out.starts_with("signature NOT verified"));
    BOOST_TEST(r.out.find("\"sub\": \"alice\"") != std::string::npos, r.out);
    BOOST_TEST(r.out.find("\"alg\": \"HS256\"") != std::string::npos);
    // "expires in 14m 03s" (or 14m 02s if a second passed between sign and decode).
    BOOST_TEST(r.out.find("expires in 14m 0") != std::string::npos, r.out);
    BOOST_TEST(r.out.find("issued ") != std::string::npos);
    BOOST_TEST(r.out.find('\033') == std::string::npos); // not a terminal: no colour

    const auto old = forge_claims(R"({"exp":1700000000,"iat":1699990000})");
    const auto o = run({"decode", old});
    BOOST_TEST(o.status == 0); // decoding never judges
    BOOST_TEST(o.out.find("1700000000  2023-11-14T22:13:20Z  expired ") != std::string::npos, o.out);
    BOOST_TEST(o.out.find(" ago\n") != std::string::npos);
    // A payload that is not JSON is shown, escaped, and refused as a JWT.
    const auto binary = forge(R"({"alg":"HS256"})", std::string{"\x01\xff\"x", 4});
    const auto b = run({"decode", binary});
    BOOST_TEST(b.status == 1);
    BOOST_TEST(b.out.find("\\x01\\xff\"x") != std::string::npos, b.out);
    BOOST_TEST(b.err == "error: malformed\n");
    BOOST_TEST(refusal({"decode", "--json", binary}) == "malformed");
}

BOOST_AUTO_TEST_CASE(colour_only_on_a_terminal_without_no_color)
{
    const auto token = forge_claims(valid_claims);
    const auto& ws = workspace::get();
    // `script` gives the program a terminal; its output is captured in a file.
    const auto on_tty = [&](const std::string& env) {
        const std::string inner = env + " " + quote(TESSERA_JWT_PATH) + " decode " + token;
        ws.shell("script -qec " + quote(inner) + " /dev/null < /dev/null > tty.out");
        return read_all(ws.file("tty.out"));
    };
    BOOST_TEST(on_tty("env -u NO_COLOR").find("\033[") != std::string::npos);
    BOOST_TEST(on_tty("env NO_COLOR=1").find("\033[") == std::string::npos);
    BOOST_TEST(on_tty("env NO_COLOR=").find("\033[") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(hostile_input_never_crashes_or_hangs)
{
    std::string junk(64 * 1024, '\0');
    tessera::random_bytes(std::span{reinterpret_cast<std::uint8_t*>(junk.data()), junk.size()});
    const std::vector<std::string> verify{"verify", "--alg", "HS256", "--key", "forge.key"};
    for (const auto& input : {std::string{}, std::string{"\n"}, junk, std::string(10'000'000, 'A') + "\n",
                              std::string(10'000'000, '.'), std::string{"Bearer "}, std::string{"a.b.c"}}) {
        BOOST_TEST_CONTEXT("input of " << input.size() << " bytes")
        {
            const auto d = run({"decode"}, input);
            BOOST_TEST(d.status == 1);
            BOOST_TEST(d.err.starts_with("error: "), d.err);
            const auto dj = run({"decode", "--json", "-"}, input);
            BOOST_TEST(dj.status == 1);
            BOOST_TEST(dj.out.empty());
            const auto v = run(verify, input);
            BOOST_TEST(v.status == 1);
            BOOST_TEST(v.err.starts_with("error: "), v.err);
        }
    }
    BOOST_TEST(refusal({"decode"}, "") == "malformed");
    BOOST_TEST(refusal(verify, std::string(10'000'000, 'A')) == "token_too_large");
}

BOOST_AUTO_TEST_CASE(time_converts_both_ways)
{
    struct known {
        std::string iso;
        std::int64_t epoch;
    };
    const std::vector<known> table{
        {"1970-01-01T00:00:00Z", 0},
        {"2000-02-29T00:00:00Z", 951782400},  // leap year (divisible by 400)
        {"2024-02-29T12:00:00Z", 1709208000}, // leap year
        {"2038-01-19T03:14:08Z", 2147483648}, // past 32-bit time_t
        {"9999-12-31T23:59:59Z", 253402300799},
    };
    for (const auto& k : table) {
        BOOST_TEST_CONTEXT(k.iso)
        {
            const auto from_epoch = run({"time", std::to_string(k.epoch)});
            BOOST_TEST_REQUIRE(from_epoch.status == 0);
            BOOST_TEST(from_epoch.out.find("epoch     " + std::to_string(k.epoch) + "\n") != std::string::npos);
            BOOST_TEST(from_epoch.out.find("iso-8601  " + k.iso + "\n") != std::string::npos, from_epoch.out);
            BOOST_TEST(from_epoch.out.find("relative  ") != std::string::npos);
            const auto from_iso = run({"time", k.iso});
            BOOST_TEST(from_iso.status == 0);
            BOOST_TEST(from_iso.out == from_epoch.out);
        }
    }
    // Other spellings of one instant.
    for (std::string spelling : {"2024-02-29T13:30:00+01:30", "2024-02-29 12:00:00Z", "2024-02-29T12:00Z",
                                 "2024-02-29T12:00:00.999Z", "2024-02-29T07:00:00-0500"})
        BOOST_TEST(run({"time", spelling}).out.find("epoch     1709208000\n") != std::string::npos, spelling);
    BOOST_TEST(run({"time", "2024-02-29"}).out.find("epoch     1709164800\n") != std::string::npos);
    // "now", and no argument at all, are the current time.
    const auto before = tessera::system_clock{}.now().time_since_epoch().count();
    for (const auto& args : {std::vector<std::string>{"time"}, std::vector<std::string>{"time", "now"}}) {
        const auto r = run(args);
        BOOST_TEST(r.status == 0);
        const auto epoch = std::stoll(r.out.substr(r.out.find_first_of("0123456789")));
        BOOST_TEST(epoch >= before);
        BOOST_TEST(epoch <= before + 60);
        const bool recent = r.out.find("relative  now\n") != std::string::npos ||
                            r.out.find("s ago\n") != std::string::npos;
        BOOST_TEST(recent, r.out);
    }
    BOOST_TEST(run({"time", "1700000600"}).out.find("relative  ") != std::string::npos);
    // Not an instant tessera can hold: exit 1 with the error's name.
    for (std::string bad : {"-1", "-1700000000", "253402300800", "99999999999999999999", "2023-02-29", "2100-02-29",
                            "2024-13-01", "2024-02-29T24:00:00Z", "2024-02-29T12:00:60Z", "2024-02-29T12:00:00",
                            "1969-12-31T23:59:59Z", "tomorrow", "", "1700000000.5", "0x10", "2024-02-29T12:00:00Zjunk"})
        BOOST_TEST(refusal({"time", bad}) == "malformed", bad);
}

BOOST_AUTO_TEST_SUITE_END()
