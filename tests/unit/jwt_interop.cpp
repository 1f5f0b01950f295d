// SPDX-License-Identifier: BSL-1.0
// Interop with two independent implementations, both ways, for every
// algorithm: panva's jose (from the npm registry, run with node) and PyJWT
// (Debian's python3-jwt). Tokens tessera signs verify in the peer, tokens the
// peer signs verify in tessera, and tampered ones fail in both.

#include "../data/rfc_vectors.hpp"
#include "jwt_support.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>

#ifndef TESSERA_INTEROP_DIR
#error "TESSERA_INTEROP_DIR must name tests/interop"
#endif

using test::outcome;

namespace {

using algorithms = std::tuple<jwt::hs256, jwt::hs384, jwt::hs512, jwt::rs256, jwt::rs384, jwt::rs512, jwt::ps256,
                              jwt::ps384, jwt::ps512, jwt::es256, jwt::es384, jwt::es512, jwt::eddsa>;

constexpr std::string_view issuer = "https://auth.example";
constexpr std::string_view audience = "interop";
constexpr std::string_view peer_subject = "user-7";

/// One algorithm's keys, as tessera uses them and as the job file hands them to the peer.
struct job_case {
    std::string alg;
    boost::json::object json;
    std::function<tessera::result<jwt::verified_claims>(std::string_view)> verify;
};

template <class Alg>
job_case make_case(tessera::time_point when)
{
    jwt::verify_options options;
    options.issuers = {std::string{issuer}};
    options.audiences = {std::string{audience}};

    boost::json::object json;
    json["alg"] = boost::json::string_view{Alg::name.data(), Alg::name.size()};
    auto sign_with = [&](const auto& key) {
        return *jwt::signer<Alg>{key}.sign(jwt::claims{}
                                               .subject(peer_subject)
                                               .issuer(issuer)
                                               .audience(audience)
                                               .lifetime(when, std::chrono::minutes{10})
                                               .set("role", "tessera"));
    };
    std::string token;
    std::function<tessera::result<jwt::verified_claims>(std::string_view)> verify;
    if constexpr (jwt::symmetric_algorithm<Alg>) {
        std::vector<std::uint8_t> bytes(Alg::hash_bytes);
        tessera::random_bytes(bytes);
        auto key = jwt::hmac_key<Alg>::from_bytes(bytes).value();
        json["secret"] = tessera::base64url::encode(bytes);
        token = sign_with(key);
        verify = [v = jwt::verifier<Alg>{key, options}](std::string_view t) { return v.verify(t); };
    } else {
        auto key = [] {
            if constexpr (Alg::family == jwt::algorithm_family::rsa_pkcs1 ||
                          Alg::family == jwt::algorithm_family::rsa_pss)
                return jwt::private_key<Alg>::from_jwk(vectors::a2_jwk).value();
            else
                return jwt::private_key<Alg>::generate();
        }();
        json["private_pem"] = key.to_pem();
        json["public_pem"] = key.public_key().to_pem();
        token = sign_with(key);
        verify = [v = jwt::verifier<Alg>{key.public_key(), options}](std::string_view t) { return v.verify(t); };
    }
    std::string tampered = token;
    const auto at = tampered.find('.') + 4;
    tampered[at] = tampered[at] == 'A' ? 'B' : 'A';
    json["token"] = token;
    json["tampered"] = tampered;
    return {std::string{Alg::name}, std::move(json), std::move(verify)};
}

std::vector<job_case> make_cases(tessera::time_point when)
{
    return std::apply([&](auto... alg) { return std::vector<job_case>{make_case<decltype(alg)>(when)...}; },
                      algorithms{});
}

std::string read_all(const std::filesystem::path& path)
{
    std::ifstream in{path, std::ios::binary};
    return {std::istreambuf_iterator<char>{in}, {}};
}

/// Runs `command` on the job and returns its parsed JSON report.
boost::json::object run_peer(const std::string& command, const std::vector<job_case>& cases, tessera::time_point when)
{
    const auto dir = std::filesystem::temp_directory_path() / ("tessera-interop-" + tessera::random_id(8));
    std::filesystem::create_directories(dir);
    boost::json::array job_cases;
    for (const auto& c : cases)
        job_cases.push_back(c.json);
    boost::json::object job{{"now", when.time_since_epoch().count()},
                            {"iss", issuer},
                            {"aud", audience},
                            {"sub", peer_subject},
                            {"cases", std::move(job_cases)}};
    std::ofstream{dir / "job.json"} << boost::json::serialize(job);

    const std::string full = command + " '" + (dir / "job.json").string() + "' > '" + (dir / "out.json").string() +
                             "' 2> '" + (dir / "err.txt").string() + "'";
    const int status = std::system(full.c_str());
    const std::string out = read_all(dir / "out.json"), err = read_all(dir / "err.txt");
    std::filesystem::remove_all(dir);
    BOOST_TEST_REQUIRE(status == 0, "peer failed: " << command << "\n" << err);
    boost::system::error_code ec;
    auto report = boost::json::parse(out, ec);
    BOOST_TEST_REQUIRE(!ec, "peer printed no JSON: " << out << err);
    return report.as_object();
}

void check_both_ways(const std::string& command)
{
    const auto started = tessera::system_clock{}.now();
    const auto cases = make_cases(started);
    const auto report = run_peer(command, cases, started);
    const auto& results = report.at("results").as_array();
    BOOST_TEST_REQUIRE(results.size() == cases.size());
    for (std::size_t i = 0; i < cases.size(); ++i) {
        const auto& r = results[i].as_object();
        const auto& c = cases[i];
        BOOST_TEST_CONTEXT(report.at("peer").as_string().c_str() << " " << c.alg)
        {
            BOOST_TEST(r.at("alg").as_string() == c.alg);
            // tessera -> peer
            BOOST_TEST(r.at("verified").as_bool(), "peer refused tessera's token: " << r.at("error"));
            BOOST_TEST(r.at("tampered_rejected").as_bool());
            // peer -> tessera
            const std::string token{r.at("token").as_string()};
            auto claims = c.verify(token);
            BOOST_TEST_REQUIRE(outcome(claims) == "ok");
            BOOST_TEST(claims->subject() == peer_subject);
            BOOST_TEST(claims->header().alg == c.alg);
            std::string tampered = token;
            const auto at = tampered.find('.') + 4;
            tampered[at] = tampered[at] == 'A' ? 'B' : 'A';
            BOOST_TEST(outcome(c.verify(tampered)) == "bad_signature");
        }
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(jwt_interop)

BOOST_AUTO_TEST_CASE(panva_jose)
{
    const std::string dir = TESSERA_INTEROP_DIR;
    BOOST_TEST_REQUIRE(std::filesystem::exists(dir + "/node_modules/jose/package.json"),
                       "jose is not installed: run ./dev deps");
    check_both_ways("node '" + dir + "/jose_peer.mjs'");
}

BOOST_AUTO_TEST_CASE(pyjwt)
{
    // Debian's interpreter, where python3-jwt is installed (not one earlier on PATH).
    check_both_ways("/usr/bin/python3 '" + std::string{TESSERA_INTEROP_DIR} + "/pyjwt_peer.py'");
}

BOOST_AUTO_TEST_SUITE_END()
