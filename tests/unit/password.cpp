// SPDX-License-Identifier: BSL-1.0
// Argon2id hashing in PHC form, rehash detection, and throttled logins.

#include "store_fixtures.hpp"

#include <tessera/password/hash.hpp>
#include <tessera/password/throttle.hpp>

#include <boost/test/unit_test.hpp>

using namespace std::chrono_literals;
using test::must;
using test::outcome;

namespace {

// One hasher for the suite: each Argon2id hash at OWASP's cost takes real time.
const tessera::password_hasher& hasher()
{
    static const tessera::password_hasher h{};
    return h;
}

} // namespace

BOOST_AUTO_TEST_SUITE(password)

BOOST_AUTO_TEST_CASE(hash_and_verify_in_phc_form)
{
    const auto phc = hasher().hash("correct horse battery staple");
    BOOST_TEST(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    BOOST_TEST(hasher().verify("correct horse battery staple", phc));
    BOOST_TEST(!hasher().verify("correct horse battery stapl", phc));
    BOOST_TEST(!hasher().verify("", phc));
    BOOST_TEST(hasher().hash("same") != hasher().hash("same")); // salted
    BOOST_TEST(!hasher().needs_rehash(phc));
}

BOOST_AUTO_TEST_CASE(known_argon2id_vector)
{
    // Made with the reference implementation's CLI (Debian's argon2 package):
    //   echo -n password | argon2 somesalt -id -t 2 -m 10 -p 1 -e
    // tessera verifies hashes made elsewhere, at any cost within its bounds.
    const std::string phc = "$argon2id$v=19$m=1024,t=2,p=1$c29tZXNhbHQ$7FfsnA6vUe7qLpL/3Kqc3uR48ZJyFbUVt7jWZlf0Htk";
    BOOST_TEST(hasher().verify("password", phc));
    BOOST_TEST(!hasher().verify("Password", phc));
    BOOST_TEST(hasher().needs_rehash(phc));
    // One text per hash: the same bytes written another way (unused low bits set, padding, a space) are
    // not a hash tessera or the reference implementation writes, and never verify.
    for (std::string other : {phc.substr(0, phc.size() - 1) + "l", phc + "=", phc.substr(0, 40) + " " + phc.substr(40)})
        BOOST_TEST(!hasher().verify("password", other), other);
}

BOOST_AUTO_TEST_CASE(malformed_and_hostile_hashes_never_verify)
{
    for (std::string bad : {"", "plaintext", "$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
                            "$argon2id$v=16$m=19456,t=2,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
                            "$argon2id$v=19$m=99999999,t=2,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
                            "$argon2id$v=19$m=19456,t=100000,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAA",
                            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$", "$argon2id$v=19$m=19456,t=2,p=1$!!$AAAA"})
        BOOST_TEST(!hasher().verify("password", bad), bad);
    BOOST_TEST(!hasher().verify(std::string(tessera::max_password_size + 1, 'a'),
                                hasher().hash(std::string(tessera::max_password_size + 1, 'a'))));
}

BOOST_AUTO_TEST_CASE(costs_below_owasp_are_refused)
{
    BOOST_CHECK_THROW(tessera::password_hasher({.memory_kib = 4096}), tessera::error);
    BOOST_CHECK_THROW(tessera::password_hasher({.iterations = 1}), tessera::error);
    BOOST_CHECK_THROW(tessera::password_hasher({.parallelism = 0}), tessera::error);
}

BOOST_AUTO_TEST_CASE(throttle_after_n_failures_with_backoff)
{
    test::memory_fixture f;
    tessera::login_throttle throttle{f.store, {.free_attempts = 3, .window = 15min, .base_delay = 2s}, f.clock};
    for (int i = 0; i < 3; ++i) {
        BOOST_TEST(outcome(throttle.check("alice", "198.51.100.1")) == "ok");
        must(throttle.record_failure("alice", "198.51.100.1"));
    }
    // The N+1-th attempt inside the window.
    BOOST_TEST(outcome(throttle.check("alice", "198.51.100.1")) == "rate_limited");
    // The subject is throttled from every address, the address for every subject.
    BOOST_TEST(outcome(throttle.check("alice", "203.0.113.9")) == "rate_limited");
    BOOST_TEST(outcome(throttle.check("bob", "198.51.100.1")) == "rate_limited");
    BOOST_TEST(outcome(throttle.check("bob", "203.0.113.9")) == "ok");
    // Exponential, not permanent: 2 s, then 4 s.
    f.clock.advance(2s);
    BOOST_TEST(outcome(throttle.check("alice", "198.51.100.1")) == "ok");
    must(throttle.record_failure("alice", "198.51.100.1"));
    f.clock.advance(3s);
    BOOST_TEST(outcome(throttle.check("alice", "198.51.100.1")) == "rate_limited");
    f.clock.advance(1s);
    BOOST_TEST(outcome(throttle.check("alice", "198.51.100.1")) == "ok");
    // After the window, failures are forgotten.
    f.clock.advance(16min);
    must(throttle.record_failure("alice", "198.51.100.1"));
    BOOST_TEST(outcome(throttle.check("alice", "198.51.100.1")) == "ok");
}

BOOST_AUTO_TEST_CASE(login_check_in_the_order_that_leaks_least)
{
    test::memory_fixture f;
    tessera::login_throttle throttle{f.store, {.free_attempts = 2}, f.clock};
    const auto stored = hasher().hash("s3cret!");
    const std::optional<std::string_view> alice{stored};
    BOOST_TEST(outcome(tessera::check_password(hasher(), throttle, "alice", "ip1", "s3cret!", alice)) == "ok");
    BOOST_TEST(outcome(tessera::check_password(hasher(), throttle, "alice", "ip1", "wrong", alice)) ==
               "bad_credentials");
    // Unknown users fail the same way (after a dummy verification).
    BOOST_TEST(outcome(tessera::check_password(hasher(), throttle, "nobody", "ip2", "x", std::nullopt)) ==
               "bad_credentials");
    BOOST_TEST(outcome(tessera::check_password(hasher(), throttle, "alice", "ip3", "wrong", alice)) ==
               "bad_credentials");
    // Throttled: refused before the password is even looked at, right or wrong, and not counted again.
    const auto failures = must(f.store.counter("thr:s:alice"));
    BOOST_TEST(outcome(tessera::check_password(hasher(), throttle, "alice", "ip1", "s3cret!", alice)) ==
               "rate_limited");
    BOOST_TEST(outcome(tessera::check_password(hasher(), throttle, "alice", "ip1", "wrong", alice)) ==
               "rate_limited");
    BOOST_TEST(must(f.store.counter("thr:s:alice")) == failures);
}

// A password change checks the new password first (no Argon2 for one that is refused), then the current
// one as a login does (throttled, failures counted), and returns the new hash.
BOOST_AUTO_TEST_CASE(a_password_change_checks_both_passwords)
{
    test::memory_fixture f;
    tessera::login_throttle throttle{f.store, {.free_attempts = 2}, f.clock};
    const std::string current = "correct horse battery";
    const auto stored = hasher().hash(current);
    const auto change = [&](std::string_view old_password, std::string_view new_password,
                            tessera::password_rules rules = {}) {
        return tessera::change_password(hasher(), throttle, "alice", "ip1", old_password, stored, new_password, rules);
    };
    // Characters are code points: 14 of them refused, 15 accepted, however many bytes each takes.
    BOOST_TEST(tessera::password_length("\xc3\xa9t\xc3\xa9") == 3u);
    BOOST_TEST(outcome(change(current, "fourteen chars")) == "weak_password");
    BOOST_TEST(outcome(change(current, std::string(1025, 'x'))) == "weak_password"); // over max_password_size
    BOOST_TEST(outcome(change(current, current)) == "weak_password");
    BOOST_TEST(must(f.store.counter("thr:s:alice")) == 0); // nothing counted, nothing hashed
    BOOST_TEST(outcome(change(current, "short", {.min_length = 5})) == "ok"); // the rule is the caller's
    // A wrong current password is a failed login: counted, then throttled, right or wrong.
    BOOST_TEST(outcome(change("wrong horse", "a new long passphrase")) == "bad_credentials");
    BOOST_TEST(outcome(change("wrong horse", "a new long passphrase")) == "bad_credentials");
    BOOST_TEST(outcome(change(current, "a new long passphrase")) == "rate_limited");
    f.clock.advance(16min);
    const auto accented = std::string{"\xc3\xa9"} + "tait un mot de passe"; // 21 code points
    auto made = must(change(current, accented));
    BOOST_TEST(made.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    BOOST_TEST(hasher().verify(accented, made));
    BOOST_TEST(!hasher().verify(current, made));
}

BOOST_AUTO_TEST_SUITE_END()
