// SPDX-License-Identifier: BSL-1.0
#pragma once

/** @file
    The key layout and the Lua scripts of `redis_store`: every operation that changes more than one key
    runs as one script, so as one atomic step and one round trip.

    The layout is written once, in `redis_keys`: the store's C++ builds its keys with it, and every script
    starts with a prelude made from the same parts (`record_key`, `index_key` in Lua), so no script spells
    a key. Every script takes the store's tag (`{prefix}`) as `ARGV[1]`.
*/

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace tessera::inline v0::detail {

/// The keys of one `redis_store`: its tag (the prefix in braces, a Redis hash tag) and what follows it.
class redis_keys {
public:
    static constexpr std::string_view record_part = "r:", index_part = "i:", counter_part = "c:",
                                      expiry_part = "x", boot_part = "boot";

    explicit redis_keys(std::string_view prefix) : tag_("{" + std::string{prefix} + "}") {}

    [[nodiscard]] const std::string& tag() const noexcept { return tag_; }
    [[nodiscard]] std::string record(std::string_view key) const { return join(record_part, key); }
    [[nodiscard]] std::string index(std::string_view subject) const { return join(index_part, subject); }
    [[nodiscard]] std::string counter(std::string_view key) const { return join(counter_part, key); }
    [[nodiscard]] std::string expiry_set() const { return join(expiry_part, {}); }
    [[nodiscard]] std::string boot() const { return join(boot_part, {}); }

    /// The scripts' first lines: the tag from `ARGV[1]` and the key builders, from the parts above.
    [[nodiscard]] static std::string lua_prelude()
    {
        return "local tag = ARGV[1]\n"
               "local function record_key(key) return tag .. '" +
               std::string{record_part} +
               "' .. key end\n"
               "local function index_key(subject) return tag .. '" +
               std::string{index_part} + "' .. subject end\n";
    }

private:
    std::string join(std::string_view part, std::string_view rest) const
    {
        std::string k;
        k.reserve(tag_.size() + part.size() + rest.size());
        k.append(tag_).append(part).append(rest);
        return k;
    }
    std::string tag_;
};

// Writes records in order. Each group of six arguments is one write: mode ('p' put; 'i' only where no
// live record is, which as the first write guards the whole batch; 'r' only over a live record),
// key, value, index entry, expires_at, ttl ms. Returns 1, or 0 if the first write was not made.
// KEYS: the expiry set, then each write's record. ARGV: {prefix}, now, then the groups.
inline constexpr std::string_view redis_writes_lua = R"lua(
local now = tonumber(ARGV[2])
local function extend_index(subject, ttl)
  local index = index_key(subject)
  if redis.call('PTTL', index) < tonumber(ttl) then redis.call('PEXPIRE', index, ttl) end
end
local first = 1
for g = 0, (#ARGV - 2) / 6 - 1 do
  local a = 2 + g * 6
  local mode, key, value, subject, e, ttl = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5], ARGV[a + 6]
  local record = KEYS[g + 2]
  local old = redis.call('HMGET', record, 's', 'e')
  local live = old[2] and tonumber(old[2]) > now
  if mode == 'r' then
    if live then
      redis.call('HSET', record, 'v', value, 'e', e)
      redis.call('PEXPIRE', record, ttl)
      redis.call('ZADD', KEYS[1], e, key)
      if old[1] ~= '' then extend_index(old[1], ttl) end
    elseif g == 0 then
      first = 0
    end
  elseif mode == 'i' and live then
    if g == 0 then return 0 end
  else
    if old[1] and old[1] ~= '' and old[1] ~= subject then
      redis.call('SREM', index_key(old[1]), key)
    end
    redis.call('HSET', record, 'v', value, 's', subject, 'e', e)
    redis.call('PEXPIRE', record, ttl)
    redis.call('ZADD', KEYS[1], e, key)
    if subject ~= '' then
      redis.call('SADD', index_key(subject), key)
      extend_index(subject, ttl)
    end
  end
end
-- Records leave through their TTLs, their entries here would stay: each write that was made also drops
-- up to 32 entries already expired (after the writes, so that a write refused at the memory limit has
-- changed nothing), and the set stays as large as what is live.
local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 32)
if #stale > 0 then redis.call('ZREM', KEYS[1], unpack(stale)) end
return first
)lua";

// Deletes a record and its traces, returning it. KEYS: record, expiry set. ARGV: {prefix}, key.
inline constexpr std::string_view redis_take_lua = R"lua(
local r = redis.call('HMGET', KEYS[1], 'v', 's', 'e')
if not r[1] and not r[2] and not r[3] then return false end
if not (r[1] and r[2] and r[3]) then return redis.error_reply('tessera: a damaged record') end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
if r[2] ~= '' then redis.call('SREM', index_key(r[2]), ARGV[2]) end
return r
)lua";

// The records listed under an index entry; entries whose record is gone are dropped.
// KEYS: index. ARGV: {prefix}, index entry.
inline constexpr std::string_view redis_list_lua = R"lua(
local out = {}
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local r = redis.call('HMGET', record_key(key), 'v', 's', 'e')
  if (r[1] or r[2] or r[3]) and not (r[1] and r[2] and r[3]) then
    return redis.error_reply('tessera: a damaged record')
  end
  if r[3] and r[2] == ARGV[2] then
    out[#out + 1] = key; out[#out + 1] = r[1]; out[#out + 1] = r[3]
  else
    redis.call('SREM', KEYS[1], key)
  end
end
return out
)lua";

// Erases every record listed under an index entry, in one step; returns how many were live.
// KEYS: index, expiry set. ARGV: {prefix}, index entry, now.
inline constexpr std::string_view redis_erase_subject_lua = R"lua(
local live = 0
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local record = record_key(key)
  local r = redis.call('HMGET', record, 's', 'e')
  if r[1] == ARGV[2] then
    redis.call('DEL', record)
    redis.call('ZREM', KEYS[2], key)
    if not r[2] or tonumber(r[2]) > tonumber(ARGV[3]) then live = live + 1 end
  end
end
redis.call('DEL', KEYS[1])
return live
)lua";

// Adds to a counter (a dead one restarts at 0), extending, never shortening, its expiry.
// KEYS: counter. ARGV: {prefix}, delta, expires_at, now, ttl ms.
inline constexpr std::string_view redis_increment_lua = R"lua(
local e = redis.call('HGET', KEYS[1], 'e')
if not e or tonumber(e) <= tonumber(ARGV[4]) then
  redis.call('DEL', KEYS[1])
  e = nil
end
local n = redis.call('HINCRBY', KEYS[1], 'n', ARGV[2])
if not e or tonumber(ARGV[3]) > tonumber(e) then
  redis.call('HSET', KEYS[1], 'e', ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
end
return n
)lua";

// Removes up to a budget of expired records and their traces. KEYS: expiry set. ARGV: {prefix}, now, budget.
inline constexpr std::string_view redis_purge_lua = R"lua(
local purged = 0
for _, key in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))) do
  local record = record_key(key)
  local r = redis.call('HMGET', record, 's', 'e')
  if not r[2] or tonumber(r[2]) <= tonumber(ARGV[2]) then
    if r[2] then redis.call('DEL', record) end
    if r[1] and r[1] ~= '' then redis.call('SREM', index_key(r[1]), key) end
    purged = purged + 1
  end
  redis.call('ZREM', KEYS[1], key)
end
return purged
)lua";

enum class redis_op : std::size_t { writes, take, list, erase_subject, increment, purge };

inline constexpr std::size_t redis_script_count = 6;

/// The scripts as sent, in `redis_op` order: each is the layout's prelude, then its body.
inline const std::array<std::string, redis_script_count>& redis_scripts()
{
    static const std::array<std::string, redis_script_count> scripts = [] {
        constexpr std::array<std::string_view, redis_script_count> bodies{
            redis_writes_lua,        redis_take_lua,      redis_list_lua,
            redis_erase_subject_lua, redis_increment_lua, redis_purge_lua};
        std::array<std::string, redis_script_count> out;
        for (std::size_t i = 0; i < bodies.size(); ++i)
            out[i] = redis_keys::lua_prelude() + std::string{bodies[i]};
        return out;
    }();
    return scripts;
}

} // namespace tessera::inline v0::detail
