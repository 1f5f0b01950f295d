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
    static constexpr int schema_version = 2;

    /** Connects once, creating the schema if needed.
        @throws tessera::error `invalid_configuration` for bad options; `store_unavailable` if the
        server cannot be reached, refuses the login, or holds a newer schema.
    */
    explicit basic_postgres_store(postgres_store_options options, Clock clock = {})
        : clock_(std::move(clock)), options_(std::move(options))
    {
        const auto& s = options_.schema;
        const bool schema_ok = !s.empty() && s.size() <= 63 && !(s[0] >= '0' && s[0] <= '9') &&
                               std::all_of(s.begin(), s.end(), [](char c) {
                                   return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                               });
        if (!schema_ok)
            throw error{errc::invalid_configuration,
                        "postgres_store: the schema name is lower-case letters, digits and '_', at most 63"};
        detail::check_network_options("postgres_store", options_);
        std::string why;
        auto first = connect(why, true);
        if (!first)
            throw error{why.starts_with("this instance's clock") ? errc::invalid_configuration : errc::store_unavailable,
                        "postgres_store: " + why};
        store_id_ = std::move(why); // what a successful first connection leaves there
        pool_.adopt(std::move(first));
    }

    basic_postgres_store(const basic_postgres_store&) = delete;
    basic_postgres_store& operator=(const basic_postgres_store&) = delete;

    result<void> put(std::string_view key, std::string_view value, time_point expires_at, std::string_view subject = {})
    {
        const auto now = clock_.now();
        if (expires_at <= now) {
            auto r = run(detail::pg_op::erase_any, {key});
            if (!r)
                return fail(r.error());
            return {};
        }
        const detail::pg_int8 e{seconds(expires_at)};
        auto r = run(detail::pg_op::put, {key, value, subject, e.view()});
        if (!r)
            return fail(r.error());
        return {};
    }

    result<bool> insert(std::string_view key, std::string_view value, time_point expires_at,
                        std::string_view subject = {})
    {
        const auto now = clock_.now();
        const detail::pg_int8 e{seconds(detail::decision_expiry(expires_at, now))}, n{seconds(now)};
        auto r = run(detail::pg_op::insert, {key, value, subject, e.view(), n.view()});
        if (!r)
            return fail(r.error());
        return changed(r->get());
    }

    result<bool> replace(std::string_view key, std::string_view value, time_point expires_at)
    {
        const auto now = clock_.now();
        const detail::pg_int8 n{seconds(now)};
        if (expires_at <= now) {
            if (auto r = run(detail::pg_op::erase_any, {key}); !r)
                return fail(r.error());
            return false;
        }
        const detail::pg_int8 e{seconds(expires_at)};
        auto r = run(detail::pg_op::replace, {value, e.view(), key, n.view()});
        if (!r)
            return fail(r.error());
        return changed(r->get());
    }

    result<std::optional<record>> get(std::string_view key)
    {
        const auto now = clock_.now();
        const detail::pg_int8 n{seconds(now)};
        auto r = run(detail::pg_op::get, {key, n.view(), store_id_});
        if (!r)
            return fail(r.error());
        return one_record(r->get(), now);
    }

    /// Several records in one round trip (`key IN (...)` for two or three, else `key = ANY($1)`), in the order of `keys`.
    result<std::vector<std::optional<record>>> get_many(std::span<const std::string> keys)
    {
        const auto now = clock_.now();
        const detail::pg_int8 n{seconds(now)};
        if (keys.empty())
            return std::vector<std::optional<record>>{};
        result<detail::pg_result> r = fail(errc::store_unavailable);
        if (keys.size() == 2) {
            r = run(detail::pg_op::get_2, {keys[0], keys[1], n.view(), store_id_});
        } else if (keys.size() == 3) {
            r = run(detail::pg_op::get_3, {keys[0], keys[1], keys[2], n.view(), store_id_});
        } else {
            detail::pg_array wanted{detail::pg_bytea};
            for (const auto& k : keys)
                wanted.add(std::string_view{k});
            const auto array = wanted.encode();
            r = run(detail::pg_op::get_many, {array, n.view(), store_id_});
        }
        if (!r)
            return fail(r.error());
        const PGresult* res = r->get();
        if (PQnfields(res) != 4 || PQntuples(res) == 0) // no row: not the store this object opened
            return fail(errc::store_unavailable);
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
        const auto now = clock_.now();
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
        auto result = run(detail::pg_op::insert_then, {ka, va, sa, ea, ra, n.view()});
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
        const auto now = clock_.now();
        auto r = run(detail::pg_op::take, {key, store_id_});
        if (!r)
            return fail(r.error());
        return one_record(r->get(), now);
    }

    result<std::vector<keyed_record>> list_subject(std::string_view subject)
    {
        const auto now = clock_.now();
        std::vector<keyed_record> out;
        if (subject.empty())
            return out;
        const detail::pg_int8 n{seconds(now)};
        auto r = run(detail::pg_op::list, {subject, n.view(), store_id_});
        if (!r)
            return fail(r.error());
        const PGresult* res = r->get();
        if (PQntuples(res) == 0)
            return fail(errc::store_unavailable);
        for (int row = 0; row < PQntuples(res); ++row) {
            if (PQgetisnull(res, row, 0) != 0)
                continue;
            const auto e = detail::pg_read_int8(res, row, 2);
            if (!e || *e < 0 || *e > max_time_seconds)
                return fail(errc::store_unavailable);
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
        const detail::pg_int8 n{seconds(clock_.now())};
        auto r = run(detail::pg_op::erase_subject, {subject, n.view()});
        if (!r)
            return fail(r.error());
        return count(r->get());
    }

    result<std::int64_t> increment(std::string_view key, std::int64_t delta, time_point expires_at)
    {
        const auto now = clock_.now();
        const detail::pg_int8 d{delta}, e{seconds(detail::decision_expiry(expires_at, now))}, n{seconds(now)};
        auto r = run(detail::pg_op::increment, {key, d.view(), e.view(), n.view()});
        if (!r)
            return fail(r.error());
        if (PQntuples(r->get()) != 1)
            return fail(errc::store_unavailable);
        auto v = detail::pg_read_int8(r->get(), 0, 0);
        if (!v)
            return fail(errc::store_unavailable);
        return *v;
    }

    result<std::int64_t> counter(std::string_view key)
    {
        const detail::pg_int8 n{seconds(clock_.now())};
        auto r = run(detail::pg_op::counter, {key, n.view(), store_id_});
        if (!r)
            return fail(r.error());
        if (PQntuples(r->get()) != 1)
            return fail(errc::store_unavailable);
        if (PQgetisnull(r->get(), 0, 0) != 0)
            return std::int64_t{0};
        auto v = detail::pg_read_int8(r->get(), 0, 0);
        if (!v)
            return fail(errc::store_unavailable);
        return *v;
    }

    result<std::size_t> purge_expired(std::size_t budget = 1024)
    {
        const detail::pg_int8 n{seconds(clock_.now())}, limit{static_cast<std::int64_t>(budget)};
        auto r = run(detail::pg_op::purge, {n.view(), limit.view()});
        if (!r)
            return fail(r.error());
        auto purged = count(r->get());
        if (!purged)
            return purged;
        if (auto c = run(detail::pg_op::purge_counters, {n.view(), limit.view()}); !c)
            return fail(c.error());
        return purged;
    }

    [[nodiscard]] const Clock& clock() const noexcept { return clock_; }
    [[nodiscard]] const postgres_store_options& options() const noexcept { return options_; }
    /// How far apart the clocks of the instances sharing this store may be (what revocations add as a margin).
    [[nodiscard]] std::chrono::seconds max_clock_skew() const noexcept { return options_.max_clock_skew; }

private:
    using handle = detail::pg_connection;

    struct opener {
        const basic_postgres_store* self;
        handle operator()() const
        {
            std::string why;
            return self->connect(why, false);
        }
    };

    static std::int64_t seconds(time_point t) noexcept { return t.time_since_epoch().count(); }

    std::chrono::steady_clock::time_point deadline(std::chrono::milliseconds d) const
    {
        return std::chrono::steady_clock::now() + d;
    }

    /// Reads every result of the query sent on `c`, keeping the last; null when the connection failed.
    static detail::pg_result finish(PGconn* c, std::chrono::steady_clock::time_point until)
    {
        for (;;) {
            const int flushed = PQflush(c);
            if (flushed == 0)
                break;
            if (flushed < 0 || !detail::pg_wait(PQsocket(c), POLLOUT, until))
                return nullptr;
        }
        detail::pg_result last;
        for (;;) {
            while (PQisBusy(c) != 0) {
                if (!detail::pg_wait(PQsocket(c), POLLIN, until) || PQconsumeInput(c) == 0)
                    return nullptr;
            }
            detail::pg_result r{PQgetResult(c)};
            if (!r)
                break;
            if (PQresultStatus(r.get()) == PGRES_FATAL_ERROR && PQstatus(c) == CONNECTION_BAD)
                return nullptr;
            last = std::move(r);
        }
        return last;
    }

    /// Runs a simple command while opening a connection; false (and `why`) if it fails.
    static bool exec(PGconn* c, const std::string& sql, std::chrono::steady_clock::time_point until, std::string& why)
    {
        if (PQsendQuery(c, sql.c_str()) == 0) {
            why = PQerrorMessage(c);
            return false;
        }
        auto r = finish(c, until);
        if (!r || (PQresultStatus(r.get()) != PGRES_COMMAND_OK && PQresultStatus(r.get()) != PGRES_TUPLES_OK)) {
            why = r ? PQresultErrorMessage(r.get()) : PQerrorMessage(c);
            return false;
        }
        return true;
    }

    /// A connection with the statements prepared (and, the first time, the schema created); null on failure.
    handle connect(std::string& why, bool create) const
    {
        const auto until = deadline(options_.connect_timeout);
        const char* keywords[] = {"dbname", nullptr};
        const char* values[] = {options_.connection.c_str(), nullptr};
        handle c{PQconnectStartParams(keywords, values, 1)};
        if (!c || PQstatus(c.get()) == CONNECTION_BAD) {
            why = c ? PQerrorMessage(c.get()) : "cannot allocate a connection";
            return nullptr;
        }
        for (auto state = PGRES_POLLING_WRITING; state != PGRES_POLLING_OK;) {
            if (state == PGRES_POLLING_FAILED) {
                why = PQerrorMessage(c.get());
                return nullptr;
            }
            if (!detail::pg_wait(PQsocket(c.get()), state == PGRES_POLLING_READING ? POLLIN : POLLOUT, until)) {
                why = "connection timed out";
                return nullptr;
            }
            state = PQconnectPoll(c.get());
        }
        // Notices ("already exists, skipping") are not errors; nothing of tessera's writes to stderr.
        PQsetNoticeProcessor(c.get(), [](void*, const char*) {}, nullptr);
        if (PQsetnonblocking(c.get(), 1) != 0) {
            why = PQerrorMessage(c.get());
            return nullptr;
        }
        const auto& schema = options_.schema;
        if (!exec(c.get(), "SET statement_timeout = " + std::to_string(options_.command_timeout.count()), until, why))
            return nullptr;
        if (create && !migrate(c.get(), schema, until, why))
            return nullptr;
        // The store id: learnt by the first connection, checked by every later one (the statements check
        // it too, on every read: a schema re-created while a connection is open is refused there).
        auto id = read_store_id(c.get(), schema, until, why);
        if (!id)
            return nullptr;
        if (options_.max_clock_skew.count() > 0 && !check_clock(c.get(), until, why))
            return nullptr;
        if (!create && *id != store_id_) {
            why = "the schema " + schema + " is not the one this store opened (dropped and created again?): "
                  "what it lost would read as nothing revoked";
            return nullptr;
        }
        for (const auto& st : detail::pg_statements) {
            const auto sql = detail::pg_sql(st.sql, schema);
            if (PQsendPrepare(c.get(), st.name, sql.c_str(), st.params, st.types.data()) == 0) {
                why = PQerrorMessage(c.get());
                return nullptr;
            }
            auto r = finish(c.get(), until);
            if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK) {
                why = r ? PQresultErrorMessage(r.get()) : PQerrorMessage(c.get());
                return nullptr;
            }
        }
        if (create)
            why = std::move(*id);
        return c;
    }

    /// Whether this instance's clock is within `max_clock_skew` of the server's; false (and why) if not.
    bool check_clock(PGconn* c, std::chrono::steady_clock::time_point until, std::string& why) const
    {
        if (PQsendQuery(c, "SELECT floor(extract(epoch FROM clock_timestamp()))::bigint") == 0) {
            why = PQerrorMessage(c);
            return false;
        }
        auto r = finish(c, until);
        if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) != 1) {
            why = r ? std::string{"cannot read the server's clock"} : std::string{PQerrorMessage(c)};
            return false;
        }
        const std::string text = PQgetvalue(r.get(), 0, 0);
        std::int64_t server = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), server);
        if (ec != std::errc{} || end != text.data() + text.size()) {
            why = "cannot read the server's clock";
            return false;
        }
        why = skew_refusal(clock_.now(), time_point{std::chrono::seconds{server}}, options_.max_clock_skew,
                           "the PostgreSQL server's");
        return why.empty();
    }

    static std::optional<std::string> read_store_id(PGconn* c, const std::string& schema,
                                                    std::chrono::steady_clock::time_point until, std::string& why)
    {
        const auto sql = "SELECT value FROM \"" + schema + "\".meta WHERE key = 'store_id'";
        if (PQsendQuery(c, sql.c_str()) == 0) {
            why = PQerrorMessage(c);
            return std::nullopt;
        }
        auto r = finish(c, until);
        if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) != 1) {
            why = r ? std::string{"the schema " + schema + " has no store id"} : std::string{PQerrorMessage(c)};
            return std::nullopt;
        }
        return std::string{PQgetvalue(r.get(), 0, 0)};
    }

    /// Creates the schema, or checks that the one there is this version, in one transaction.
    static bool migrate(PGconn* c, const std::string& schema, std::chrono::steady_clock::time_point until,
                        std::string& why)
    {
        const std::string s = "\"" + schema + "\"";
        const std::string sql =
            "BEGIN;"
            "SELECT pg_advisory_xact_lock(hashtext('tessera:' || '" + schema + "'));"
            "CREATE SCHEMA IF NOT EXISTS " + s + ";"
            "CREATE TABLE IF NOT EXISTS " + s + ".meta(key text PRIMARY KEY, value text NOT NULL);"
            "INSERT INTO " + s + ".meta VALUES('schema_version', '2') ON CONFLICT(key) DO NOTHING;"
            // Version 2 adds the store id: random, written once with the schema, never changed.
            "INSERT INTO " + s + ".meta VALUES('store_id', gen_random_uuid()::text) ON CONFLICT(key) DO NOTHING;"
            "UPDATE " + s + ".meta SET value = '2' WHERE key = 'schema_version' AND value = '1';"
            "CREATE TABLE IF NOT EXISTS " + s + ".records("
            "  key bytea PRIMARY KEY, value bytea NOT NULL, subject bytea NOT NULL, expires_at bigint NOT NULL);"
            // A subject's live records from one index, both conditions in it (version 1 had `subject` alone,
            // which the planner combined with the expiry index: a cost that grew with the whole table).
            "CREATE INDEX IF NOT EXISTS records_by_subject ON " + s + ".records(subject, expires_at) "
            "  WHERE subject <> ''::bytea;"
            "DROP INDEX IF EXISTS " + s + ".records_subject;"
            "CREATE INDEX IF NOT EXISTS records_expiry ON " + s + ".records(expires_at);"
            "CREATE TABLE IF NOT EXISTS " + s + ".counters("
            "  key bytea PRIMARY KEY, value bigint NOT NULL, expires_at bigint NOT NULL);"
            "CREATE INDEX IF NOT EXISTS counters_expiry ON " + s + ".counters(expires_at);"
            // One DELETE sees the rows committed when it began; a session rotated meanwhile (new row
            // written, old row taken before the DELETE reached it) slips past it. So: passes, each with
            // a fresh snapshot (READ COMMITTED), at least two, until one deletes nothing. A rotation
            // that took its old row after the first pass had passed it cannot exist (the first pass
            // deletes or skips every row it saw), so its new row was committed before the second
            // pass began, which deletes it: whatever was written before the last pass is gone.
            "CREATE OR REPLACE FUNCTION " + s + ".erase_subject(p_subject bytea, p_now bigint) RETURNS bigint "
            "LANGUAGE plpgsql AS $f$ DECLARE live bigint := 0; passes int := 0; n bigint; m bigint; BEGIN LOOP "
            "WITH gone AS (DELETE FROM " + s + ".records r WHERE r.subject = p_subject AND r.subject <> ''::bytea "
            "RETURNING r.expires_at) "
            "SELECT count(*), count(*) FILTER (WHERE g.expires_at > p_now) INTO n, m FROM gone g; "
            "live := live + m; passes := passes + 1; EXIT WHEN n = 0 AND passes >= 2; END LOOP; "
            "RETURN live; END $f$;"
            "COMMIT;";
        if (!exec(c, sql, until, why)) {
            std::string ignored;
            (void)exec(c, "ROLLBACK", until, ignored);
            return false;
        }
        if (PQsendQuery(c, ("SELECT value FROM " + s + ".meta WHERE key = 'schema_version'").c_str()) == 0) {
            why = PQerrorMessage(c);
            return false;
        }
        auto r = finish(c, until);
        if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) != 1) {
            why = "cannot read the schema version";
            return false;
        }
        const std::string version = PQgetvalue(r.get(), 0, 0);
        if (version != std::to_string(schema_version)) {
            why = "schema version " + version + " is not one this tessera understands";
            return false;
        }
        return true;
    }

    /// Runs a prepared statement with binary parameters and results; `store_unavailable` if it fails.
    result<detail::pg_result> run(detail::pg_op op, std::initializer_list<std::string_view> params)
    {
        const auto& st = detail::pg_statements[static_cast<std::size_t>(op)];
        std::array<const char*, 6> values{};
        std::array<int, 6> lengths{}, formats{};
        std::size_t i = 0;
        for (auto p : params) {
            values[i] = p.data() != nullptr ? p.data() : "";
            lengths[i] = static_cast<int>(p.size());
            formats[i] = 1;
            ++i;
        }
        auto lease = pool_.borrow();
        if (!lease)
            return fail(lease.error());
        PGconn* c = lease->get();
        if (PQsendQueryPrepared(c, st.name, static_cast<int>(i), values.data(), lengths.data(), formats.data(), 1) ==
            0)
            return pool_.lost(*lease);
        auto r = finish(c, deadline(options_.command_timeout));
        if (!r)
            return pool_.lost(*lease);
        const auto status = PQresultStatus(r.get());
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            // An error the server reported (a timeout, a lock, a constraint): the connection is still in step.
            if (PQstatus(c) == CONNECTION_BAD)
                return pool_.lost(*lease);
            pool_.give_back(std::move(*lease));
            return fail(errc::store_unavailable);
        }
        pool_.give_back(std::move(*lease));
        return r;
    }

    static bool changed(const PGresult* r) noexcept
    {
        const char* n = PQcmdTuples(const_cast<PGresult*>(r));
        return n != nullptr && std::strcmp(n, "1") == 0;
    }

    static result<std::size_t> count(const PGresult* r)
    {
        if (PQntuples(r) != 1)
            return fail(errc::store_unavailable);
        auto n = detail::pg_read_int8(r, 0, 0);
        if (!n || *n < 0)
            return fail(errc::store_unavailable);
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

    [[no_unique_address]] Clock clock_;
    postgres_store_options options_;
    std::string store_id_;
    detail::connection_pool<handle, opener> pool_{options_.connections, options_.command_timeout, opener{this}};
};

/// The PostgreSQL store on the system clock.
using postgres_store = basic_postgres_store<>;

static_assert(store<postgres_store>);

} // namespace tessera::inline v0
