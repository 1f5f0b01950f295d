// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    The PostgreSQL store's client: its connections (non-blocking connect
    within `connect_timeout`, the server's `statement_timeout`, the schema
    created or checked, the store id learnt by the first connection and
    checked by every later one, the clock compared, the statements
    prepared), pooled, and one prepared statement per call with binary
    parameters and results. The store (postgres.hpp) is its operations over
    this.
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

namespace tessera::inline v0::detail {

/// The version of the tables this tessera reads and writes (1: records and counters; 2: the store id).
inline constexpr int pg_schema_version = 2;

/// The cause of an error the server reported, from its SQLSTATE.
inline store_failure pg_failure_of(const PGresult* r) noexcept
{
    const char* code = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const std::string_view state{code != nullptr ? code : ""};
    if (state == "57014") // query_canceled: the statement_timeout this store sets
        return store_failure::timeout;
    if (state.starts_with("08") || state.starts_with("57P")) // connection exception, server shutting down
        return store_failure::connection_lost;
    if (state.starts_with("28")) // invalid authorization
        return store_failure::authentication;
    if (state == "3F000" || state == "42P01") // the schema or a table is gone under the running store
        return store_failure::lost_state;
    if (state == "40001" || state == "40P01" || state == "55P03") // serialization, deadlock, lock not available
        return store_failure::busy;
    return store_failure::server_error;
}

/// The cause of a connection that could not be made, from what `connect` said of it.
inline store_failure pg_failure_of(std::string_view why) noexcept
{
    const auto says = [&](std::string_view part) { return why.find(part) != std::string_view::npos; };
    if (says("authentication failed") || says("no pg_hba.conf entry") || says("password"))
        return store_failure::authentication;
    if (says("timed out") || says("timeout expired"))
        return store_failure::timeout;
    if (says("is not the one this store opened") || says("has no store id") || says("does not exist"))
        return store_failure::lost_state;
    if (says("this instance's clock"))
        return store_failure::refused_settings;
    if (says("refused") || says("could not connect") || says("No such file"))
        return store_failure::refused;
    return store_failure::server_error;
}

/// Connections to one PostgreSQL database, and the statements a `basic_postgres_store` runs over them.
template <clock Clock>
class pg_client {
public:
    /** Connects once, creating the schema if needed.
        @throws tessera::error `store_unavailable` if the server cannot be reached, refuses the login, or
        holds a newer schema; `invalid_configuration` if this instance's clock is refused.
    */
    pg_client(postgres_store_options options, Clock clock) : clock_(std::move(clock)), options_(std::move(options))
    {
        std::string why;
        auto first = connect(why, true);
        if (!first)
            throw error{why.starts_with("this instance's clock") ? errc::invalid_configuration : errc::store_unavailable,
                        "postgres_store: " + why};
        store_id_ = std::move(why); // what a successful first connection leaves there
        pool_.adopt(std::move(first));
    }

    pg_client(const pg_client&) = delete;
    pg_client& operator=(const pg_client&) = delete;

    [[nodiscard]] const Clock& clock() const noexcept { return clock_; }
    [[nodiscard]] const postgres_store_options& options() const noexcept { return options_; }
    /// The id the schema was created with; every statement that reads or writes names it.
    [[nodiscard]] const std::string& store_id() const noexcept { return store_id_; }

    /// Runs a prepared statement with binary parameters and results; `store_unavailable` if it fails.
    result<pg_result> run(pg_op op, std::initializer_list<std::string_view> params)
    {
        const auto& st = pg_statements[static_cast<std::size_t>(op)];
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
            return pool_.lost(*lease, store_failure::connection_lost);
        auto r = finish(c, deadline(options_.command_timeout));
        if (!r)
            return pool_.lost(*lease, PQstatus(c) == CONNECTION_BAD ? store_failure::connection_lost
                                                                    : store_failure::timeout);
        const auto status = PQresultStatus(r.get());
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            // An error the server reported (a timeout, a lock, a constraint): the connection is still in step.
            if (PQstatus(c) == CONNECTION_BAD)
                return pool_.lost(*lease, store_failure::connection_lost);
            pool_.give_back(std::move(*lease));
            return fail(pg_failure_of(r.get()));
        }
        pool_.give_back(std::move(*lease));
        return r;
    }

private:
    using handle = pg_connection;
    friend opens_with<pg_client>;

    /// A new connection for the pool; null, and why, if none could be made.
    handle open(store_failure& cause) const
    {
        std::string why;
        auto c = connect(why, false);
        if (!c)
            cause = pg_failure_of(why);
        return c;
    }

    std::chrono::steady_clock::time_point deadline(std::chrono::milliseconds d) const
    {
        return std::chrono::steady_clock::now() + d;
    }

    /// Reads every result of the query sent on `c`, keeping the last; null when the connection failed.
    static pg_result finish(PGconn* c, std::chrono::steady_clock::time_point until)
    {
        for (;;) {
            const int flushed = PQflush(c);
            if (flushed == 0)
                break;
            if (flushed < 0 || !pg_wait(PQsocket(c), POLLOUT, until))
                return nullptr;
        }
        pg_result last;
        for (;;) {
            while (PQisBusy(c) != 0) {
                if (!pg_wait(PQsocket(c), POLLIN, until) || PQconsumeInput(c) == 0)
                    return nullptr;
            }
            pg_result r{PQgetResult(c)};
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
            if (!pg_wait(PQsocket(c.get()), state == PGRES_POLLING_READING ? POLLIN : POLLOUT, until)) {
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
        for (const auto& st : pg_statements) {
            const auto sql = pg_sql(st.sql, schema);
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
        if (version != std::to_string(pg_schema_version)) {
            why = "schema version " + version + " is not one this tessera understands";
            return false;
        }
        return true;
    }

    [[no_unique_address]] Clock clock_;
    postgres_store_options options_;
    std::string store_id_;
    connection_pool<handle, opens_with<pg_client>> pool_{options_.connections, options_.command_timeout, {this}};
};

} // namespace tessera::inline v0::detail
