// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `remote_key_set<verifier<Algs...>, Fetch, Events>`: the keys an identity provider publishes at
    its `jwks_uri`, fetched, kept and followed through its rotations, for a service that verifies
    the provider's tokens.

    What it promises, each one tested:
    - **Served from memory.** A verification reads the set in hand (one pointer copied under a
      short lock); it waits for the network only when there is no set yet, or when the token names a
      `kid` the set lacks (below).
    - **Refreshed before it goes stale.** Freshness is the response's `Cache-Control: max-age`
      clamped to [`min_freshness`, `max_freshness`] (`default_freshness` without one). At
      `refresh_percent` of it (80 % by default) the first request to notice starts one refresh in
      the background and goes on with the set in hand; the refresh revalidates with `If-None-Match`
      (a 304 keeps the set, and renews it).
    - **One fetch at a time.** However many requests need a fetch, one is made; the others wait for
      its outcome (coalescing), and every fetch, successful or not, starts a `cooldown`.
    - **An unknown `kid` is looked up once per cooldown.** The request that meets it waits for that
      one refetch (`Cache-Control: no-cache`) and is answered with its outcome, so a provider's new
      key is accepted on the first token it signs. Within the cooldown an unknown `kid` is
      `unknown_key` at once: a flood of random `kid`s is at most one fetch per cooldown, and a failed
      fetch starts the cooldown too (unlike jose's, which lets every request retry during an outage).
    - **Bounded staleness.** When the provider cannot be reached, the last good set keeps serving
      for `max_staleness` past its freshness (`key_set_stale_served`, once); past that, or before
      any set was fetched, every token gets `keys_unavailable` (condition `unavailable`: the HTTP
      layer answers 503, never 401) until a fetch succeeds.
    - **A bad set never replaces a good one.** Only 200 (and 304 for a revalidation) is accepted;
      redirects are not followed; the body is bounded (`max_body`), the keys counted (`max_keys`);
      a set that is not a JWK Set, holds no usable key, or two usable keys with one `kid`, is
      refused (`key_set_refused`) and the set in hand kept. Private members (`d`, `k`), symmetric
      keys, keys for another `use`, keys whose `key_ops` lack `verify`, and keys too short or too
      long (an RSA modulus above 8192 bits) are skipped, never used.
    - **HTTPS only**, except to a loopback address; with `from_issuer`, OpenID discovery: the
      document at `{issuer}/.well-known/openid-configuration` must name exactly that issuer, and its
      `jwks_uri` is checked the same way.

    @par Example
    @code
    jwt::remote_key_set<jwt::verifier<jwt::rs256, jwt::es256>, jwt::curl_fetcher> google{
        jwt::remote_key_set_options{.verify = {.issuers = {"https://accounts.google.com"}, .audiences = {"my-client-id"}}},
        "https://www.googleapis.com/oauth2/v3/certs"};
    auto claims = google.verify(token);    // result<verified_claims>; keys_unavailable is a 503
    @endcode

    @par Thread Safety
    `verify`, `refresh` and the observers may be called from many threads at once. A background
    refresh runs on one thread the set owns, started at the first refresh and joined by the
    destructor (which waits for a fetch in flight, at most its timeout).
*/

#include <tessera/core/clock.hpp>
#include <tessera/core/result.hpp>
#include <tessera/detail/strict_json.hpp>
#include <tessera/events.hpp>
#include <tessera/jwt/fetch.hpp>
#include <tessera/jwt/jwks.hpp>
#include <tessera/jwt/keys.hpp>
#include <tessera/jwt/verify.hpp>

#include <boost/json/object.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace tessera::inline v0::jwt {

/// How a remote key set fetches, trusts and keeps its keys.
struct remote_key_set_options {
    /// What the tokens must say beyond their signature (issuer, audience, ...), as for any verifier.
    verify_options verify{};
    /// Freshness bounds: the response's `max-age` is clamped into [min, max].
    std::chrono::seconds min_freshness{60};
    std::chrono::seconds max_freshness{std::chrono::hours{24}};
    /// Freshness when the response gives no `max-age`.
    std::chrono::seconds default_freshness{600};
    /// At what share of the freshness a background refresh starts, in percent (1 to 100).
    int refresh_percent = 80;
    /// The shortest time between two fetches (the unknown-`kid` refetch, a retry after a failure).
    std::chrono::seconds cooldown{30};
    /// How long past its freshness the last good set keeps serving while its provider cannot be
    /// reached. Past it, `keys_unavailable`.
    std::chrono::seconds max_staleness{std::chrono::hours{1}};
    /// Each fetch's deadline.
    std::chrono::milliseconds timeout{5000};
    /// The longest key set or discovery document accepted.
    std::size_t max_body = 256 * 1024;
    /// The most keys a set may hold (every key counted, usable or not).
    std::size_t max_keys = 100;
    /// Refresh on a thread of the set's own (true), or in the request that finds the set due (false:
    /// no thread; that request waits for the fetch).
    bool background = true;
};

/// What a key set looked like when it was last fetched.
struct remote_key_set_status {
    /// A set is in hand (it may be stale).
    bool loaded = false;
    /// Keys of it that verify.
    std::size_t keys = 0;
    time_point fetched_at{};
    time_point fresh_until{};
    /// Last instant it serves while its provider cannot be reached.
    time_point usable_until{};
    std::string etag{};
    /// The URL the set comes from (after discovery); empty before it.
    std::string url{};
    /// Fetches made (discovery documents included), and how many of them failed or were refused.
    std::size_t fetches = 0;
    std::size_t failures = 0;
    /// The last failure (none: empty).
    std::error_code last_error{};
    /// A fetch is in flight, and this many requests wait for its outcome.
    bool fetching = false;
    std::size_t waiting = 0;
};

namespace detail {

/** A fetched document as a strict JSON object (its size was bounded by the fetch), nested at most 8 deep.
    @return `fetch_failure::malformed` for anything else.
*/
inline result<boost::json::object> fetched_document(std::string_view text)
{
    tessera::detail::json_limits limits;
    limits.max_depth = 8;
    limits.max_size = std::max<std::size_t>(text.size(), 1);
    auto doc = tessera::detail::parse_object(text, {}, limits);
    if (!doc)
        return fail(fetch_failure::malformed);
    return doc;
}

/// The usable keys of a JWK Set document, and how many they are.
struct read_set {
    key_set keys;
    std::size_t usable = 0;
};

/// Members that only a private or a symmetric JWK has: a key that carries one is never used.
inline bool has_private_member(const boost::json::object& jwk) noexcept
{
    for (const std::string_view name : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
        if (jwk.contains(name))
            return true;
    return false;
}

/// `key_ops`, when present, must be an array of strings that holds `verify` (RFC 7517 §4.3).
inline bool allows_verify(const boost::json::object& jwk) noexcept
{
    const auto* ops = jwk.if_contains("key_ops");
    if (ops == nullptr)
        return true;
    if (!ops->is_array())
        return false;
    bool verify = false;
    for (const auto& op : ops->get_array()) {
        if (!op.is_string())
            return false;
        verify = verify || op.get_string() == "verify";
    }
    return verify;
}

/// The longest member a usable key may have: an 8192-bit RSA modulus in base64url (1,366 characters).
inline constexpr std::size_t max_jwk_member = 1366;

inline bool within_member_limits(const boost::json::object& jwk) noexcept
{
    for (const std::string_view name : {"n", "e", "x", "y", "crv", "kid", "alg", "use", "kty"})
        if (const auto* v = jwk.if_contains(name); v != nullptr && v->is_string() && v->get_string().size() > max_jwk_member)
            return false;
    if (const auto* kid = jwk.if_contains("kid"); kid != nullptr && (!kid->is_string() || kid->get_string().size() > 256))
        return false;
    return true;
}

/// True if `jwk` is a public key of one of `Algs` that passes every check of `from_jwk`.
template <algorithm... Algs>
bool fits_any(const boost::json::object& jwk)
{
    return (public_key<Algs>::from_jwk(jwk).has_value() || ...);
}

/** Reads a JWK Set document fetched for a verifier of `Algs`: the keys it may use, or why the
    whole document is refused (`malformed`, `too_many_keys`, `duplicate_kid`, `no_usable_key`).
    A key that cannot be used is skipped, never an error (a provider publishes keys for others too).
*/
template <algorithm... Algs>
result<read_set> read_key_set(std::string_view text, std::size_t max_keys)
{
    auto doc = fetched_document(text);
    if (!doc)
        return doc.error();
    const auto* keys = doc->if_contains("keys");
    if (keys == nullptr || !keys->is_array())
        return fail(fetch_failure::malformed);
    if (keys->get_array().size() > max_keys)
        return fail(fetch_failure::too_many_keys);
    read_set out;
    std::vector<std::string_view> kids;
    for (const auto& k : keys->get_array()) {
        if (!k.is_object())
            return fail(fetch_failure::malformed);
        const auto& jwk = k.get_object();
        if (has_private_member(jwk) || !allows_verify(jwk) || !within_member_limits(jwk) || !fits_any<Algs...>(jwk))
            continue;
        if (const auto* kid = jwk.if_contains("kid"); kid != nullptr) {
            const std::string_view id = kid->get_string();
            if (std::find(kids.begin(), kids.end(), id) != kids.end())
                return fail(fetch_failure::duplicate_kid);
            kids.push_back(id);
        }
        out.keys.add(jwk);
        ++out.usable;
    }
    if (out.usable == 0)
        return fail(fetch_failure::no_usable_key);
    return out;
}

/// Where discovery is: `{issuer}/.well-known/openid-configuration`, the issuer's trailing `/` dropped (OpenID Discovery §4).
inline std::string discovery_url_of(std::string_view issuer)
{
    if (!issuer.empty() && issuer.back() == '/')
        issuer.remove_suffix(1);
    return std::string{issuer} + "/.well-known/openid-configuration";
}

/** Reads an OpenID Provider Configuration document: its `issuer` must be exactly `issuer`
    (OpenID Discovery §4.3) and its `jwks_uri` a URL a key set may come from.
    @return the `jwks_uri`; `malformed`, `wrong_issuer` or `insecure_url`.
*/
inline result<std::string> read_discovery(std::string_view text, std::string_view issuer)
{
    auto doc = fetched_document(text);
    if (!doc)
        return doc.error();
    const auto* iss = doc->if_contains("issuer");
    const auto* uri = doc->if_contains("jwks_uri");
    if (iss == nullptr || !iss->is_string() || uri == nullptr || !uri->is_string())
        return fail(fetch_failure::malformed);
    if (iss->get_string() != issuer)
        return fail(fetch_failure::wrong_issuer);
    const std::string_view jwks_uri = uri->get_string();
    if (auto checked = check_fetch_url(jwks_uri); !checked)
        return checked.error();
    return std::string{jwks_uri};
}

} // namespace detail

template <class Verifier, class Fetch, class Events = no_events>
class remote_key_set;

/** A verifier whose keys come from a provider's JWK Set URL (this file's description says how).

    `Verifier` is the `verifier<Algs...>` the set's keys are turned into: its algorithms are the only
    ones accepted, and each must be asymmetric (a provider never publishes a MAC key). `Fetch` is a
    `fetch_policy`; `Events`, an `event_sink` told every fetch, failure, refusal and stale use
    (scheme `"remote_key_set"`, the set's URL as `handle`).
*/
template <algorithm... Algs, fetch_policy Fetch, event_sink Events>
class remote_key_set<verifier<Algs...>, Fetch, Events> {
    static_assert((!symmetric_algorithm<Algs> && ...),
                  "a remote key set verifies asymmetric algorithms only: a provider never publishes a MAC key");

public:
    using verifier_type = verifier<Algs...>;

    /** A set fetched from `jwks_url`.
        @throws tessera::error `invalid_configuration` for a URL that is not `https` (or `http` to a
        loopback address) or options that cannot work.
    */
    remote_key_set(remote_key_set_options options, std::string jwks_url, Fetch fetch = {}, Events events = {})
        : options_(checked(std::move(options))), fetch_(std::move(fetch)), events_(std::move(events)),
          source_(jwks_url), jwks_url_(std::move(jwks_url))
    {
        if (!detail::check_fetch_url(jwks_url_))
            throw error{errc::invalid_configuration, "tessera: a remote key set's URL must be https (http only to a loopback address)"};
    }

    /** A set found by OpenID discovery at `issuer` (fetched at the first need, not here). When
        `options.verify.issuers` is empty, tokens must name `issuer`. The `jwks_uri` found is kept
        for the set's life (a provider that moves its keys is followed by a new set).
        @throws tessera::error `invalid_configuration`, as above, for the issuer's URL.
    */
    static remote_key_set from_issuer(std::string issuer, remote_key_set_options options, Fetch fetch = {},
                                      Events events = {})
    {
        return remote_key_set{by_issuer{}, std::move(issuer), std::move(options), std::move(fetch), std::move(events)};
    }

    remote_key_set(const remote_key_set&) = delete;
    remote_key_set& operator=(const remote_key_set&) = delete;

    ~remote_key_set()
    {
        {
            const std::lock_guard lock{m_};
            stop_ = true;
        }
        wake_.notify_all();
        if (worker_.joinable())
            worker_.join();
    }

    /// `verify(token, system_clock{}.now())`.
    [[nodiscard]] result<verified_claims> verify(std::string_view token) { return verify(token, system_clock{}.now()); }

    [[nodiscard]] result<verified_claims> operator()(std::string_view token) { return verify(token); }

    /** Verifies `token` with the set in hand as of `now`, fetching first when there is none (or it is
        past its staleness bound) and once more for an unknown `kid` outside the cooldown.
        @return the verifier's answer; `keys_unavailable` when no set can be trusted.
    */
    [[nodiscard]] result<verified_claims> verify(std::string_view token, time_point now)
    {
        auto set = current();
        if (!set || now >= set->usable_until) {
            fetch_or_join(now, false);
            set = current();
            if (!set || now >= set->usable_until) {
                tell_unavailable(set, now);
                return fail(errc::keys_unavailable);
            }
        }
        if (now >= set->fresh_until && !set->told_stale.exchange(true))
            emit(event_kind::key_set_stale_served, now);
        if (now >= set->refresh_at && now.time_since_epoch().count() >= next_try_.load(std::memory_order_relaxed))
            set = refresh_due(now, std::move(set));

        auto verified = set->verify->verify(token, now);
        if (verified || verified.error() != errc::unknown_key)
            return verified;
        // A kid the set lacks: the provider may have rotated. One refetch per cooldown, joined by
        // every request that needs it, and this request is answered with its outcome.
        if (!fetch_or_join(now, true))
            return verified;
        auto after = current();
        if (!after || after == set || now >= after->usable_until)
            return verified;
        return after->verify->verify(token, now);
    }

    /** Fetches now, unless a fetch is in flight (then waits for it) or the last one began less than
        a cooldown ago (then answers at once). For a service that wants its keys before its first
        request: `set.refresh(now)` at start-up, and a 503 until it succeeds is the alternative.
        @return ok if a set is in hand and usable afterwards; the last failure otherwise.
    */
    result<void> refresh(time_point now = system_clock{}.now())
    {
        fetch_or_join(now, false);
        if (auto set = current(); set && now < set->usable_until)
            return {};
        const std::lock_guard lock{m_};
        return fail(last_error_ ? last_error_ : make_error_code(errc::keys_unavailable));
    }

    /// Waits until no fetch is in flight or asked for (a background refresh included).
    void wait_idle()
    {
        std::unique_lock lock{m_};
        done_.wait(lock, [&] { return !in_flight_ && !wake_requested_; });
    }

    /// What the set in hand is, and how fetching has gone.
    [[nodiscard]] remote_key_set_status status() const
    {
        remote_key_set_status s;
        if (auto set = current()) {
            s.loaded = true;
            s.keys = set->keys;
            s.fetched_at = set->fetched_at;
            s.fresh_until = set->fresh_until;
            s.usable_until = set->usable_until;
            s.etag = set->etag;
        }
        const std::lock_guard lock{m_};
        s.url = jwks_url_;
        s.fetches = fetches_;
        s.failures = failures_;
        s.last_error = last_error_;
        s.fetching = in_flight_;
        s.waiting = waiting_;
        return s;
    }

    [[nodiscard]] const remote_key_set_options& options() const noexcept { return options_; }
    [[nodiscard]] const Events& events() const noexcept { return events_; }
    [[nodiscard]] const Fetch& fetcher() const noexcept { return fetch_; }

private:
    /// One fetched set, never changed once published (only its "told" flags).
    struct snapshot {
        std::shared_ptr<const verifier_type> verify;
        std::size_t keys = 0;
        std::string etag;
        time_point fetched_at{};
        time_point refresh_at{};
        time_point fresh_until{};
        time_point usable_until{};
        mutable std::atomic<bool> told_stale{false};
        mutable std::atomic<bool> told_unavailable{false};
    };

    struct by_issuer {};

    remote_key_set(by_issuer, std::string issuer, remote_key_set_options options, Fetch fetch, Events events)
        : options_(checked(std::move(options))), fetch_(std::move(fetch)), events_(std::move(events)),
          issuer_(std::move(issuer)), source_(issuer_)
    {
        if (!detail::check_fetch_url(issuer_))
            throw error{errc::invalid_configuration, "tessera: an issuer's URL must be https (http only to a loopback address)"};
        if (options_.verify.issuers.empty())
            options_.verify.issuers = {issuer_};
    }

    static remote_key_set_options checked(remote_key_set_options o)
    {
        using std::chrono::seconds;
        const bool ok = o.min_freshness >= seconds{1} && o.min_freshness <= o.max_freshness &&
                        o.default_freshness >= o.min_freshness && o.default_freshness <= o.max_freshness &&
                        o.max_freshness <= max_lifetime && o.max_staleness >= seconds{0} &&
                        o.max_staleness <= max_lifetime && o.cooldown >= seconds{1} && o.refresh_percent >= 1 &&
                        o.refresh_percent <= 100 && o.timeout > std::chrono::milliseconds{0} && o.max_body >= 64 &&
                        o.max_keys >= 1;
        if (!ok)
            throw error{errc::invalid_configuration,
                        "tessera: remote_key_set_options: freshness 1 s <= min <= default <= max, cooldown >= 1 s, "
                        "refresh_percent 1..100, a timeout, max_body >= 64, max_keys >= 1"};
        return o;
    }

    std::shared_ptr<const snapshot> current() const
    {
        const std::lock_guard lock{current_m_};
        return current_;
    }

    void publish(std::shared_ptr<const snapshot> s)
    {
        const std::lock_guard lock{current_m_};
        current_ = std::move(s);
    }

    /// The set is due for its refresh: in the background, or here.
    std::shared_ptr<const snapshot> refresh_due(time_point now, std::shared_ptr<const snapshot> set)
    {
        if (!options_.background) {
            fetch_or_join(now, false);
            auto after = current();
            return after && now < after->usable_until ? after : set;
        }
        {
            const std::lock_guard lock{m_};
            if (stop_ || in_flight_ || wake_requested_ || !cooled(now))
                return set;
            if (!worker_.joinable()) {
                try {
                    worker_ = std::thread{[this] { work(); }};
                } catch (const std::system_error&) { // no thread today: the set in hand serves, the next request tries again
                    return set;
                }
            }
            wake_requested_ = true;
            wake_at_ = now;
        }
        wake_.notify_one();
        return set;
    }

    void work()
    {
        std::unique_lock lock{m_};
        for (;;) {
            wake_.wait(lock, [&] { return stop_ || wake_requested_; });
            if (stop_) {
                wake_requested_ = false;
                done_.notify_all();
                return;
            }
            const auto at = wake_at_;
            lock.unlock();
            fetch_or_join(at, false, true);
            lock.lock();
        }
    }

    [[nodiscard]] bool cooled(time_point now) const noexcept
    {
        return !last_attempt_ || now >= *last_attempt_ + options_.cooldown;
    }

    /** One fetch for everyone: joins the fetch in flight, or makes one unless the last began less
        than a cooldown ago. `from_worker` clears the background request as it starts.
        @return whether a fetch was made or joined.
    */
    bool fetch_or_join(time_point now, bool no_cache, bool from_worker = false)
    {
        std::unique_lock lock{m_};
        if (from_worker)
            wake_requested_ = false;
        if (in_flight_) {
            const auto generation = generation_;
            ++waiting_;
            done_.wait(lock, [&] { return generation_ != generation; });
            --waiting_;
            return true;
        }
        if (!cooled(now)) {
            done_.notify_all();
            return false;
        }
        in_flight_ = true;
        last_attempt_ = now;
        next_try_.store((now + options_.cooldown).time_since_epoch().count(), std::memory_order_relaxed);
        std::string url = jwks_url_;
        lock.unlock();

        std::error_code failed;
        std::size_t made = 0;
        try {
            failed = fetch_once(now, no_cache, url, made);
        } catch (...) { // a fetch policy that throws (bad_alloc) fails this fetch, never the request
            failed = make_error_code(fetch_failure::unreachable);
            emit(event_kind::key_set_fetch_failed, now, failed);
        }

        lock.lock();
        if (jwks_url_.empty())
            jwks_url_ = std::move(url);
        fetches_ += made;
        if (failed) {
            ++failures_;
            last_error_ = failed;
        }
        in_flight_ = false;
        ++generation_;
        lock.unlock();
        done_.notify_all();
        return true;
    }

    /// Discovery when needed, then the set. @return the failure, if any (already told to the sink).
    std::error_code fetch_once(time_point now, bool no_cache, std::string& url, std::size_t& made)
    {
        if (url.empty()) {
            ++made;
            auto found = discover(now, no_cache);
            if (!found)
                return found.error();
            url = std::move(*found);
        }
        const auto held = current();
        fetch_request request{url, held ? std::string_view{held->etag} : std::string_view{}, no_cache, options_.timeout,
                              options_.max_body};
        ++made;
        auto response = fetch_(request);
        if (!response)
            return told(event_kind::key_set_fetch_failed, now, response.error(), url);
        if (response->status == 304 && held && !held->etag.empty()) {
            auto renewed = timed(now, response->cache_control);
            renewed->verify = held->verify;
            renewed->keys = held->keys;
            renewed->etag = response->etag.empty() ? held->etag : response->etag;
            publish(std::move(renewed));
            emit(event_kind::key_set_fetched, now, {}, url, held->keys);
            return {};
        }
        if (auto bad = status_failure(*response))
            return told(event_kind::key_set_fetch_failed, now, bad, url);
        auto read = detail::read_key_set<Algs...>(response->body, options_.max_keys);
        if (!read)
            return told(event_kind::key_set_refused, now, read.error(), url);
        auto fresh = timed(now, response->cache_control);
        try {
            fresh->verify = std::make_shared<const verifier_type>(read->keys, options_.verify);
        } catch (const error&) { // a key the reading let through and the verifier does not: never used
            return told(event_kind::key_set_refused, now, make_error_code(fetch_failure::no_usable_key), url);
        }
        fresh->keys = read->usable;
        fresh->etag = std::move(response->etag);
        publish(std::move(fresh));
        emit(event_kind::key_set_fetched, now, {}, url, read->usable);
        return {};
    }

    result<std::string> discover(time_point now, bool no_cache)
    {
        const auto where = detail::discovery_url_of(issuer_);
        auto response = fetch_(fetch_request{where, {}, no_cache, options_.timeout, options_.max_body});
        if (!response)
            return fail(told(event_kind::key_set_fetch_failed, now, response.error(), where));
        if (auto bad = status_failure(*response))
            return fail(told(event_kind::key_set_fetch_failed, now, bad, where));
        auto uri = detail::read_discovery(response->body, issuer_);
        if (!uri)
            return fail(told(event_kind::key_set_refused, now, uri.error(), where));
        return uri;
    }

    /// Why a response other than the revalidation handled before is not a set to read: only 200 is.
    std::error_code status_failure(const fetch_response& r) const
    {
        if (r.body.size() > options_.max_body)
            return make_error_code(fetch_failure::too_large);
        if (r.status >= 300 && r.status < 400 && r.status != 304)
            return make_error_code(fetch_failure::redirect);
        if (r.status != 200)
            return make_error_code(fetch_failure::bad_status);
        return {};
    }

    /// A snapshot's times for a response fetched at `now` with this `Cache-Control`.
    std::shared_ptr<snapshot> timed(time_point now, std::string_view cache_control) const
    {
        auto freshness = detail::max_age_of(cache_control).value_or(options_.default_freshness);
        freshness = std::clamp(freshness, options_.min_freshness, options_.max_freshness);
        auto s = std::make_shared<snapshot>();
        s->fetched_at = now;
        s->fresh_until = now + freshness;
        s->refresh_at = now + freshness * options_.refresh_percent / 100;
        s->usable_until = s->fresh_until + options_.max_staleness;
        return s;
    }

    void tell_unavailable(const std::shared_ptr<const snapshot>& set, time_point now)
    {
        if (set ? !set->told_unavailable.exchange(true) : !told_never_loaded_.exchange(true))
            emit(event_kind::key_set_unavailable, now);
    }

    std::error_code told(event_kind kind, time_point now, std::error_code ec, std::string_view url) noexcept
    {
        emit(kind, now, ec, url);
        return ec;
    }

    void emit(event_kind kind, time_point at, std::error_code ec = {}, std::string_view url = {},
              std::size_t count = 0) noexcept
    {
        if constexpr (!std::is_same_v<Events, no_events>) {
            security_event e{kind, "remote_key_set", at, {}, url.empty() ? std::string_view{source_} : url};
            e.count = count;
            e.error = ec;
            events_(e);
        }
    }

    remote_key_set_options options_;
    [[no_unique_address]] Fetch fetch_;
    [[no_unique_address]] Events events_;
    std::string issuer_;
    /// What the set was made from (its URL, or its issuer's): the `handle` of events told outside a fetch.
    std::string source_;

    mutable std::mutex current_m_;
    std::shared_ptr<const snapshot> current_;

    mutable std::mutex m_;
    std::condition_variable done_;
    std::condition_variable wake_;
    std::string jwks_url_;
    bool in_flight_ = false;
    std::size_t waiting_ = 0;
    bool wake_requested_ = false;
    bool stop_ = false;
    std::uint64_t generation_ = 0;
    std::optional<time_point> last_attempt_;
    time_point wake_at_{};
    std::size_t fetches_ = 0;
    std::size_t failures_ = 0;
    std::error_code last_error_{};
    std::atomic<std::int64_t> next_try_{0};
    std::atomic<bool> told_never_loaded_{false};
    std::thread worker_;
};

} // namespace tessera::inline v0::jwt
