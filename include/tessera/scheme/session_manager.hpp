// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `session_manager`: creates, validates, renews, rotates, lists and revokes
    server-side sessions in a store — the whole behaviour of the session
    scheme, which the session authenticator (session.hpp) offers as
    `issue`/`authenticate`/`refresh`/`revoke`.

    - Ids are 256 bits from the CSPRNG, base64url (43 characters), and carry
      nothing else (OWASP: no user data, no time, no counter).
    - The store never sees an id: records are keyed by SHA-256 of the id, so a
      leaked store (a backup, a replica, a log of keys) yields no live session.
    - An id of any other shape is refused before the store is touched.
    - Two timeouts, both enforced on the server (OWASP ASVS 5 §7.3): idle
      (sliding) and absolute (from login); neither renewal nor rotation ever
      moves the absolute limit.
    - Every operation decides at one instant: the clock is read once (or the
      caller gives the instant of its request, the overloads taking `now`).
*/

#include <tessera/core/clock.hpp>
#include <tessera/core/result.hpp>
#include <tessera/credentials.hpp>
#include <tessera/detail/opaque.hpp>
#include <tessera/detail/strict_json.hpp>
#include <tessera/options.hpp>
#include <tessera/scheme/session_record.hpp>
#include <tessera/store/concepts.hpp>
#include <tessera/store/keys.hpp>

#include <boost/json/object.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::inline v0 {

/** Creates, validates, renews, rotates, lists and revokes sessions in a store.

    @tparam Store any `tessera::store`; the manager holds a reference, so the
    store must outlive it.
    @tparam Clock the time source (`manual_clock` in tests).
    @par Thread Safety
    Every member function may be called from many threads at once.
    @par Example
    @code
    tessera::memory_store store;
    tessera::session_manager sessions{store};
    auto login = sessions.create("user-42", {.user_agent = ua, .ip = ip});   // Set-Cookie: login->id
    auto who = sessions.validate(cookie_value);                               // each request
    if (who && who->renewed) resend_cookie(who->max_age);
    @endcode
*/
template <store Store, clock Clock = system_clock>
class session_manager {
public:
    /** @throws tessera::error `invalid_configuration` when a lifetime is not positive, the idle
        timeout exceeds the absolute one, or renewal is not shorter than idle.
    */
    explicit session_manager(Store& store, session_options options = {}, Clock clock = {})
        : store_(store), options_(std::move(options)), clock_(std::move(clock))
    {
        using std::chrono::seconds;
        if (options_.idle_timeout <= seconds{0} || options_.absolute_timeout <= seconds{0} ||
            options_.absolute_timeout > max_lifetime)
            throw error{errc::invalid_configuration, "session timeouts must be positive and at most 100 years"};
        if (options_.idle_timeout > options_.absolute_timeout)
            throw error{errc::invalid_configuration, "the idle timeout cannot exceed the absolute timeout"};
        if (options_.renewal_interval < seconds{0} || options_.renewal_interval >= options_.idle_timeout)
            throw error{errc::invalid_configuration, "the renewal interval must be shorter than the idle timeout"};
    }

    /** Starts a session for `subject` (call it at login, after the password check).

        @return `store_unavailable` if the store cannot keep it.
    */
    result<issued_session> create(std::string_view subject, const session_context& context = {},
                                  boost::json::object attributes = {})
    {
        return create(clock_.now(), subject, context, std::move(attributes));
    }

    /// `create` at `now`, the instant of the caller's request.
    result<issued_session> create(time_point now, std::string_view subject, const session_context& context = {},
                                  boost::json::object attributes = {})
    {
        if (auto ok = check_subject(subject); !ok)
            return fail(ok.error());
        if (!tessera::detail::readable_back(attributes)) // what the record's reader would refuse
            return fail(errc::malformed);
        session_data data{std::string{subject}, now, now, now + options_.absolute_timeout, context.user_agent,
                          context.ip, std::move(attributes)};
        auto credential = detail::new_opaque(prefix);
        auto issued = store_new(credential, std::move(data), now);
        if (!issued)
            return fail(issued.error());
        return issued;
    }

    /** Looks up the session of `id`, enforcing both timeouts, renewing when due.

        @return `malformed` for an id not of the issued shape (the store is not
        asked); `unknown_session` for an id with no live session;
        `store_unavailable` if the store cannot answer.
    */
    result<validated_session> validate(std::string_view id) { return validate(clock_.now(), id); }

    /** `validate` at `now`, the instant of the caller's request. With `session_fields::without_context`
        the session's user agent and IP are not read (they stay empty): a request that only asks who it
        is does not copy them.
    */
    result<validated_session> validate(time_point now, std::string_view id,
                                       detail::session_fields fields = detail::session_fields::all)
    {
        // One named result on every path, built where the caller receives it (never moved); the key on the stack.
        result<validated_session> out{boost::system::in_place_value};
        detail::opaque_store_key key;
        if (auto shaped = detail::opaque_key_into(id, prefix, key); !shaped) {
            out = shaped.error();
            return out;
        }
        auto& session = out->data;
        // Decoded where the store keeps it (the memory store lends the record; the others copy it out).
        auto decoded = tessera::detail::read_record(store_, key.view(), [&](const record_view* found) -> result<void> {
            if (found == nullptr)
                return fail(errc::unknown_session);
            auto read = detail::decode_session(found->value, session, fields);
            // A renewal writes the whole record back: then every field is read.
            if (read && fields != detail::session_fields::all && now - session.last_seen >= options_.renewal_interval)
                read = detail::decode_session(found->value, session);
            return read;
        });
        if (!decoded || !*decoded) {
            out = decoded ? decoded->error() : decoded.error();
            return out;
        }
        if (now >= detail::session_expiry(session, options_)) {
            (void)store_.erase(key.view()); // the store expires it too; this is only tidiness
            out = errc::unknown_session;
            return out;
        }
        if (now - session.last_seen >= options_.renewal_interval) {
            const auto previous = session.last_seen;
            session.last_seen = now;
            const auto expiry = detail::session_expiry(session, options_);
            // replace() writes only over a live record: a renewal racing a logout cannot resurrect it.
            auto replaced = store_.replace(key.view(), detail::encode_session(session), expiry);
            if (!replaced || !*replaced) {
                out = replaced ? make_error_code(errc::unknown_session) : replaced.error();
                return out;
            }
            out->renewed = expiry != std::min(previous + options_.idle_timeout, session.absolute_expires_at);
        }
        out->max_age = std::chrono::duration_cast<std::chrono::seconds>(detail::session_expiry(session, options_) - now);
        // The handle is what the store key names (the id's hash).
        out->handle.assign(key.hash());
        return out;
    }

    /** Replaces the session of `id` with a new id, killing the old one at once.

        Call it at login over an existing session and on every privilege change
        (session fixation). The new session keeps the subject and, above all,
        the original absolute expiry; it keeps the attributes too, unless
        `attributes` gives new ones (a role granted at this step).

        The new record is written first and the old one taken after: a
        "log out everywhere" running in between erases the new record too
        (the take then finds nothing, and the rotation fails), so no session
        rotated while `revoke_all` runs survives it. If the take's answer is
        lost, the store is asked once more which of the two ids is alive.
        @return `unknown_session` if `id` has no live session (a second rotation of one id included).
    */
    result<issued_session> rotate(std::string_view id, std::optional<boost::json::object> attributes = std::nullopt)
    {
        return rotate(clock_.now(), id, std::move(attributes));
    }

    /// `rotate` at `now`, the instant of the caller's request.
    result<issued_session> rotate(time_point now, std::string_view id,
                                  std::optional<boost::json::object> attributes = std::nullopt)
    {
        auto key = key_of(id);
        if (!key)
            return fail(key.error());
        auto found = live_record(*key);
        if (!found)
            return fail(found.error());
        auto data = detail::decode_session(found->value);
        if (!data)
            return fail(data.error());
        if (now >= detail::session_expiry(*data, options_))
            return fail(errc::unknown_session);
        data->last_seen = now;
        if (attributes) {
            if (!tessera::detail::readable_back(*attributes))
                return fail(errc::malformed);
            data->attributes = std::move(*attributes);
        }

        auto next = detail::new_opaque(prefix);
        auto issued = store_new(next, std::move(*data), now);
        if (!issued) {
            (void)store_.erase(next.key); // it may have been written though the answer was lost
            return fail(issued.error());
        }
        auto taken = store_.take(*key);
        if (taken && *taken)
            return issued;
        if (!taken) {
            // The old id may or may not be gone: ask. Only "gone, and the new one alive" is a rotation.
            auto old = store_.get(*key);
            auto fresh = store_.get(next.key);
            if (old && !*old && fresh && *fresh)
                return issued;
        }
        (void)store_.erase(next.key); // never handed out; the store expires it if this fails too
        return taken ? fail(errc::unknown_session) : fail(taken.error());
    }

    /// Ends the session of `id` (logout). True if it was live.
    result<bool> revoke(std::string_view id)
    {
        auto key = key_of(id);
        if (!key)
            return fail(key.error());
        return store_.erase(*key);
    }

    /** Ends every session of `subject` ("log out everywhere", password change, account disabled).

        Only sessions: other records of the subject in the same store (refresh
        families, deny-list entries, token versions) are not touched.
    */
    result<std::size_t> revoke_all(std::string_view subject)
    {
        return store_.erase_subject(keys::index(keys::kind::session, subject));
    }

    /// Ends every session of `subject` except the one of `current_id`.
    result<std::size_t> revoke_all_except(std::string_view subject, std::string_view current_id)
    {
        auto current = key_of(current_id);
        if (!current)
            return fail(current.error());
        auto listed = store_.list_subject(keys::index(keys::kind::session, subject));
        if (!listed)
            return fail(listed.error());
        std::size_t revoked = 0;
        for (const auto& r : *listed) {
            if (r.key == *current)
                continue;
            auto erased = store_.erase(r.key);
            if (!erased)
                return fail(erased.error());
            if (*erased)
                ++revoked;
        }
        return revoked;
    }

    /** Ends one session of `subject` by the handle `sessions()` listed.
        Only that subject's sessions can be ended this way: another's handle is `false`, as an ended one is.
        @return `malformed` for a handle not of the listed shape (the store is not asked).
    */
    result<bool> revoke_handle(std::string_view subject, std::string_view handle)
    {
        if (!detail::is_listed_id<32>(handle))
            return fail(errc::malformed);
        const std::string key = keys::key(keys::kind::session, handle);
        auto found = store_.get(key);
        if (!found)
            return fail(found.error());
        if (!*found || (*found)->subject != keys::index(keys::kind::session, subject))
            return false;
        return store_.erase(key);
    }

    /// The live sessions of `subject`, with their metadata, through the subject index.
    result<std::vector<session_info>> sessions(std::string_view subject) { return sessions(clock_.now(), subject); }

    /// `sessions` at `now`, the instant of the caller's request.
    result<std::vector<session_info>> sessions(time_point now, std::string_view subject)
    {
        auto listed = store_.list_subject(keys::index(keys::kind::session, subject));
        if (!listed)
            return fail(listed.error());
        std::vector<session_info> out;
        for (auto& r : *listed) {
            auto data = detail::decode_session(r.data.value);
            if (!data)
                return fail(data.error());
            if (now >= detail::session_expiry(*data, options_))
                continue;
            auto hash = keys::id_of(keys::kind::session, r.key);
            if (!hash) // listed under a subject's sessions, yet not a session: a corrupt index
                return fail(store_failure::corrupt_reply);
            out.push_back({std::string{*hash}, std::move(*data)});
        }
        std::sort(out.begin(), out.end(),
                  [](const auto& a, const auto& b) { return a.data.created_at < b.data.created_at; });
        return out;
    }

    [[nodiscard]] const session_options& options() const noexcept { return options_; }

    /** The store key of a session id: `ses:` and base64url(SHA-256(id bytes)).
        @return `malformed` unless `id` is exactly 43 canonical base64url characters.
    */
    result<std::string> key_of(std::string_view id) const
    {
        std::array<std::uint8_t, detail::opaque_bytes> raw;
        auto key = detail::opaque_key(id, prefix, raw);
        // The id's bytes are the session's secret: they do not stay behind on the stack.
        Botan::secure_scrub_memory(raw.data(), raw.size());
        return key;
    }

private:
    static constexpr std::string_view prefix = keys::prefix(keys::kind::session);

    /// The session record under `key`; `unknown_session` if there is none.
    result<record> live_record(const std::string& key)
    {
        auto found = store_.get(key);
        if (!found)
            return fail(found.error());
        if (!*found)
            return fail(errc::unknown_session);
        return std::move(**found);
    }

    result<issued_session> store_new(const detail::opaque_credential& credential, session_data data, time_point now)
    {
        issued_session out{credential.token, std::move(data), {}};
        const auto expiry = detail::session_expiry(out.data, options_);
        if (auto r = store_.put(credential.key, detail::encode_session(out.data), expiry,
                                keys::index(keys::kind::session, out.data.subject));
            !r)
            return fail(r.error());
        out.max_age = std::chrono::duration_cast<std::chrono::seconds>(expiry - now);
        return out;
    }

    Store& store_;
    session_options options_;
    [[no_unique_address]] Clock clock_;
};

} // namespace tessera::inline v0
