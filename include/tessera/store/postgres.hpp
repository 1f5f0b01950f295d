// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    `postgres_store`: records, the subject index and counters in PostgreSQL,
    shared by every instance of an application.

    Optional: link `tessera::postgres` (libpq; PostgreSQL 13 or later on the
    server). TLS, passwords and the rest of the connection are libpq's, set
    in the connection string as usual (`sslmode=verify-full`, a password
    file, `PGPASSWORD`...).

    @par Tables (in the schema named by `postgres_store_options::schema`)
    | table | columns |
    |---|---|
    | `records` | `key bytea` primary key, `value bytea`, `subject bytea`, `expires_at bigint`; indexed by `(subject, expires_at)` and by `expires_at` |
    | `counters` | `key bytea` primary key, `value bigint`, `expires_at bigint` |
    | `meta` | `key text` primary key, `value text`: the schema version, the store id |
    | function `erase_subject(bytea, bigint)` | "log out everywhere" as one atomic step |

    Keys, values and subjects are `bytea`, so that no byte a caller stores
    is refused or changed by a text encoding. Times are Unix seconds.
*/

#include <tessera/core/clock.hpp>
#include <tessera/core/error.hpp>
#include <tessera/store/concepts.hpp>
#include <tessera/store/detail/pg_client.hpp>
#include <tessera/store/detail/pg_statements.hpp>
#include <tessera/store/detail/pg_wire.hpp>
#include <tessera/store/pool.hpp>
#include <tessera/store/postgres_options.hpp>

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::inline v0 {

/** Records and counters in PostgreSQL, for a fleet of instances that must agree.

    Every operation is one prepared statement, atomic on its own: `take` is
    a `DELETE ... RETURNING`, `insert` an `INSERT ... ON CONFLICT DO UPDATE
    ... WHERE` the old row has expired, counters `INSERT ... ON CONFLICT DO
    UPDATE ... RETURNING`, `erase_subject` one call of the schema's
    `erase_subject` function, which deletes in passes until one finds nothing (so a
    session rotated during "log out everywhere" is either erased by it or
    written after it).

    The schema is created (or checked) on open in one transaction, under an
    advisory lock so that instances starting together do not race, and
    versioned in its `meta` table; a newer version is refused, not misread.

    @par A schema dropped and created again
    The schema carries a random store id (`meta`), written when it is
    created. A store learns it on open, checks it on every new connection,
    and every read that can decide a revocation is driven by it: a schema
    dropped and re-created empty under a running store (by a migration tool,
    an operator, another deployment starting on an empty database) is
    refused, `store_unavailable`, never read as "nothing revoked". A store
    opened afterwards cannot tell it from a new deployment (README, "What a
    lost store means").

    @par Failures
    Each statement runs with a client-side deadline (`command_timeout`) as
    well as the server's `statement_timeout`: a server that is down, frozen
    or unreachable answers `store_unavailable` within it, and the connection
    is closed; the next request opens a new one, so the same store object
    works again when the server is back. Nothing is read as "not found".

    @par Durability
    A write has returned only once PostgreSQL committed it: with the default
    `synchronous_commit = on` it survives a crash of the server.

    @par Thread Safety
    Every member function may be called from many threads at once.
*/
template <clock Clock = system_clock>
class basic_postgres_store {
public:
    /// The version of the tables this tessera reads and writes (1: records and counters; 2: the store id).
    static constexpr int schema_version = detail::pg_schema_version;

    /** Connects once, creating the schema if needed.
        @throws tessera::error `invalid_configuration` for bad options; `store_unavailable` if the
        server cannot be reached, refuses the login, or holds a newer schema.
    */
    explicit basic_postgres_store(postgres_store_options options, Clock clock = {})
        : client_(checked(std::move(options)), std::move(clock))
    {
    }

    basic_postgres_store(const basic_postgres_store&) = delete;
    basic_postgres_store& operator=(const basic_postgres_store&) = delete;

    result<void> put(std::string_view key, std::string_view value, time_point expires_at, std::string_view subject = {})
    {
        const auto now = client_.clock().now();
        if (expires_at <= now) {
            auto r = client_.run(detail::pg_op::erase_any, {key});
            if (!r)
                return fail(r.error());
            return {};
        }
        const detail::pg_int8 e{seconds(expires_at)};
        auto r = client_.run(detail::pg_op::put, {key, value, subject, e.view()});
        if (!r)
            return fail(r.error());
        return {};
    }

    result<bool> insert(std::string_view key, std::string_view value, time_point expires_at,
                        std::string_view subject = {})
    {
        const auto now = client_.clock().now();
        const detail::pg_int8 e{seconds(detail::decision_expiry(expires_at, now))}, n{seconds(now)};
        auto r = client_.run(detail::pg_op::insert, {key, value, subject, e.view(), n.view()});
        if (!r)
            return fail(r.error());
        return changed(r->get());
    }

    result<bool> replace(std::string_view key, std::string_view value, time_point expires_at)
    {
        const auto now = client_.clock().now();
        const detail::pg_int8 n{seconds(now)};
        if (expires_at <= now) {
            if (auto r = client_.run(detail::pg_op::erase_any, {key}); !r)
                return fail(r.error());
            return false;
        }
        const detail::pg_int8 e{seconds(expires_at)};
        auto r = client_.run(detail::pg_op::replace, {value, e.view(), key, n.view()});
        if (!r)
            return fail(r.error());
        return changed(r->get());
    }

    result<std::optional<record>> get(std::string_view key)
    {
        const auto now = client_.clock().now();
        const detail::pg_int8 n{seconds(now)};
        auto r = client_.run(detail::pg_op::get, {key, n.view(), client_.store_id()});
        if (!r)
            return fail(r.error());
        return one_record(r->get(), now);
    }

    /// Several records in one round trip (`key IN (...)` for two or three, else `key = ANY($1)`), in the order of `keys`.
    result<std::vector<std::optional<record>>> get_many(std::span<const std::string> keys)
    {
        const auto now = client_.clock().now();
        const detail::pg_int8 n{seconds(now)};
        if (keys.empty())
            return std::vector<std::optional<record>>{};
        result<detail::pg_result> r = fail(store_failure::server_error);
        if (keys.size() == 2) {
            r = client_.run(detail::pg_op::get_2, {keys[0], keys[1], n.view(), client_.store_id()});
        } else if (keys.size() == 3) {
            r = client_.run(detail::pg_op::get_3, {keys[0], keys[1], keys[2], n.view(), client_.store_id()});
        } else {
            detail::pg_array wanted{detail::pg_bytea};
            for (const auto& k : keys)
                wanted.add(std::string_view{k});
            const auto array = wanted.encode();
            r = client_.run(detail::pg_op::get_many, {array, n.view(), client_.store_id()});
        }
        if (!r)
            return fail(r.error());
        const PGresult* res = r->get();
        if (PQnfields(res) != 4)
            return fail(store_failure::corrupt_reply);
        if (PQntuples(res) == 0) // no row: not the store this object opened
            return fail(store_failure::lost_state);
        std::vector<std::optional<record>> out(keys.size());
        for (int row = 0; row < PQntuples(res); ++row) {
            if (PQgetisnull(res, row, 0) != 0)
                continue; // the one row of a read that found nothing
            const auto key = detail::pg_read_bytes(res, row, 0);
            auto rec = row_record(res, row, 1, now);
            if (!rec)
                return fail(rec.error());
            for (std::size_t i = 0; i < keys.size(); ++i)
                if (keys[i] == key)
                    out[i] = *rec;
        }
        return out;
    }

    /** `first` only where no live record is, and then, only if it was written, each of `then`
        (a put, or a replace with `replace_only`): one statement, so one atomic step and one round trip.
    */
    result<bool> insert_then(const store_write& first, std::span<const store_write> then)
    {
        const auto now = client_.clock().now();
        detail::pg_array k{detail::pg_bytea}, v{detail::pg_bytea}, s{detail::pg_bytea}, e{detail::pg_bigint},
            r{detail::pg_bigint};
        auto add = [&](const store_write& w, time_point expires) {
            k.add(w.key);
            v.add(w.value);
            s.add(w.subject);
            e.add(seconds(expires));
            r.add(std::int64_t{w.replace_only ? 1 : 0});
        };
        // The guard is live when written, even if it expires this second (as insert).
        add(first, detail::decision_expiry(first.expires_at, now));
        for (const auto& w : then)
            add(w, w.expires_at);
        const auto ka = k.encode(), va = v.encode(), sa = s.encode(), ea = e.encode(), ra = r.encode();
        const detail::pg_int8 n{seconds(now)};
        auto result = client_.run(detail::pg_op::insert_then, {ka, va, sa, ea, ra, n.view()});
        if (!result)
            return fail(result.error());
        auto written = count(result->get());
        if (!written)
            return fail(written.error());
        return *written == 1;
    }

    result<bool> erase(std::string_view key)
    {
        auto r = take(key);
        if (!r)
            return fail(r.error());
        return r->has_value();
    }

    result<std::optional<record>> take(std::string_view key)
    {
        const auto now = client_.clock().now();
        auto r = client_.run(detail::pg_op::take, {key, client_.store_id()});
        if (!r)
            return fail(r.error());
        return one_record(r->get(), now);
    }

    result<std::vector<keyed_record>> list_subject(std::string_view subject)
    {
        const auto now = client_.clock().now();
        std::vector<keyed_record> out;
        if (subject.empty())
            return out;
        const detail::pg_int8 n{seconds(now)};
        auto r = client_.run(detail::pg_op::list, {subject, n.view(), client_.store_id()});
        if (!r)
            return fail(r.error());
        const PGresult* res = r->get();
        if (PQntuples(res) == 0)
            return fail(store_failure::lost_state);
        for (int row = 0; row < PQntuples(res); ++row) {
            if (PQgetisnull(res, row, 0) != 0)
                continue;
            const auto e = detail::pg_read_int8(res, row, 2);
            if (!e || *e < 0 || *e > max_time_seconds)
                return fail(store_failure::corrupt_reply);
            out.push_back({detail::pg_read_bytes(res, row, 0),
                           record{detail::pg_read_bytes(res, row, 1), std::string{subject},
                                  time_point{std::chrono::seconds{*e}}}});
        }
        return out;
    }

    result<std::size_t> erase_subject(std::string_view subject)
    {
        if (subject.empty())
            return std::size_t{0};
        const detail::pg_int8 n{seconds(client_.clock().now())};
        auto r = client_.run(detail::pg_op::erase_subject, {subject, n.view()});
        if (!r)
            return fail(r.error());
        return count(r->get());
    }

    result<std::int64_t> increment(std::string_view key, std::int64_t delta, time_point expires_at)
    {
        const auto now = client_.clock().now();
        const detail::pg_int8 d{delta}, e{seconds(detail::decision_expiry(expires_at, now))}, n{seconds(now)};
        auto r = client_.run(detail::pg_op::increment, {key, d.view(), e.view(), n.view()});
        if (!r)
            return fail(r.error());
        if (PQntuples(r->get()) != 1)
            return fail(store_failure::lost_state);
        auto v = detail::pg_read_int8(r->get(), 0, 0);
        if (!v)
            return fail(store_failure::corrupt_reply);
        return *v;
    }

    result<std::int64_t> counter(std::string_view key)
    {
        const detail::pg_int8 n{seconds(client_.clock().now())};
        auto r = client_.run(detail::pg_op::counter, {key, n.view(), client_.store_id()});
        if (!r)
            return fail(r.error());
        if (PQntuples(r->get()) != 1)
            return fail(store_failure::lost_state);
        if (PQgetisnull(r->get(), 0, 0) != 0)
            return std::int64_t{0};
        auto v = detail::pg_read_int8(r->get(), 0, 0);
        if (!v)
            return fail(store_failure::corrupt_reply);
        return *v;
    }

    result<std::size_t> purge_expired(std::size_t budget = 1024)
    {
        const detail::pg_int8 n{seconds(client_.clock().now())}, limit{static_cast<std::int64_t>(budget)};
        auto r = client_.run(detail::pg_op::purge, {n.view(), limit.view()});
        if (!r)
            return fail(r.error());
        auto purged = count(r->get());
        if (!purged)
            return purged;
        if (auto c = client_.run(detail::pg_op::purge_counters, {n.view(), limit.view()}); !c)
            return fail(c.error());
        return purged;
    }

    [[nodiscard]] const Clock& clock() const noexcept { return client_.clock(); }
    [[nodiscard]] const postgres_store_options& options() const noexcept { return client_.options(); }
    /// How far apart the clocks of the instances sharing this store may be (what revocations add as a margin).
    [[nodiscard]] std::chrono::seconds max_clock_skew() const noexcept { return client_.options().max_clock_skew; }

private:
    static postgres_store_options checked(postgres_store_options o)
    {
        const auto& s = o.schema;
        const bool schema_ok = !s.empty() && s.size() <= 63 && !(s[0] >= '0' && s[0] <= '9') &&
                               std::all_of(s.begin(), s.end(), [](char c) {
                                   return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                               });
        if (!schema_ok)
            throw error{errc::invalid_configuration,
                        "postgres_store: the schema name is lower-case letters, digits and '_', at most 63"};
        detail::check_network_options("postgres_store", o);
        return o;
    }

    static std::int64_t seconds(time_point t) noexcept { return t.time_since_epoch().count(); }

    static bool changed(const PGresult* r) noexcept
    {
        const char* n = PQcmdTuples(const_cast<PGresult*>(r));
        return n != nullptr && std::strcmp(n, "1") == 0;
    }

    static result<std::size_t> count(const PGresult* r)
    {
        if (PQntuples(r) != 1)
            return fail(store_failure::lost_state);
        auto n = detail::pg_read_int8(r, 0, 0);
        if (!n || *n < 0)
            return fail(store_failure::corrupt_reply);
        return static_cast<std::size_t>(*n);
    }

    static result<std::optional<record>> row_record(const PGresult* r, int row, int first, time_point now)
    {
        return detail::pg_row_record(r, row, first, now);
    }
    static result<std::optional<record>> one_record(const PGresult* r, time_point now)
    {
        return detail::pg_one_record(r, now);
    }

    detail::pg_client<Clock> client_;
};

/// The PostgreSQL store on the system clock.
using postgres_store = basic_postgres_store<>;

static_assert(store<postgres_store>);

} // namespace tessera::inline v0
