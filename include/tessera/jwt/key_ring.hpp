// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `key_ring<Alg>`: signing keys that rotate without logging anyone out.

    Each key of a ring is in one state:

    | state | signs | verifies | in `jwks()` |
    |---|---|---|---|
    | next | no | yes | yes |
    | primary (exactly one) | yes | yes | yes |
    | retired | no | yes, until its retention ends | yes |
    | revoked | no | no, at once | no (kept as a tombstone: it can never come back) |

    A key goes next → primary → retired → dropped; any key may be revoked. The
    ring enforces the timeline instead of documenting it:
    - a next key is promoted only once it has been published for
      `key_ring_options::propagation` (at least the longest time any verifier
      caches this ring's key set), so no verifier meets a token signed by a key
      it has not seen (`promote` answers `not_yet_valid` before);
    - a retired key verifies for `retention` (at least the longest access-token
      lifetime plus leeway; an authenticator built on the ring checks this);
    - a key's `kid` is its RFC 7638 thumbprint, computed here, never taken from a
      token or from the key given; `alg` is the ring's, one per ring;
    - a revoked key's thumbprint stays in the ring, so publishing it again is
      refused (`revoked`).

    Rotation on demand (`rotate`, `promote`, `retire`, `revoke`) or on a
    schedule (`maintain`, called from the application's timer). A change never
    blocks a reader: readers see the ring through an immutable copy (`contents`)
    that a change replaces whole, and `version()` tells them it did.

    Every change emits a security event (`key_published`, `key_promoted`,
    `key_retired`, `key_revoked`, `key_dropped`; scheme `"key_ring"`, the `kid`
    as handle) to the ring's `Events` sink.

    At rest a ring is one document (`seal`): its keys, states and instants sealed
    as one AEAD message under a `ring_sealing_key`, bound to its version and
    algorithm, and checked whole when opened (`unseal`). `persist_with` keeps
    each version before it is published (a file: ring_file.hpp; a fleet's shared
    store: fleet/key_ring.hpp), and `adopt` takes a newer version made elsewhere,
    never an older one.
*/

#include <tessera/core/base64url.hpp>
#include <tessera/core/clock.hpp>
#include <tessera/core/error.hpp>
#include <tessera/core/result.hpp>
#include <tessera/core/secret.hpp>
#include <tessera/detail/aead.hpp>
#include <tessera/detail/strict_json.hpp>
#include <tessera/events.hpp>
#include <tessera/jwt/algorithms.hpp>
#include <tessera/jwt/keys.hpp>
#include <tessera/jwt/signing_policy.hpp>
#include <tessera/jwt/sign.hpp>
#include <tessera/jwt/token.hpp>
#include <tessera/jwt/verify.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::inline v0::jwt {

/// Where a key of a ring is in its life.
enum class key_state : std::uint8_t {
    /// Published (verifies, in `jwks()`), not signing yet.
    next,
    /// Signs; exactly one key of a ring.
    primary,
    /// No longer signs; verifies until its retention ends.
    retired,
    /// Refused at once; only its `kid` is kept, so it can never come back.
    revoked,
};

/// The stable name of a key state, e.g. `"primary"`.
constexpr std::string_view to_string(key_state s) noexcept
{
    switch (s) {
    case key_state::next: return "next";
    case key_state::primary: return "primary";
    case key_state::retired: return "retired";
    case key_state::revoked: return "revoked";
    }
    return "unknown_state";
}

/// The timeline of a ring.
struct key_ring_options {
    /** How long a next key is published before it may sign: at least the longest time a verifier of
        this ring caches its key set (a remote key set's freshness plus its refresh), so every verifier
        holds a key before the first token it signed arrives.
    */
    std::chrono::seconds propagation{std::chrono::hours{1}};
    /** How long a retired key keeps verifying: at least the longest access-token lifetime plus the
        leeway of its verifiers (an authenticator on the ring refuses less).
    */
    std::chrono::seconds retention{std::chrono::hours{1}};
    /** `maintain` promotes a new key when the primary has signed this long (and publishes that key
        `propagation` earlier).
    */
    std::chrono::seconds rotate_every{std::chrono::hours{24 * 30}};
};

/// One key of a ring, as the ring lists it.
template <algorithm Alg>
struct ring_key {
    /// Its RFC 7638 thumbprint.
    std::string kid;
    key_state state = key_state::next;
    /// When it was published (became next).
    time_point published_at{};
    /// When it entered its current state.
    time_point changed_at{};
    /// The key; none for a revoked one.
    std::optional<signing_key_t<Alg>> key{};
};

/** What a ring holds at one version: immutable once published, shared by every reader that took it.
    Keys are listed in the order they were published.
*/
template <algorithm Alg>
struct ring_contents {
    /// Grows by one with every change; two instances of a fleet on one version hold the same keys.
    std::uint64_t version = 0;
    std::vector<ring_key<Alg>> keys;

    /// The key that signs.
    [[nodiscard]] const ring_key<Alg>& primary() const
    {
        for (const auto& k : keys)
            if (k.state == key_state::primary)
                return k;
        throw error{errc::wrong_key_state, "tessera: a key ring without a primary key"}; // unreachable by construction
    }

    /// The key `kid` names, or null.
    [[nodiscard]] const ring_key<Alg>* find(std::string_view kid) const noexcept
    {
        for (const auto& k : keys)
            if (k.kid == kid)
                return &k;
        return nullptr;
    }

    /** The keys that verify, as verification keys under their `kid`: the primary first (it signed
        most of the tokens a verifier meets), then the others from the newest.
    */
    [[nodiscard]] std::vector<verification_key_t<Alg>> verification_keys() const
    {
        std::vector<verification_key_t<Alg>> out;
        auto add = [&](const ring_key<Alg>& k) {
            if constexpr (symmetric_algorithm<Alg>)
                out.push_back(*k.key);
            else
                out.push_back(k.key->public_key());
        };
        add(primary());
        for (auto k = keys.rbegin(); k != keys.rend(); ++k)
            if (k->state != key_state::revoked && k->state != key_state::primary && k->key)
                add(*k);
        return out;
    }
};

/// What one call of `maintain` did.
struct maintenance {
    /// A next key was published (the primary's successor, `propagation` ahead of its rotation).
    bool published = false;
    /// A next key became the primary.
    bool promoted = false;
    /// Retired keys whose retention ended.
    std::size_t dropped = 0;
    /// Why nothing changed although something was due: the ring's persistence refused it (`persist_with`).
    std::error_code error{};
};

/** The key that seals a ring's keys at rest (a key-encryption key): 32 bytes the application keeps
    outside wherever the sealed ring is kept (an environment secret, a KMS), so that reading the
    store or the file gives no signing key.
*/
class ring_sealing_key {
public:
    /// The AEAD: AES-256-GCM (the default) or ChaCha20-Poly1305 (no AES instructions needed).
    enum class cipher { aes_256_gcm, chacha20_poly1305 };

    /// @return `weak_key` unless `key` is exactly 32 bytes.
    static result<ring_sealing_key> from_secret(secret key, cipher c = cipher::aes_256_gcm)
    {
        if (key.size() != 32)
            return fail(errc::weak_key);
        return ring_sealing_key{std::move(key), c};
    }

    /// A new random key.
    static ring_sealing_key generate(cipher c = cipher::aes_256_gcm)
    {
        Botan::secure_vector<std::uint8_t> bytes(32);
        random_bytes(bytes);
        return ring_sealing_key{secret{std::move(bytes)}, c};
    }

    [[nodiscard]] cipher algorithm() const noexcept { return cipher_; }
    /// `"A256GCM"` or `"C20P"`, as a sealed ring names it.
    [[nodiscard]] std::string_view name() const noexcept
    {
        return cipher_ == cipher::aes_256_gcm ? "A256GCM" : "C20P";
    }
    [[nodiscard]] std::string_view botan_name() const noexcept
    {
        return cipher_ == cipher::aes_256_gcm ? "AES-256/GCM" : "ChaCha20Poly1305";
    }
    [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept { return key_.reveal(); }

private:
    ring_sealing_key(secret key, cipher c) : key_(std::move(key)), cipher_(c) {}

    secret key_;
    cipher cipher_;
};

namespace detail {

/// What a sealed ring's AEAD binds: the format, the algorithm, the cipher and the version, so a
/// document relabelled with another version or algorithm does not open.
inline std::string ring_associated_data(std::string_view alg, std::string_view cipher, std::uint64_t version)
{
    return "tessera key ring 1\n" + std::string{alg} + "\n" + std::string{cipher} + "\n" + std::to_string(version);
}

inline std::string_view member_text(const boost::json::object& o, std::string_view name) noexcept
{
    const auto* v = o.if_contains(name);
    return v != nullptr && v->is_string() ? std::string_view{v->get_string().data(), v->get_string().size()}
                                          : std::string_view{};
}

} // namespace detail

/** Signing keys of one algorithm, rotating by `kid`.

    @code
    jwt::key_ring<jwt::es256> ring{{.propagation = 1h, .retention = 2h, .rotate_every = 24h * 30}};
    tessera::authenticator<tessera::stateless, jwt::key_ring<jwt::es256>, tessera::expiry_only> auth{ring, options};
    // from a timer, on one instance:
    ring.maintain(tessera::system_clock{}.now());
    // serve ring.jwks() at /.well-known/jwks.json, with ring.jwks_cache_control().
    @endcode

    @tparam Alg the one algorithm of every key of the ring.
    @tparam Events the sink of the ring's events (events.hpp).
    @par Thread Safety
    Every member function may be called from many threads at once; changes are serialised among
    themselves and never wait for readers, nor readers for them.
*/
template <algorithm Alg, class Events = no_events>
class key_ring {
public:
    using algorithm_type = Alg;
    using signing_key = signing_key_t<Alg>;
    using events_type = Events;

    /** A ring whose first key, `first`, is primary at once (nothing was signed before it, so there is
        nothing to propagate for).
        @throws tessera::error `invalid_configuration` for a timeline that cannot work.
    */
    key_ring(signing_key first, key_ring_options options = {}, time_point now = system_clock{}.now(),
             Events events = {})
        : options_(checked(options)), events_(std::move(events))
    {
        auto contents = std::make_shared<ring_contents<Alg>>();
        auto kid = first.thumbprint();
        contents->keys.push_back({kid, key_state::primary, now, now, first.with_kid(kid)});
        contents->version = 1;
        current_ = std::move(contents);
        version_.store(1, std::memory_order_release);
        emit(event_kind::key_published, now, kid);
        emit(event_kind::key_promoted, now, kid);
    }

    /// A ring whose first key is a new random one.
    explicit key_ring(key_ring_options options = {}, time_point now = system_clock{}.now(), Events events = {})
        : key_ring(signing_key::generate(), options, now, std::move(events))
    {
    }

    /** A ring holding `contents` as they are, version included (a ring unsealed from a file or a store).
        @throws tessera::error `wrong_key_state` for contents that break a ring's invariants (see `check`).
    */
    key_ring(std::shared_ptr<const ring_contents<Alg>> contents, key_ring_options options, Events events = {})
        : options_(checked(options)), events_(std::move(events))
    {
        if (!contents || !check(*contents))
            throw error{errc::wrong_key_state, "tessera: these key ring contents break its invariants"};
        version_.store(contents->version, std::memory_order_release);
        current_ = std::move(contents);
    }

    key_ring(const key_ring&) = delete;
    key_ring& operator=(const key_ring&) = delete;

    // ---- at rest ------------------------------------------------------------------------

    /** The ring as a document to keep in a file or a store: its version, its algorithm and cipher in
        clear, and every key — states, instants and material — sealed as one AEAD message under `kek`,
        bound to that version and algorithm. Readers of the document learn how many bytes the keys
        take, nothing else.
    */
    [[nodiscard]] std::string seal(const ring_sealing_key& kek) const { return seal(*contents(), kek); }

    /// `seal` of contents (those a persistence function is given, before they are published).
    [[nodiscard]] static std::string seal(const ring_contents<Alg>& contents, const ring_sealing_key& kek)
    {
        const auto* c = &contents;
        boost::json::array list;
        for (const auto& k : c->keys) {
            boost::json::object entry{{"kid", k.kid},
                                      {"state", to_string(k.state)},
                                      {"published", k.published_at.time_since_epoch().count()},
                                      {"changed", k.changed_at.time_since_epoch().count()}};
            if (k.key) {
                if constexpr (symmetric_algorithm<Alg>)
                    entry["key"] = base64url::encode(k.key->material().reveal());
                else
                    entry["key"] = k.key->to_pem();
            }
            list.push_back(std::move(entry));
        }
        auto plaintext = boost::json::serialize(boost::json::object{{"keys", std::move(list)}});
        const auto sealed = tessera::detail::aead_seal(
            kek.botan_name(), kek.bytes(), detail::ring_associated_data(Alg::name, kek.name(), c->version),
            std::span{reinterpret_cast<const std::uint8_t*>(plaintext.data()), plaintext.size()});
        Botan::secure_scrub_memory(plaintext.data(), plaintext.size());
        return boost::json::serialize(boost::json::object{{"format", "tessera key ring 1"},
                                                          {"alg", Alg::name},
                                                          {"cipher", kek.name()},
                                                          {"version", c->version},
                                                          {"sealed", base64url::encode(sealed)}});
    }

    /** The contents a document of `seal` holds, checked before anything of it is used.
        @return `malformed` for a document not of that shape; `algorithm_mismatch` for another
        algorithm's ring; `invalid_key` when it does not open under `kek` (another key, another cipher,
        a changed byte, a changed version) or a key in it does not load or is not the one its `kid`
        names; `wrong_key_state` for contents that break a ring's invariants.
    */
    [[nodiscard]] static result<std::shared_ptr<const ring_contents<Alg>>> unseal(std::string_view document,
                                                                                  const ring_sealing_key& kek)
    {
        auto outer = tessera::detail::parse_object(document);
        if (!outer || outer->size() != 5 || detail::member_text(*outer, "format") != "tessera key ring 1")
            return fail(errc::malformed);
        const auto* version = outer->if_contains("version");
        const auto sealed_text = detail::member_text(*outer, "sealed");
        if (version == nullptr || !version->is_number() || sealed_text.empty() ||
            detail::member_text(*outer, "cipher").empty())
            return fail(errc::malformed);
        boost::system::error_code ec;
        const auto number = version->to_number<std::uint64_t>(ec);
        if (ec || number == 0)
            return fail(errc::malformed);
        if (detail::member_text(*outer, "alg") != Alg::name)
            return fail(errc::algorithm_mismatch);
        if (detail::member_text(*outer, "cipher") != kek.name())
            return fail(errc::invalid_key);
        const auto sealed = base64url::decode(sealed_text);
        if (!sealed)
            return fail(errc::malformed);
        auto opened = tessera::detail::aead_open(kek.botan_name(), kek.bytes(),
                                                 detail::ring_associated_data(Alg::name, kek.name(), number), *sealed);
        if (!opened)
            return fail(errc::invalid_key);
        const std::string_view text{reinterpret_cast<const char*>(opened->data()), opened->size()};
        auto inner = tessera::detail::parse_object(text);
        if (!inner)
            return fail(errc::malformed);
        auto c = std::make_shared<ring_contents<Alg>>();
        c->version = number;
        auto loaded = read_keys(*inner, *c);
        if (!loaded)
            return fail(loaded.error());
        if (!check(*c))
            return fail(errc::wrong_key_state);
        return std::shared_ptr<const ring_contents<Alg>>{std::move(c)};
    }

    /** Takes `contents` (unsealed from the store or file another instance wrote) if they are newer than
        the ring's: true if taken, false if the ring holds that version or a later one (a ring never goes
        back). The change was told by the instance that made it; adopting it emits nothing.
        @return `wrong_key_state` for contents that break a ring's invariants.
    */
    result<bool> adopt(std::shared_ptr<const ring_contents<Alg>> contents)
    {
        if (!contents || !check(*contents))
            return fail(errc::wrong_key_state);
        std::lock_guard writing{write_};
        if (contents->version <= version())
            return false;
        {
            std::lock_guard lock{read_};
            current_ = contents;
        }
        version_.store(contents->version, std::memory_order_release);
        return true;
    }

    /// Keeps a version of the ring before it is published: `ok`, or the error that refuses the change.
    using persist_function = std::function<result<void>(const ring_contents<Alg>&)>;

    /** Keeps the ring as it is now with `persist` (seal it and write it to a file or a store), and
        every change from now on before anyone sees it: a change `persist` refuses is not made — the
        ring stays at its version, and the operation returns `persist`'s error (`maintain`: in
        `maintenance::error`). So a ring never signs with a key that a restart would lose.
        @return `persist`'s error for the ring as it is now (and it is not kept: call again).
    */
    result<void> persist_with(persist_function persist)
    {
        std::lock_guard writing{write_};
        if (auto kept = persist(*contents()); !kept)
            return kept;
        persist_ = std::move(persist);
        return {};
    }

    /** True when `c` keeps a ring's invariants: exactly one primary; unique kids; each live key's
        material present and its kid its thumbprint; no material kept for a revoked key; a version.
    */
    [[nodiscard]] static bool check(const ring_contents<Alg>& c)
    {
        std::size_t primaries = 0;
        for (std::size_t i = 0; i < c.keys.size(); ++i) {
            const auto& k = c.keys[i];
            for (std::size_t j = 0; j < i; ++j)
                if (c.keys[j].kid == k.kid)
                    return false;
            primaries += k.state == key_state::primary ? 1 : 0;
            if (k.state == key_state::revoked ? k.key.has_value() : (!k.key || k.key->thumbprint() != k.kid))
                return false;
            if (k.key && k.key->kid() != k.kid)
                return false;
        }
        return primaries == 1 && c.version > 0;
    }

    /** Adds `key` as the next key: published (it verifies, and `jwks()` lists it) but not signing.
        @return its `kid` (its thumbprint); `revoked` for a key this ring revoked, `wrong_key_state`
        for a key it holds already.
    */
    result<std::string> publish(const signing_key& key, time_point now)
    {
        auto kid = key.thumbprint();
        auto changed = change([&](ring_contents<Alg>& c, changes& out) -> result<void> {
            if (const auto* k = c.find(kid))
                return fail(k->state == key_state::revoked ? errc::revoked : errc::wrong_key_state);
            c.keys.push_back({kid, key_state::next, now, now, key.with_kid(kid)});
            out.push_back({event_kind::key_published, kid});
            return {};
        }, now);
        if (!changed)
            return fail(changed.error());
        return kid;
    }

    /// `publish` of a new random key.
    result<std::string> publish_new(time_point now) { return publish(signing_key::generate(), now); }

    /** Makes the next key `kid` the primary; the primary until now is retired.
        @return `unknown_key` for a kid the ring does not hold; `wrong_key_state` for a key that is
        not next; `not_yet_valid` before the key has been published for `propagation`.
    */
    result<void> promote(std::string_view kid, time_point now)
    {
        return change([&](ring_contents<Alg>& c, changes& out) { return promote_in(c, kid, now, out); }, now);
    }

    /** The rotation: the oldest next key that has propagated becomes the primary, and a new key is
        published in its place, so the ring is ready for the next rotation.
        @return the new primary's `kid`; `not_yet_valid` when no next key has been published for
        `propagation` yet (publish one and wait; `revoke` is the emergency path).
    */
    result<std::string> rotate(time_point now)
    {
        std::string promoted;
        auto changed = change([&](ring_contents<Alg>& c, changes& out) -> result<void> {
            const auto* ready = oldest_ready(c, now);
            if (ready == nullptr)
                return fail(errc::not_yet_valid);
            promoted = ready->kid;
            if (auto ok = promote_in(c, promoted, now, out); !ok)
                return ok;
            add_new(c, now, out);
            return {};
        }, now);
        if (!changed)
            return fail(changed.error());
        return promoted;
    }

    /** Withdraws the next key `kid` before it signs: it verifies until its retention ends, like any
        retired key.
        @return `unknown_key`; `wrong_key_state` for the primary (promote another key instead: a
        ring has exactly one) or a key already retired or revoked.
    */
    result<void> retire(std::string_view kid, time_point now)
    {
        return change([&](ring_contents<Alg>& c, changes& out) -> result<void> {
            auto* k = find(c, kid);
            if (k == nullptr)
                return fail(errc::unknown_key);
            if (k->state != key_state::next)
                return fail(errc::wrong_key_state);
            k->state = key_state::retired;
            k->changed_at = now;
            out.push_back({event_kind::key_retired, k->kid});
            return {};
        }, now);
    }

    /** The emergency: tokens `kid` signed are refused at once, its material is dropped, and its
        thumbprint kept so it can never come back. Revoking the primary promotes the newest next key
        at once (or a new key), without waiting for `propagation`: verifiers that have not seen that
        key refuse its tokens until they do, which is the price of an emergency.
        @return true if it was live; false if it was revoked already; `unknown_key`.
    */
    result<bool> revoke(std::string_view kid, time_point now)
    {
        bool was_live = false;
        auto changed = change([&](ring_contents<Alg>& c, changes& out) -> result<void> {
            auto* k = find(c, kid);
            if (k == nullptr)
                return fail(errc::unknown_key);
            if (k->state == key_state::revoked)
                return {};
            was_live = true;
            const bool primary = k->state == key_state::primary;
            k->state = key_state::revoked;
            k->changed_at = now;
            k->key.reset();
            out.push_back({event_kind::key_revoked, k->kid});
            if (primary) {
                // The successor verifiers are likeliest to hold: the oldest next key that has
                // propagated, else the newest next key, else a new one.
                ring_key<Alg>* successor = nullptr;
                if (const auto* ready = oldest_ready(c, now))
                    successor = find(c, ready->kid);
                else
                    for (auto& n : c.keys)
                        if (n.state == key_state::next)
                            successor = &n; // the newest
                if (successor == nullptr)
                    successor = &add_new(c, now, out);
                successor->state = key_state::primary;
                successor->changed_at = now;
                out.push_back({event_kind::key_promoted, successor->kid});
            }
            return {};
        }, now);
        if (!changed)
            return fail(changed.error());
        return was_live;
    }

    /** The schedule, for a timer of the application (on one instance of a fleet, or all: a second
        call finds nothing to do). Drops retired keys whose retention ended; publishes the primary's
        successor `propagation` before the primary has signed for `rotate_every`; promotes it when it
        has.
    */
    maintenance maintain(time_point now)
    {
        maintenance done;
        auto changed = change([&](ring_contents<Alg>& c, changes& out) -> result<void> {
            const auto before = c.keys.size();
            std::erase_if(c.keys, [&](const ring_key<Alg>& k) {
                const bool over = k.state == key_state::retired && now >= k.changed_at + options_.retention;
                if (over)
                    out.push_back({event_kind::key_dropped, k.kid});
                return over;
            });
            done.dropped = before - c.keys.size();
            const auto due = c.primary().changed_at + options_.rotate_every;
            const bool has_next = std::any_of(c.keys.begin(), c.keys.end(),
                                              [](const auto& k) { return k.state == key_state::next; });
            if (!has_next && now >= due - options_.propagation) {
                add_new(c, now, out);
                done.published = true;
            }
            if (now >= due)
                if (const auto* ready = oldest_ready(c, now)) {
                    const std::string kid = ready->kid;
                    done.promoted = static_cast<bool>(promote_in(c, kid, now, out));
                }
            return {};
        }, now);
        if (!changed)
            done = maintenance{.error = changed.error()};
        return done;
    }

    /// The ring as of now: an immutable copy, shared, that no change alters.
    [[nodiscard]] std::shared_ptr<const ring_contents<Alg>> contents() const
    {
        std::lock_guard lock{read_};
        return current_;
    }

    /// The version of `contents()`; it grows with every change. Cheap: one atomic load.
    [[nodiscard]] std::uint64_t version() const noexcept { return version_.load(std::memory_order_acquire); }

    /// The `kid` that signs.
    [[nodiscard]] std::string primary_kid() const { return contents()->primary().kid; }

    [[nodiscard]] const key_ring_options& options() const noexcept { return options_; }

    /// The sink the ring's events go to.
    [[nodiscard]] const Events& events() const noexcept { return events_; }

    /** The public keys of every next, primary and retired key, as a JWK Set (RFC 7517 §5), for a
        `jwks_uri`. Only for asymmetric algorithms: an HMAC ring's keys are secrets, and this does not
        exist for one.
    */
    [[nodiscard]] boost::json::object jwks() const
        requires asymmetric_algorithm<Alg>
    {
        boost::json::array keys;
        for (const auto& k : contents()->keys)
            if (k.state != key_state::revoked && k.key)
                keys.push_back(k.key->public_key().to_jwk());
        return boost::json::object{{"keys", std::move(keys)}};
    }

    /** The `Cache-Control` value to serve `jwks()` with: `public, max-age=` half the propagation
        time, so a verifier that refetches when its copy expires holds a next key before it signs.
    */
    [[nodiscard]] std::string jwks_cache_control() const
    {
        return "public, max-age=" + std::to_string(options_.propagation.count() / 2);
    }

private:
    static result<void> read_keys(const boost::json::object& inner, ring_contents<Alg>& c)
    {
        const auto* list = inner.if_contains("keys");
        if (inner.size() != 1 || list == nullptr || !list->is_array())
            return fail(errc::malformed);
        for (const auto& item : list->get_array()) {
            if (!item.is_object())
                return fail(errc::malformed);
            const auto& o = item.get_object();
            ring_key<Alg> k;
            k.kid = std::string{detail::member_text(o, "kid")};
            const auto state = detail::member_text(o, "state");
            const auto* published = o.if_contains("published");
            const auto* changed = o.if_contains("changed");
            if (k.kid.empty() || published == nullptr || !published->is_int64() || changed == nullptr ||
                !changed->is_int64() || o.size() != (o.contains("key") ? 5U : 4U))
                return fail(errc::malformed);
            bool known = false;
            for (auto s : {key_state::next, key_state::primary, key_state::retired, key_state::revoked})
                if (state == to_string(s)) {
                    k.state = s;
                    known = true;
                }
            if (!known)
                return fail(errc::malformed);
            k.published_at = time_point{std::chrono::seconds{published->get_int64()}};
            k.changed_at = time_point{std::chrono::seconds{changed->get_int64()}};
            if (o.contains("key")) {
                const auto material = detail::member_text(o, "key");
                if constexpr (symmetric_algorithm<Alg>) {
                    auto bytes = base64url::decode(material);
                    if (!bytes)
                        return fail(errc::invalid_key);
                    auto key = signing_key::from_bytes(*bytes, k.kid);
                    Botan::secure_scrub_memory(bytes->data(), bytes->size());
                    if (!key)
                        return fail(errc::invalid_key);
                    k.key = std::move(*key);
                } else {
                    auto key = signing_key::from_pem(material, k.kid);
                    if (!key)
                        return fail(errc::invalid_key);
                    k.key = std::move(*key);
                }
                if (k.key->thumbprint() != k.kid)
                    return fail(errc::invalid_key); // a key that is not the one its kid names
            }
            c.keys.push_back(std::move(k));
        }
        return {};
    }

    struct change_record {
        event_kind kind;
        std::string kid;
    };
    using changes = std::vector<change_record>;

    static key_ring_options checked(const key_ring_options& o)
    {
        using std::chrono::seconds;
        if (o.propagation < seconds{0} || o.retention <= seconds{0} || o.rotate_every <= o.propagation)
            throw error{errc::invalid_configuration, "tessera: a key ring needs propagation >= 0, retention > 0 "
                                                     "and rotate_every > propagation"};
        return o;
    }

    static ring_key<Alg>* find(ring_contents<Alg>& c, std::string_view kid) noexcept
    {
        for (auto& k : c.keys)
            if (k.kid == kid)
                return &k;
        return nullptr;
    }

    const ring_key<Alg>* oldest_ready(const ring_contents<Alg>& c, time_point now) const noexcept
    {
        for (const auto& k : c.keys)
            if (k.state == key_state::next && now >= k.published_at + options_.propagation)
                return &k;
        return nullptr;
    }

    static ring_key<Alg>& add_new(ring_contents<Alg>& c, time_point now, changes& out)
    {
        auto key = signing_key::generate();
        auto kid = key.thumbprint();
        c.keys.push_back({kid, key_state::next, now, now, key.with_kid(kid)});
        out.push_back({event_kind::key_published, std::move(kid)});
        return c.keys.back();
    }

    result<void> promote_in(ring_contents<Alg>& c, std::string_view kid, time_point now, changes& out) const
    {
        auto* k = find(c, kid);
        if (k == nullptr)
            return fail(errc::unknown_key);
        if (k->state != key_state::next)
            return fail(errc::wrong_key_state);
        if (now < k->published_at + options_.propagation)
            return fail(errc::not_yet_valid);
        for (auto& old : c.keys)
            if (old.state == key_state::primary) {
                old.state = key_state::retired;
                old.changed_at = now;
                out.push_back({event_kind::key_retired, old.kid});
            }
        k->state = key_state::primary;
        k->changed_at = now;
        out.push_back({event_kind::key_promoted, k->kid});
        return {};
    }

    /// Applies `f` to a copy of the ring; publishes the copy as the next version if `f` succeeded and changed it.
    template <class F>
    result<void> change(F&& f, time_point now)
    {
        std::lock_guard writing{write_};
        auto next = std::make_shared<ring_contents<Alg>>(*contents());
        changes out;
        if (auto ok = f(*next, out); !ok)
            return ok;
        if (out.empty())
            return {};
        next->version += 1;
        if (persist_)
            if (auto kept = persist_(*next); !kept)
                return kept;
        {
            std::lock_guard lock{read_};
            current_ = next;
        }
        version_.store(next->version, std::memory_order_release);
        for (const auto& c : out)
            emit(c.kind, now, c.kid);
        return {};
    }

    void emit(event_kind kind, time_point at, std::string_view kid) noexcept
    {
        if constexpr (!std::is_same_v<Events, no_events>)
            events_(security_event{kind, "key_ring", at, {}, kid});
    }

    key_ring_options options_;
    [[no_unique_address]] Events events_;
    std::mutex write_;
    mutable std::mutex read_;
    std::shared_ptr<const ring_contents<Alg>> current_;
    std::atomic<std::uint64_t> version_{0};
    persist_function persist_;
};

namespace detail {
inline std::uint64_t next_view_serial() noexcept
{
    static std::atomic<std::uint64_t> serial{0};
    return serial.fetch_add(1, std::memory_order_relaxed) + 1;
}

/// The `kid` a token's header names, if its header is a JSON object with a string `kid`.
inline std::optional<std::string> header_kid(std::string_view token)
{
    const auto parts = split(token);
    if (!parts)
        return std::nullopt;
    const auto text = base64url::decode_to_string(parts->header);
    if (!text)
        return std::nullopt;
    const auto header = tessera::detail::parse_object(*text);
    if (!header)
        return std::nullopt;
    const auto* kid = header->if_contains("kid");
    if (kid == nullptr || !kid->is_string())
        return std::nullopt;
    return std::string{kid->as_string()};
}
} // namespace detail

/** A signer and a verifier that follow a key ring: tokens are signed by its primary key and
    verified by each key it holds that verifies, as of its latest version.

    The cost over one fixed key is one atomic load per call: each thread keeps the view it used last
    (a `signer` and a `verifier` built from one version of the ring) and rebuilds it only when the
    version changed, once per change for the whole process (the first thread to see the change
    builds; the others take what it built). Each view has its own verified-token cache
    (`verify_options::cache_size`), so a change of keys empties it: a token remembered before its
    key was revoked is checked again, and refused. A thread frees the view it no longer needs at its
    next call, or when it ends.

    The ring must outlive this object. Copies share their views.
    @par Thread Safety
    `verify` and `sign` may be called from many threads at once, during changes of the ring.
*/
template <algorithm Alg, class Events = no_events>
class ring_keys {
public:
    explicit ring_keys(const key_ring<Alg, Events>& ring, verify_options verify = {}, sign_options sign = {})
        : shared_(std::make_shared<shared>(ring, std::move(verify), std::move(sign)))
    {
        (void)latest(ring.version()); // a bad option fails here, not on the first request
    }

    /** Verifies `token` as of `now` with the ring's keys. A token whose `kid` names a key the ring
        revoked is `revoked`, not `unknown_key`, and is told (`revoked_credential_presented`, scheme
        `"key_ring"`, the `kid` as its handle): someone holds a token of a key taken out of service,
        or the key itself. Only refusals pay for telling the two apart.
    */
    [[nodiscard]] result<verified_claims> verify(std::string_view token, time_point now) const
    {
        const auto& v = view();
        // One named result, returned on every path: the claims (a few hundred bytes) are built where
        // the caller receives them, never moved.
        result<verified_claims> out = v.verifies.verify(token, now);
        if (!out && out.error() == errc::unknown_key && !v.revoked.empty())
            if (const auto kid = detail::header_kid(token);
                kid && std::binary_search(v.revoked.begin(), v.revoked.end(), *kid)) {
                shared_->ring.events()(security_event{event_kind::revoked_credential_presented, "key_ring", now, {}, *kid});
                out = errc::revoked;
            }
        return out;
    }

    [[nodiscard]] result<verified_claims> verify(std::string_view token) const
    {
        return verify(token, system_clock{}.now());
    }

    /// Signs `c` with the ring's primary key (its `kid` in the header).
    [[nodiscard]] result<std::string> sign(const claims& c) const { return view().signs.sign(c); }

    /// The verified-token cache of the current keys (a change of keys starts a new one).
    [[nodiscard]] verify_cache_stats cache_stats() const noexcept { return view().verifies.cache_stats(); }

    [[nodiscard]] const key_ring<Alg, Events>& ring() const noexcept { return shared_->ring; }

private:
    struct built {
        std::uint64_t version;
        signer<Alg> signs;
        verifier<Alg> verifies;
        /// The `kid`s of the revoked keys, sorted.
        std::vector<std::string> revoked;
    };

    struct shared {
        shared(const key_ring<Alg, Events>& r, verify_options v, sign_options s)
            : ring(r), verify(std::move(v)), sign(std::move(s))
        {
        }
        const key_ring<Alg, Events>& ring;
        const verify_options verify;
        const sign_options sign;
        const std::uint64_t serial = detail::next_view_serial();
        std::mutex building;
        std::shared_ptr<const built> latest;
    };

    /// This thread's view of the ring, valid until this thread's next call of any `ring_keys<Alg, Events>`.
    const built& view() const
    {
        struct slot {
            std::uint64_t serial = 0;
            std::shared_ptr<const built> view;
        };
        thread_local std::array<slot, 4> slots{};
        thread_local std::size_t victim = 0;
        const auto version = shared_->ring.version();
        for (auto& s : slots)
            if (s.serial == shared_->serial) {
                if (s.view->version < version)
                    s.view = latest(version);
                return *s.view;
            }
        auto& s = slots[victim++ % slots.size()];
        s.serial = shared_->serial;
        s.view = latest(version);
        return *s.view;
    }

    /// The view of `version` or later, built once for every thread.
    std::shared_ptr<const built> latest(std::uint64_t version) const
    {
        std::lock_guard lock{shared_->building};
        if (!shared_->latest || shared_->latest->version < version) {
            const auto c = shared_->ring.contents();
            std::vector<std::string> revoked;
            for (const auto& k : c->keys)
                if (k.state == key_state::revoked)
                    revoked.push_back(k.kid);
            std::sort(revoked.begin(), revoked.end());
            shared_->latest = std::make_shared<const built>(
                built{c->version, signer<Alg>{*c->primary().key, shared_->sign},
                      verifier<Alg>{c->verification_keys(), shared_->verify}, std::move(revoked)});
        }
        return shared_->latest;
    }

    std::shared_ptr<shared> shared_;
};

} // namespace tessera::inline v0::jwt
