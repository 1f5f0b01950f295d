// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    The SQL of `postgres_store`: its prepared statements, one per operation, in `pg_op` order.
*/

#include <libpq-fe.h>

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace tessera::inline v0::detail {

/// The statements of the store, by name; `$S` stands for the schema.
struct pg_statement {
    const char* name;
    const char* sql;
    int params;
    std::array<Oid, 6> types;
};

inline constexpr Oid pg_bytea = 17, pg_bigint = 20, pg_text = 25, pg_bytea_array = 1001, pg_bigint_array = 1016;

inline constexpr std::array<pg_statement, 16> pg_statements{{
    {"tessera_put",
     "INSERT INTO $S.records(key, value, subject, expires_at) VALUES($1, $2, $3, $4) "
     "ON CONFLICT(key) DO UPDATE SET value = excluded.value, subject = excluded.subject, "
     "expires_at = excluded.expires_at",
     4, {pg_bytea, pg_bytea, pg_bytea, pg_bigint, 0}},
    {"tessera_insert",
     "INSERT INTO $S.records AS r(key, value, subject, expires_at) VALUES($1, $2, $3, $4) "
     "ON CONFLICT(key) DO UPDATE SET value = excluded.value, subject = excluded.subject, "
     "expires_at = excluded.expires_at WHERE r.expires_at <= $5",
     5, {pg_bytea, pg_bytea, pg_bytea, pg_bigint, pg_bigint}},
    {"tessera_replace", "UPDATE $S.records SET value = $1, expires_at = $2 WHERE key = $3 AND expires_at > $4", 4,
     {pg_bytea, pg_bigint, pg_bytea, pg_bigint, 0}},
    // Every read that can decide a revocation is driven by this store's id in `meta` (the last parameter):
    // in the store it opened, it returns the rows found, or one row of nulls when none is; in a schema
    // dropped and re-created under it (whose emptiness would read as "nothing revoked"), it returns no
    // row at all, which is refused.
    {"tessera_get",
     "SELECT r.value, r.subject, r.expires_at FROM $S.meta m LEFT JOIN $S.records r ON r.key = $1 AND "
     "r.expires_at > $2 WHERE m.key = 'store_id' AND m.value = $3",
     3, {pg_bytea, pg_bigint, pg_text, 0, 0}},
    {"tessera_get_many",
     "SELECT r.key, r.value, r.subject, r.expires_at FROM $S.meta m LEFT JOIN $S.records r ON r.key = ANY($1) AND "
     "r.expires_at > $2 WHERE m.key = 'store_id' AND m.value = $3",
     3, {pg_bytea_array, pg_bigint, pg_text, 0, 0}},
    // Two and three keys, the batches revocation checks and refreshes read: `IN` with fixed
    // parameters plans like a single-key read, where `= ANY($1)` costs twice as much on loopback.
    {"tessera_get_2",
     "SELECT r.key, r.value, r.subject, r.expires_at FROM $S.meta m LEFT JOIN $S.records r ON r.key IN ($1, $2) AND "
     "r.expires_at > $3 WHERE m.key = 'store_id' AND m.value = $4",
     4, {pg_bytea, pg_bytea, pg_bigint, pg_text, 0}},
    {"tessera_get_3",
     "SELECT r.key, r.value, r.subject, r.expires_at FROM $S.meta m LEFT JOIN $S.records r ON r.key IN ($1, $2, $3) "
     "AND r.expires_at > $4 WHERE m.key = 'store_id' AND m.value = $5",
     5, {pg_bytea, pg_bytea, pg_bytea, pg_bigint, pg_text}},
    {"tessera_take",
     "WITH gone AS (DELETE FROM $S.records WHERE key = $1 RETURNING value, subject, expires_at) "
     "SELECT g.value, g.subject, g.expires_at FROM $S.meta m LEFT JOIN gone g ON true "
     "WHERE m.key = 'store_id' AND m.value = $2",
     2, {pg_bytea, pg_text, 0, 0, 0}},
    // A subject's records by the subject index whatever the statistics say: `subject <> ''` is the
    // partial index's own predicate, so a generic plan can use it (without it, only the expiry index
    // fits, and the listing walks every live record).
    {"tessera_list",
     "SELECT r.key, r.value, r.expires_at FROM $S.meta m LEFT JOIN $S.records r ON r.subject = $1 AND "
     "r.subject <> ''::bytea AND r.expires_at > $2 WHERE m.key = 'store_id' AND m.value = $3",
     3, {pg_bytea, pg_bigint, pg_text, 0, 0}},
    {"tessera_erase_subject", "SELECT $S.erase_subject($1, $2)", 2, {pg_bytea, pg_bigint, 0, 0, 0}},
    {"tessera_increment",
     "INSERT INTO $S.counters AS c(key, value, expires_at) VALUES($1, $2, $3) "
     "ON CONFLICT(key) DO UPDATE SET "
     "value = CASE WHEN c.expires_at > $4 THEN c.value + $2 ELSE $2 END, "
     "expires_at = CASE WHEN c.expires_at > $4 THEN greatest(c.expires_at, $3) ELSE $3 END "
     "RETURNING value",
     4, {pg_bytea, pg_bigint, pg_bigint, pg_bigint, 0}},
    {"tessera_counter",
     "SELECT c.value FROM $S.meta m LEFT JOIN $S.counters c ON c.key = $1 AND c.expires_at > $2 "
     "WHERE m.key = 'store_id' AND m.value = $3",
     3, {pg_bytea, pg_bigint, pg_text, 0, 0}},
    {"tessera_purge",
     "WITH gone AS (DELETE FROM $S.records WHERE key IN (SELECT key FROM $S.records WHERE expires_at <= $1 "
     "LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING 1) SELECT count(*) FROM gone",
     2, {pg_bigint, pg_bigint, 0, 0, 0}},
    {"tessera_purge_counters",
     "WITH gone AS (DELETE FROM $S.counters WHERE key IN (SELECT key FROM $S.counters WHERE expires_at <= $1 "
     "LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING 1) SELECT count(*) FROM gone",
     2, {pg_bigint, pg_bigint, 0, 0, 0}},
    {"tessera_erase_any", "DELETE FROM $S.records WHERE key = $1", 1, {pg_bytea, 0, 0, 0, 0}},
    // The guard inserts as tessera_insert does; the other writes run only if it returned a row. All
    // parts of one statement see one snapshot and commit together. $2 is every write's fields as
    // parallel arrays (key, value, subject, expires_at, replace_only as 0/1), the guard first.
    {"tessera_insert_then",
     "WITH w AS (SELECT * FROM unnest($1::bytea[], $2::bytea[], $3::bytea[], $4::bigint[], $5::bigint[]) "
     "  WITH ORDINALITY AS t(k, v, s, e, r, i)), "
     "guard AS (INSERT INTO $S.records AS r(key, value, subject, expires_at) "
     "  SELECT k, v, s, e FROM w WHERE i = 1 "
     "  ON CONFLICT(key) DO UPDATE SET value = excluded.value, subject = excluded.subject, "
     "  expires_at = excluded.expires_at WHERE r.expires_at <= $6 RETURNING 1), "
     "puts AS (INSERT INTO $S.records AS r(key, value, subject, expires_at) "
     "  SELECT k, v, s, e FROM w WHERE i > 1 AND r = 0 AND EXISTS (SELECT 1 FROM guard) "
     "  ON CONFLICT(key) DO UPDATE SET value = excluded.value, subject = excluded.subject, "
     "  expires_at = excluded.expires_at RETURNING 1), "
     "replaces AS (UPDATE $S.records AS r SET value = w.v, expires_at = w.e FROM w "
     "  WHERE w.i > 1 AND w.r = 1 AND r.key = w.k AND r.expires_at > $6 AND EXISTS (SELECT 1 FROM guard) "
     "  RETURNING 1) "
     "SELECT count(*) FROM guard",
     6, {pg_bytea_array, pg_bytea_array, pg_bytea_array, pg_bigint_array, pg_bigint_array, pg_bigint}},
}};

enum class pg_op : std::size_t {
    put, insert, replace, get, get_many, get_2, get_3, take, list, erase_subject, increment, counter, purge, purge_counters,
    erase_any, insert_then
};

inline std::string pg_sql(std::string_view text, std::string_view schema)
{
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == 'S') {
            out += '"';
            out += schema;
            out += '"';
            ++i;
        } else {
            out += text[i];
        }
    }
    return out;
}

} // namespace tessera::inline v0::detail
